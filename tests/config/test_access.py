"""Who may do what, as the config says it: keys' policies, [auth], [[roles]], each refusal naming its place."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from incidentd import config
from incidentd.auth import builtin
from incidentd.config import ConfigError

KEY = """
[[credentials]]
access_key_id = "AKIDREADER00000001"
secret_access_key = "s"
account_id = "111122223333"
user = "reader"
policies = {policies}
"""
READER_ARN = "arn:aws:iam::111122223333:user/reader"
DENY_DELETES = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoDeletes", "Effect": "Deny", "Action": "ssm-incidents:Delete*", "Resource": "*"}],
    }
)


def settings(text: str, environ: dict[str, str] | None = None, base: Path | None = None) -> config.Settings:
    return config.from_toml(tomllib.loads(text), environ or {}, base)


def test_a_key_names_built_in_inline_and_file_policies(tmp_path: Path) -> None:
    (tmp_path / "ops.json").write_text(DENY_DELETES)
    text = KEY.format(policies=json.dumps(["IncidentManagerReadOnlyAccess", DENY_DELETES, "file:ops.json"]))

    found = settings(text, base=tmp_path)

    policies = found.access.for_user(READER_ARN)
    assert policies is not None
    assert [p.name for p in policies][0] == "IncidentManagerReadOnlyAccess"
    assert policies[1].document == json.loads(DENY_DELETES)
    assert policies[2].name == str(tmp_path / "ops.json")  # relative to the config file's folder
    principal = found.principal("AKIDREADER00000001", "111122223333")
    assert principal.arn == READER_ARN
    assert principal.policies == policies


def test_a_key_without_policies_keeps_full_access_and_the_server_says_so() -> None:
    found = settings(KEY.replace("policies = {policies}\n", ""))

    assert found.principal("AKIDREADER00000001", "111122223333").policies is None
    warning = found.access.unrestricted_warning()
    assert warning is not None and "AKIDREADER00000001" in warning


def test_default_policies_apply_to_keys_that_name_none() -> None:
    text = KEY.replace("policies = {policies}\n", "") + '\n[auth]\ndefault_policies = ["IncidentManagerIngestAccess"]\n'

    found = settings(text)

    assert found.principal("AKIDREADER00000001", "111122223333").policies == (
        builtin.policy("IncidentManagerIngestAccess"),
    )
    assert found.access.unrestricted_warning() is None


def test_the_environment_may_give_a_key_one_built_in_policy() -> None:
    environ = {
        "INCIDENTD_CREDENTIALS": "AKIDENV:secret:222233334444:IncidentManagerReadOnlyAccess,AKIDFULL:s:222233334444"
    }

    found = settings("", environ)

    assert found.principal("AKIDENV", "222233334444").policies == (builtin.policy("IncidentManagerReadOnlyAccess"),)
    assert found.principal("AKIDFULL", "222233334444").policies is None


def test_roles_are_declared_with_their_policies() -> None:
    role = "arn:aws:iam::111122223333:role/IncidentRunbook"
    found = settings(f'[[roles]]\narn = "{role}"\npolicies = ["IncidentManagerResolverAccess"]\n')

    assert found.access.for_role(role) == (builtin.policy("IncidentManagerResolverAccess"),)
    # Once any role is declared, one that isn't may do nothing; with none declared, every role may do everything.
    assert found.access.for_role("arn:aws:iam::111122223333:role/Other") == ()
    assert settings("").access.for_role(role) is None
    assert found.access.roles_note() is None
    assert settings("").access.roles_note() is not None


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        (KEY.format(policies='["NoSuchPolicy"]'), {}, "[[credentials]] entry 1 (AKIDREADER00000001) policies[0]"),
        (KEY.format(policies='["file:/nonexistent/p.json"]'), {}, "can't read policy file /nonexistent/p.json"),
        (
            KEY.format(policies=json.dumps(['{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}'])),
            {},
            "[[credentials]] entry 1 (AKIDREADER00000001) policies[0]: policy",
        ),
        (
            KEY.format(
                policies=json.dumps(
                    [
                        json.dumps(
                            {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "*",
                                        "Resource": "*",
                                        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}},
                                    }
                                ],
                            }
                        )
                    ]
                )
            ),
            {},
            "DateGreaterThan",
        ),
        (KEY.format(policies='"IncidentManagerReadOnlyAccess"'), {}, "policies must be a list of strings"),
        ('[auth]\ndefault_policies = ["Nope"]\n', {}, "[auth] policies[0]"),
        ("[auth]\nsecure_transprt = true\n", {}, "[auth]: unknown key secure_transprt"),
        ('[[roles]]\narn = "arn:aws:iam::111122223333:user/x"\n', {}, "[[roles]] entry 1 arn must be an IAM role ARN"),
        ("", {"INCIDENTD_CREDENTIALS": "K:S:111122223333:A:B"}, "must be KEY:SECRET:ACCOUNT_ID"),
        ("", {"INCIDENTD_CREDENTIALS": "K:S:111122223333:Nope"}, "INCIDENTD_CREDENTIALS entry K policies[0]"),
    ],
    ids=[
        "unknown-name",
        "missing-file",
        "statement-without-action",
        "operator-not-evaluated",
        "not-a-list",
        "default-unknown",
        "auth-typo",
        "role-not-a-role",
        "env-too-many-fields",
        "env-unknown-policy",
    ],
)
def test_a_policy_incidentd_would_not_evaluate_stops_the_config(
    text: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        settings(text, environ)

    assert message in str(refused.value)


def test_two_keys_of_one_user_must_name_the_same_policies() -> None:
    second = KEY.replace("AKIDREADER00000001", "AKIDREADER00000002")
    text = KEY.format(policies='["IncidentManagerReadOnlyAccess"]') + second.format(policies="[]")

    with pytest.raises(ConfigError, match="sign as the same user"):
        settings(text)
