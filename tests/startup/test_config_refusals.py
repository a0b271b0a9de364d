"""A config file with a wrong value, an unknown key or a short account id is refused in one line, before any write."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from startup_support import incidentd, refusal, says, user_env

from incidentd import config
from incidentd.config.reference import places
from incidentd.config.settings import ARRAYS, SECTIONS
from support import free_port

OIDC = '[console.oidc]\nissuer = "https://sso.example.com"\nclient_id = "incidentd"\n'
TOPIC = '[[sns_topics]]\narn = "arn:aws:sns:us-east-1:111122223333:oncall"\n'


def refused(tmp_path: Path, text: str, *args: str) -> str:
    """The one line `incidentd ARGS --config FILE` (serve by default) says about a file holding text."""
    (tmp_path / "incidentd.toml").write_text(text)
    database = tmp_path / "incidentd.db"
    command = list(args) or ["serve", "--port", str(free_port())]
    done = incidentd(
        *command,
        "--config",
        "incidentd.toml",
        "--database",
        f"sqlite:///{database}",
        cwd=tmp_path,
        env=user_env(tmp_path / "home"),
    )
    line = refusal(done)
    assert not database.exists()
    return line


def test_a_value_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    line = refused(tmp_path, '[worker]\nlease_seconds = "sixty"\n')
    says(line, "[worker] lease_seconds must be a number", "'sixty'")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('regoin = "eu-west-1"\n', "the config file's top level: unknown key regoin (did you mean `region`?)"),
        ("[wroker]\npoll_seconds = 1\n", "unknown key wroker (did you mean `worker`?)"),
        ("[worker]\nlease = 30\n", "[worker]: unknown key lease (did you mean `lease_seconds`?)"),
        ('[smtp]\nurll = "smtp://mail"\n', "[smtp]: unknown key urll (did you mean `url`?)"),
        ('[logging]\nformt = "json"\n', "[logging]: unknown key formt (did you mean `format`?)"),
        (f'{OIDC}claims = "groups"\n', "[console.oidc]: unknown key claims (did you mean `claim`?)"),
        (
            f'{OIDC}[[console.oidc.mappings]]\nvalue = "sre"\naccount_id = "111122223333"\nrol = "admin"\n',
            "[[console.oidc.mappings]] entry 1: unknown key rol (did you mean `role`?)",
        ),
        (
            '[[credentials]]\naccess_key_id = "AKIA1"\nsecret_access_key = "s"\nacount_id = "111122223333"\n',
            "[[credentials]] entry 1: unknown key acount_id (did you mean `account_id`?)",
        ),
        (
            '[[ingest_tokens]]\ntoken = "0123456789abcdef0"\naccount = "111122223333"\nplan = ["x"]\n',
            "[[ingest_tokens]] entry 1: unknown key plan (did you mean `plans`?)",
        ),
        (
            f'{TOPIC}[[sns_topics.subscribers]]\nprotocl = "email"\nendpoint = "a@example.com"\n',
            "unknown key protocl (did you mean `protocol`?)",
        ),
        (
            '[secrets.pd]\npagerDutyToken = "t"\npagerDutyFromEmail = "a@example.com"\naccount = ["111122223333"]\n',
            "[secrets] 'pd': unknown key account (did you mean `accounts`?)",
        ),
    ],
)
def test_an_unknown_key_is_refused_with_the_likely_one(tmp_path: Path, text: str, named: str) -> None:
    says(refused(tmp_path, text), named)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            '[[credentials]]\naccess_key_id = "AKIA1"\nsecret_access_key = "s"\naccount_id = "123"\n',
            "[[credentials]] entry 1 account_id must be a 12-digit account id",
        ),
        (
            '[[ingest_tokens]]\ntoken = "0123456789abcdef0"\naccount = "11112222333"\n',
            "[[ingest_tokens]] entry 1 account must be a 12-digit account id",
        ),
        (
            '[secrets.pd]\npagerDutyToken = "t"\npagerDutyFromEmail = "a@example.com"\naccounts = ["prod"]\n',
            "[secrets] 'pd': each of accounts must be a 12-digit account id",
        ),
        (
            f'{OIDC}[[console.oidc.mappings]]\nvalue = "sre"\naccount_id = "1111-2222-3333"\nrole = "admin"\n',
            "[[console.oidc.mappings]] entry 1 account_id must be a 12-digit account id",
        ),
    ],
)
def test_an_account_id_of_other_than_12_digits_is_refused_in_the_file(tmp_path: Path, text: str, named: str) -> None:
    says(refused(tmp_path, text), named, '"111122223333"')


def test_the_file_and_the_environment_agree_on_account_ids(tmp_path: Path) -> None:
    env = user_env(tmp_path / "home", INCIDENTD_CREDENTIALS="AKIA1:secret:123")
    done = incidentd("migrate", "--database", f"sqlite:///{tmp_path}/x.db", cwd=tmp_path, env=env)
    says(refusal(done), "INCIDENTD_CREDENTIALS", "12 digits")
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "args", [["user", "add", "ana", "--role", "viewer", "--account", "123"], ["outbox", "--account", "12345678901"]]
)
def test_an_account_id_of_other_than_12_digits_is_refused_on_the_command_line(tmp_path: Path, args: list[str]) -> None:
    done = incidentd(*args, "--database", f"sqlite:///{tmp_path}/x.db", cwd=tmp_path, env=user_env(tmp_path))
    says(refusal(done), "--account", "12-digit account id")
    assert not (tmp_path / "x.db").exists()


def _with_unknown_key(place: str) -> str:
    """A file that is valid up to one unknown key in place, e.g. "[console.oidc]" or "[[console.oidc.mappings]]"."""
    if place == "[console.oidc]":
        return f"{OIDC}bogus_key = 1\n"
    if place == "[[console.oidc.mappings]]":
        return f"{OIDC}[[console.oidc.mappings]]\nbogus_key = 1\n"
    if place == "[[sns_topics]]":
        return f"{TOPIC}bogus_key = 1\n"
    if place == '[secrets."ID"]':
        return "[secrets.pd]\nbogus_key = 1\n"
    return f"{place}\nbogus_key = 1\n"


@pytest.mark.parametrize("place", sorted(places()))
def test_every_place_of_the_file_refuses_an_unknown_key(place: str) -> None:
    with pytest.raises(config.ConfigError, match="unknown key bogus_key"):
        config.from_toml(tomllib.loads(_with_unknown_key(place)))


def test_the_list_of_settings_covers_every_section_of_the_file() -> None:
    named = {place.strip("[]").split(".")[0] for place in places()}
    assert named == SECTIONS | ARRAYS
    names = config.setting_names()
    assert {"database_url", "region", "[worker] lease_seconds", "[[credentials]] account_id"} <= set(names)
    assert "[console.oidc] issuer" in names and "[[console.oidc.mappings]] role" in names
    assert not any(name.endswith((" oidc", " mappings")) for name in names)  # tables, not settings
    assert '[secrets."ID"] accounts' in names and "[[sns_topics]] subscribers" in names
