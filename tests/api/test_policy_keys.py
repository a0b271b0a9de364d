"""Keys with policies against a real server: a deny on one plan, the read cache per key, `incidentd policy`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import support
from incidentd import cli
from incidentd.auth import builtin
from support import Account, Server, refused, status_of, wait_until

OWNER = support.test_account(4910)
LIMITED = Account("AKIDNOSEARCH0000001", "no-search-secret", OWNER.account_id)
SEARCH = f"arn:aws:ssm-incidents::{OWNER.account_id}:response-plan/search"
PAYMENTS = f"arn:aws:ssm-incidents::{OWNER.account_id}:response-plan/payments"
NO_SEARCH = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "HandsOffSearch", "Effect": "Deny", "Action": "*", "Resource": SEARCH},
            {"Sid": "NoContactDeletes", "Effect": "Deny", "Action": "ssm-contacts:DeleteContact", "Resource": "*"},
        ],
    }
)
CONFIG = f"""
[[credentials]]
access_key_id = "{LIMITED.access_key_id}"
secret_access_key = "{LIMITED.secret_access_key}"
account_id = "{OWNER.account_id}"
user = "payments-bot"
policies = ["IncidentManagerFullAccess", {json.dumps(NO_SEARCH)}]
"""


@pytest.fixture(scope="module")
def keys_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with one key that may do anything but touch the plan named search."""
    # A database of its own: the session's server shares the suite's, and its worker (which knows none of this
    # config) would take this server's jobs as another node of one cluster would.
    running = Server(own_database, tmp_path_factory.mktemp("keys"), CONFIG).start()
    owner = running.client(OWNER)
    arn = owner.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: owner.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    for name in ("search", "payments"):
        owner.create_response_plan(name=name, incidentTemplate={"title": name, "impact": 3})
    yield running
    running.stop()


def test_a_deny_on_one_plan_leaves_the_others_usable(keys_server: Server) -> None:
    limited = keys_server.client(LIMITED)

    incident = limited.start_incident(responsePlanArn=PAYMENTS)["incidentRecordArn"]
    limited.update_incident_record(arn=incident, title="Payments slow")
    error = refused(limited.start_incident, responsePlanArn=SEARCH)

    assert status_of(error) == 403
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert error["Error"]["Message"] == (
        f"User: arn:aws:iam::{OWNER.account_id}:user/payments-bot is not authorized to perform: "
        f"ssm-incidents:StartIncident on resource: {SEARCH} with an explicit deny in an identity-based policy"
    )
    titles = {s["title"] for s in keys_server.client(OWNER).list_incident_records()["incidentRecordSummaries"]}
    assert "search" not in titles and "Payments slow" in titles
    # The incidents of the denied plan are the plan's too: the deny reaches them.
    search_incident = keys_server.client(OWNER).start_incident(responsePlanArn=SEARCH)["incidentRecordArn"]
    assert refused(limited.get_incident_record, arn=search_incident)["Error"]["Code"] == "AccessDeniedException"


def test_a_cached_answer_is_never_handed_to_another_key(keys_server: Server) -> None:
    owner, limited = keys_server.client(OWNER), keys_server.client(LIMITED)

    for _ in range(3):  # the owner's reads fill the read cache (SQLite)
        assert owner.get_response_plan(arn=SEARCH)["name"] == "search"

    assert refused(limited.get_response_plan, arn=SEARCH)["Error"]["Code"] == "AccessDeniedException"
    assert limited.get_response_plan(arn=PAYMENTS)["name"] == "payments"


def test_the_json_services_refuse_with_status_400(keys_server: Server) -> None:
    contacts = keys_server.client(LIMITED, "ssm-contacts")
    contact = keys_server.client(OWNER, "ssm-contacts").create_contact(
        Alias="search-oncall", Type="PERSONAL", Plan={"Stages": []}
    )["ContactArn"]

    error = refused(contacts.delete_contact, ContactId=contact)

    assert status_of(error) == 400  # as the JSON services' documents give every client error
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert "ssm-contacts:DeleteContact" in error["Error"]["Message"]
    assert contacts.get_contact(ContactId=contact)["Alias"] == "search-oncall"


def test_policy_show_prints_a_built_in_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "show", "IncidentManagerResolverAccess"]) == 0

    assert json.loads(capsys.readouterr().out) == builtin.DOCUMENTS["IncidentManagerResolverAccess"]


def test_policy_simulate_says_which_statement_decided(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "incidentd.toml"
    config.write_text(CONFIG)
    simulate = ["policy", "simulate", "--config", str(config), "--key", LIMITED.access_key_id]

    assert cli.main([*simulate, "ssm-incidents:StartIncident", PAYMENTS]) == 0
    allowed = capsys.readouterr().out
    assert cli.main([*simulate, "ssm-incidents:DeleteResponsePlan", SEARCH]) == 1
    denied = capsys.readouterr().out

    assert allowed.strip() == "allowed: allowed by statement FullAccess of policy IncidentManagerFullAccess"
    assert denied.startswith("denied: explicit deny by statement HandsOffSearch of policy")


def test_policy_simulate_takes_condition_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tagged = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ssm-incidents:GetResponsePlan",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "payments"}},
            }
        ],
    }
    config = tmp_path / "incidentd.toml"
    config.write_text(
        '[[credentials]]\naccess_key_id = "AKIDTAGGED"\nsecret_access_key = "s"\naccount_id = "111122223333"\n'
        f"policies = [{json.dumps(json.dumps(tagged))}]\n"
    )
    simulate = ["policy", "simulate", "--config", str(config), "--key", "AKIDTAGGED", "ssm-incidents:GetResponsePlan"]

    assert cli.main([*simulate, PAYMENTS, "--context", "aws:ResourceTag/team=payments"]) == 0
    assert cli.main([*simulate, PAYMENTS]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "denied: no statement allows it (implicit deny)"


def test_policy_simulate_reads_secure_transport_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tls_only = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "OnlyOverTls",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
    key = (
        '[[credentials]]\naccess_key_id = "AKIDTLS"\nsecret_access_key = "s"\naccount_id = "111122223333"\n'
        f"policies = [{json.dumps(json.dumps(tls_only))}]\n"
    )
    simulate = ["policy", "simulate", "--key", "AKIDTLS", "ssm-incidents:GetResponsePlan", PAYMENTS, "--config"]
    (tmp_path / "plain.toml").write_text(key)
    (tmp_path / "behind-tls.toml").write_text(key + "[auth]\nsecure_transport = true\n")

    assert cli.main([*simulate, str(tmp_path / "plain.toml")]) == 1
    assert "explicit deny by statement OnlyOverTls" in capsys.readouterr().out
    assert cli.main([*simulate, str(tmp_path / "behind-tls.toml")]) == 0
