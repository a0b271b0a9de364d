"""`incidentd user`: console users in the database the server uses, found as `serve` finds it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from console_support import browser, sign_in

from support import Account, Server


def _user(
    database_url: str, *args: str, stdin: str = "", config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "incidentd.cli", "user", *args, "--database", database_url]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)


def test_a_user_added_by_the_command_signs_in_with_the_role_it_was_given(server: Server, account: Account) -> None:
    name = f"cli-{account.account_id}"
    added = _user(
        server.database_url,
        "add",
        name,
        "--account",
        account.account_id,
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert added.returncode == 0, added.stderr
    assert f"added {name}: account {account.account_id}, role viewer" in added.stdout
    listed = _user(server.database_url, "list")
    assert any(line.split()[:3] == [name, account.account_id, "viewer"] for line in listed.stdout.splitlines())
    client = browser(server.endpoint)
    assert sign_in(client, name, "a long passphrase").status_code == 303
    assert "viewer" in client.get("/console/").text
    again = _user(
        server.database_url,
        "add",
        name,
        "--account",
        account.account_id,
        "--role",
        "admin",
        "--password-stdin",
        stdin="another one\n",
    )
    assert again.returncode == 1 and "already a user named" in again.stderr


def test_passwd_changes_the_password_and_signs_the_users_sessions_out(server: Server, account: Account) -> None:
    name = f"pw-{account.account_id}"
    _user(
        server.database_url,
        "add",
        name,
        "--account",
        account.account_id,
        "--role",
        "responder",
        "--password-stdin",
        stdin="first password\n",
    )
    client = browser(server.endpoint)
    assert sign_in(client, name, "first password").status_code == 303
    changed = _user(server.database_url, "passwd", name, "--password-stdin", stdin="second password\n")
    assert changed.returncode == 0 and "signed out 1 session" in changed.stdout
    assert client.get("/console/").status_code == 303
    assert sign_in(browser(server.endpoint), name, "first password").status_code == 401
    assert sign_in(browser(server.endpoint), name, "second password").status_code == 303


def test_remove_ends_the_users_sessions(server: Server, account: Account) -> None:
    name = f"rm-{account.account_id}"
    _user(
        server.database_url,
        "add",
        name,
        "--account",
        account.account_id,
        "--role",
        "admin",
        "--password-stdin",
        stdin="password one\n",
    )
    client = signed_in_as(server, name, "password one")
    removed = _user(server.database_url, "remove", name)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert client.get("/console/").status_code == 303
    assert _user(server.database_url, "remove", name).returncode == 1


def signed_in_as(server: Server, name: str, password: str):  # type: ignore[no-untyped-def]
    client = browser(server.endpoint)
    assert sign_in(client, name, password).status_code == 303
    return client


def test_bad_input_is_refused_with_a_reason_and_adds_nobody(server: Server, account: Account) -> None:
    cases = [
        (
            ["add", "bad name!", "--account", account.account_id, "--role", "viewer", "--password-stdin"],
            "long enough password\n",
            "can't be a user name",
        ),
        (
            ["add", "shortpw", "--account", account.account_id, "--role", "viewer", "--password-stdin"],
            "short\n",
            "at least 8 characters",
        ),
        (["passwd", "nobody-like-this", "--password-stdin"], "long enough password\n", "no user named"),
    ]
    for args, stdin, reason in cases:
        answer = _user(server.database_url, *args, stdin=stdin)
        assert answer.returncode == 1 and reason in answer.stderr, answer.stderr
    bad_role = _user(
        server.database_url, "add", "x1", "--account", account.account_id, "--role", "owner", "--password-stdin"
    )
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    bad_account = _user(
        server.database_url, "add", "badacct", "--account", "123", "--role", "viewer", "--password-stdin"
    )
    assert bad_account.returncode == 2 and "12 digits" in bad_account.stderr
    names = [line.split()[0] for line in _user(server.database_url, "list").stdout.splitlines()[1:]]
    assert not {"bad", "shortpw", "badacct", "x1"} & set(names)


def test_the_command_finds_the_database_in_the_config_file(tmp_path: Path, own_database: str, account: Account) -> None:
    config = tmp_path / "incidentd.toml"
    config.write_text(f'database_url = "{own_database}"\n')
    command = [
        sys.executable,
        "-m",
        "incidentd.cli",
        "user",
        "add",
        "from-config",
        "--account",
        account.account_id,
        "--role",
        "viewer",
        "--password-stdin",
        "--config",
        str(config),
    ]
    added = subprocess.run(command, input="long enough password\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "incidentd.cli", "user", "list", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "from-config" in listed.stdout
