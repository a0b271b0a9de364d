"""The command line: its version, every option's default in its help, only flags that mean something, one database."""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path

import pytest
from startup_support import LOG_PREFIX, incidentd, user_env

from incidentd import cli


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command and sub-command by its name ("serve", "user add"), as argparse knows them."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    found[f"{name} {sub_name}".strip()] = sub
                    walk(sub, f"{name} {sub_name}")

    walk(cli.build_parser(), "")
    return found


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {action.option_strings[-1]: action for action in parser._actions if action.option_strings}


def test_version_is_the_installed_one(tmp_path: Path) -> None:
    done = incidentd("--version", cwd=tmp_path, env=user_env(tmp_path))
    assert done.returncode == 0 and done.stdout == f"incidentd {metadata.version('incidentd')}\n"


def test_every_option_with_a_value_says_its_default() -> None:
    lacking = [
        f"{name} {option}"
        for name, parser in _commands().items()
        for option, action in _options(parser).items()
        if action.nargs != 0 and not action.required and "default" not in (action.help or "")
    ]
    assert lacking == []


def test_serve_help_shows_host_and_port_defaults(tmp_path: Path) -> None:
    done = incidentd("serve", "--help", cwd=tmp_path, env=user_env(tmp_path, COLUMNS="400"))
    text = " ".join(done.stdout.split())
    assert "--host HOST the address to listen on" in text and "(default: 127.0.0.1)" in text
    assert "--port PORT the TCP port to listen on (default: 4570)" in text
    assert f"else the file {tmp_path}/.local/share/incidentd/incidentd.db)" in text


def test_flags_belong_only_to_the_commands_they_mean_something_to() -> None:
    commands = _commands()
    with_access_log = {name for name, parser in commands.items() if "--no-access-log" in _options(parser)}
    with_metrics = {name for name, parser in commands.items() if "--metrics-port" in _options(parser)}
    without_database = {name for name in commands if "--database" not in _options(commands[name])}
    assert with_access_log == {"serve"}
    assert with_metrics == {"worker"}
    assert {"policy", "policy show", "policy simulate"} <= without_database
    assert not without_database & {"serve", "worker", "migrate", "check-paging", "user", "outbox", "backup"}


def test_migrate_refuses_the_access_log_flag_in_one_line(tmp_path: Path) -> None:
    done = incidentd("migrate", "--access-log", cwd=tmp_path, env=user_env(tmp_path / "home"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--access-log" in done.stderr
    assert not (tmp_path / "home").exists()


def _database_line(done_stderr: str) -> str:
    lines = [LOG_PREFIX.sub("", line) for line in done_stderr.splitlines()]
    return next(line for line in lines if line.startswith("database "))


@pytest.mark.parametrize("xdg", [False, True])
def test_the_default_database_is_in_the_users_data_folder_wherever_incidentd_starts(tmp_path: Path, xdg: bool) -> None:
    home = tmp_path / "home"
    env = user_env(home, **({"XDG_DATA_HOME": str(tmp_path / "xdg")} if xdg else {}))
    expected = (tmp_path / "xdg" if xdg else home / ".local" / "share") / "incidentd" / "incidentd.db"
    said = []
    for folder in (tmp_path / "one", tmp_path / "two" / "deeper"):
        folder.mkdir(parents=True)
        done = incidentd("migrate", cwd=folder, env=env)
        assert done.returncode == 0, done.stderr
        said.append(_database_line(done.stderr))
        assert list(folder.iterdir()) == []
    assert said == [f"database {expected}"] * 2
    assert expected.exists()


def test_every_command_that_opens_the_database_says_where_it_is(tmp_path: Path) -> None:
    env = user_env(tmp_path / "home")
    database = tmp_path / "incidentd.db"
    for args in (["migrate"], ["check-paging"], ["user", "list"]):
        done = incidentd(*args, "--database", f"sqlite:///{database}", cwd=tmp_path, env=env)
        assert done.returncode in (0, 1), done.stderr
        assert _database_line(done.stderr) == f"database {database}"
    # The outbox keeps quiet about it (scripts read codes from it) unless it is empty: then it names the database.
    done = incidentd("outbox", "--database", f"sqlite:///{database}", cwd=tmp_path, env=env)
    assert done.returncode == 0 and "database " not in done.stderr
    assert "is empty" in done.stdout and f"(database {database})" in done.stdout
