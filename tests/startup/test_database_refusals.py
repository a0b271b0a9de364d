"""A database URL that can't work is refused in one line that names it and what to do, before anything is written."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from startup_support import incidentd, needs_postgres, refusal, says, user_env

from support import PG_ADMIN_URL, free_port

# Every command that opens the database, with what it needs besides --database.
OPENING = {
    "serve": ["serve", "--port", "{port}"],
    "worker": ["worker"],
    "migrate": ["migrate"],
    "check-paging": ["check-paging"],
    "user": ["user", "list"],
    "outbox": ["outbox"],
}


def run(tmp_path: Path, command: str, database: str) -> str:
    """The refusal of `incidentd COMMAND --database DATABASE`, started in tmp_path by a user whose home is there."""
    args = [part.format(port=free_port()) for part in OPENING[command]]
    done = incidentd(*args, "--database", database, cwd=tmp_path, env=user_env(tmp_path / "home"))
    line = refusal(done)
    assert not (tmp_path / "home").exists(), "the default database was created instead"
    return line


@pytest.mark.parametrize("command", sorted(OPENING))
def test_a_database_incidentd_cant_use_is_named_by_every_command(tmp_path: Path, command: str) -> None:
    line = run(tmp_path, command, "mysql://root@db.internal/incidents")
    says(line, "mysql://", "--database", "INCIDENTD_DATABASE_URL", "sqlite:///PATH", "postgresql://")


def test_a_misspelt_scheme_is_corrected(tmp_path: Path) -> None:
    says(run(tmp_path, "migrate", f"sqlit:///{tmp_path}/x.db"), "sqlit://", "did you mean sqlite://?")
    assert not (tmp_path / "x.db").exists()


def test_text_that_is_no_url_is_refused(tmp_path: Path) -> None:
    says(run(tmp_path, "migrate", "incidentd.db"), "'incidentd.db'", "is not a URL", "sqlite:///PATH")


def test_a_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("notes\n")
    line = run(tmp_path, "serve", f"sqlite:///{tmp_path}/data/incidentd.db")
    says(line, f"{tmp_path}/data is a file, not a folder", "choose another place with --database")
    assert (tmp_path / "data").read_text() == "notes\n"


def test_a_database_path_that_is_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    says(run(tmp_path, "migrate", f"sqlite:///{tmp_path}/db"), f"{tmp_path}/db is a folder, not a file")
    assert list((tmp_path / "db").iterdir()) == []


@pytest.mark.parametrize("command", ["serve", "migrate", "check-paging"])
def test_a_file_that_is_not_a_database_is_left_alone(tmp_path: Path, command: str) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a shopping list, not a database\n")
    line = run(tmp_path, command, f"sqlite:///{notes}")
    says(line, f"{notes} is not a SQLite database", "--database")
    assert notes.read_text() == "a shopping list, not a database\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_a_folder_this_user_may_not_write_in_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        line = run(tmp_path, "migrate", f"sqlite:///{locked}/sub/incidentd.db")
    finally:
        locked.chmod(0o755)
    says(line, f"{locked}/sub/incidentd.db", f"may not write in {locked}", "give it write access")
    assert not (locked / "sub").exists()


def test_a_path_that_cant_be_created_is_named(tmp_path: Path) -> None:
    # /proc refuses new folders to everyone, root included.
    says(run(tmp_path, "migrate", "sqlite:////proc/incidentd/incidentd.db"), "/proc/incidentd/incidentd.db")


def test_check_paging_never_creates_a_database(tmp_path: Path) -> None:
    line = run(tmp_path, "check-paging", f"sqlite:///{tmp_path}/fresh.db")
    says(line, f"no database at {tmp_path}/fresh.db", "incidentd migrate")
    assert not (tmp_path / "fresh.db").exists()


@needs_postgres
@pytest.mark.parametrize("command", sorted(OPENING))
def test_postgresql_that_is_down_is_named_with_its_address(tmp_path: Path, command: str) -> None:
    port = free_port()
    line = run(tmp_path, command, f"postgresql://postgres@127.0.0.1:{port}/incidentd")
    says(line, f"can't reach PostgreSQL at 127.0.0.1:{port}", "start it", "host and port")
    assert "incidentd migrate" not in line  # the schema is not what is wrong


@needs_postgres
def test_a_missing_postgresql_database_says_how_to_create_it(tmp_path: Path) -> None:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    name = "incidentd_never_created"
    line = run(tmp_path, "serve", f"{base}/{name}")
    says(line, f"has no database '{name}'", "create it with: createdb", name)
    with psycopg.connect(PG_ADMIN_URL) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert found is None


@needs_postgres
def test_a_postgresql_user_that_is_refused_is_named(tmp_path: Path) -> None:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgres@", "nobody_at_all:secret@")
    line = run(tmp_path, "migrate", f"{base}/test")
    says(line, "refused nobody_at_all", "correct the user and password")
    assert "secret" not in line
