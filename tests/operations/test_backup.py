"""`incidentd backup`: a copy of a live SQLite database holds every write acknowledged before it began."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from support import Server, create_postgres_database, drop_postgres_database, wait_until
from support import test_account as account_number

DATABASES = os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(",")
ACCOUNT = account_number(1)
COPIED = re.compile(r"^copied (\S+) to (\S+): ([\d,]+) bytes, schema revision (\S+)$")


def incidentd(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the incidentd command line; its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "incidentd.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def head_revision() -> str:
    """The newest migration of this build."""
    from alembic.script import ScriptDirectory

    from incidentd.store import migrate

    return ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head() or ""


class Writer(threading.Thread):
    """Creates contacts one after another, noting when each request began and when its success came back."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.contacts = server.client(ACCOUNT, "ssm-contacts")
        self.acknowledged: list[tuple[str, float, float]] = []  # alias, sent, acknowledged (time.monotonic())
        self.stopping = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            alias = f"writer-{number:06d}"
            sent = time.monotonic()
            try:
                self.contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})
            except (BotoCoreError, ClientError) as exc:
                self.error = exc  # the server is gone, once it is killed
                return
            self.acknowledged.append((alias, sent, time.monotonic()))
            number += 1


def onboard(server: Server) -> None:
    """Give the account an ACTIVE replication set, as contacts need."""
    incidents = server.client(ACCOUNT)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")


def restored_aliases(copy: Path, workdir: Path) -> set[str]:
    """Restore a copy as the docs say (copy the file into place), start a server on it, list every contact."""
    workdir.mkdir()
    database = workdir / "incidentd.db"
    shutil.copyfile(copy, database)
    server = Server(f"sqlite:///{database}", workdir).start()
    try:
        contacts = server.client(ACCOUNT, "ssm-contacts")
        pages = contacts.get_paginator("list_contacts").paginate()
        return {contact["Alias"] for page in pages for contact in page["Contacts"]}
    finally:
        server.stop()


@pytest.mark.skipif("sqlite" not in DATABASES, reason="a SQLite backup")
def test_a_backup_under_writes_restores_every_write_acknowledged_before_it(tmp_path: Path) -> None:
    live = tmp_path / "live" / "incidentd.db"
    server = Server(f"sqlite:///{live}", tmp_path).start()
    onboard(server)
    writer = Writer(server)
    writer.start()
    try:
        wait_until(lambda: len(writer.acknowledged) >= 50 or writer.error, timeout=60)
        assert writer.error is None, writer.error
        # Some of the acknowledged writes are only in the WAL yet: the copy must take them from there.
        assert Path(f"{live}-wal").stat().st_size > 0
        started = time.monotonic()
        taken = incidentd("backup", "--database", f"sqlite:///{live}", str(tmp_path / "copy.db"))
        finished = time.monotonic()
        count = len(writer.acknowledged)
        wait_until(lambda: len(writer.acknowledged) >= count + 20, timeout=60)  # writes go on after it
    finally:
        server.stop(kill=True)
        writer.stopping.set()
        writer.join(timeout=30)

    assert taken.returncode == 0, taken.stderr
    line = taken.stdout.strip()
    found = COPIED.match(line)
    assert found, line
    copy = tmp_path / "copy.db"
    assert (found[1], found[2]) == (str(live), str(copy))
    assert int(found[3].replace(",", "")) == copy.stat().st_size
    assert found[4] == head_revision()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".copy.db*")), "no temporary file is left beside the copy"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    restored = restored_aliases(copy, tmp_path / "restored")
    before = {alias for alias, _, acknowledged in writer.acknowledged if acknowledged < started}
    after = {alias for alias, sent, _ in writer.acknowledged if sent > finished}
    assert len(before) >= 50 and after
    assert before <= restored, sorted(before - restored)[:5]
    assert not (after & restored), "the copy is the database as it was while the command ran, not later"


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    """A migrated SQLite database no server uses; its URL."""
    url = f"sqlite:///{tmp_path / 'data' / 'incidentd.db'}"
    assert incidentd("migrate", "--database", url).returncode == 0
    return url


@pytest.mark.skipif("sqlite" not in DATABASES, reason="a SQLite backup")
def test_an_existing_file_is_kept_unless_forced(sqlite_database: str, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    dest.write_text("yesterday's backup")

    refused = incidentd("backup", "--database", sqlite_database, str(dest))

    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]
    assert f"{dest} exists: give a new path, or --force to replace it" in refused.stderr
    assert dest.read_text() == "yesterday's backup"

    forced = incidentd("backup", "--database", sqlite_database, "--force", str(dest))

    assert forced.returncode == 0, forced.stderr
    with sqlite3.connect(dest) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)


@pytest.mark.skipif("sqlite" not in DATABASES, reason="a SQLite backup")
def test_a_folder_gets_a_copy_named_by_the_time(sqlite_database: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()

    taken = incidentd("backup", "--database", sqlite_database, str(folder))

    assert taken.returncode == 0, taken.stderr
    (copy,) = folder.iterdir()
    assert re.fullmatch(r"incidentd-\d{8}T\d{6}Z\.db", copy.name)
    assert f" to {copy}: " in taken.stdout


def test_a_backup_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "incidentd.db"

    refused = incidentd("backup", "--database", f"sqlite:///{missing}", str(tmp_path / "copy.db"))

    assert refused.returncode == 2
    assert f"no SQLite database at {missing}" in refused.stderr
    assert not missing.parent.exists()
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.skipif("postgresql" not in DATABASES, reason="needs PostgreSQL")
def test_on_postgresql_it_says_how_and_the_advice_works(tmp_path: Path) -> None:
    source = create_postgres_database()
    target = create_postgres_database()
    try:
        assert incidentd("migrate", "--database", source).returncode == 0
        password_url = source.replace("postgresql://postgres@", "postgresql://postgres:hunter2@", 1)
        dump = tmp_path / "incidentd.dump"

        said = incidentd("backup", "--database", password_url, str(dump))

        assert said.returncode == 2
        line = said.stderr.strip()
        assert len(line.splitlines()) == 1
        assert "hunter2" not in line
        pg_dump = re.search(r"run: (pg_dump .*?);", line)
        pg_restore = re.search(r"restore with: (pg_restore .*)$", line)
        assert pg_dump and pg_restore, line
        # The advice, run as written (the password is PostgreSQL's trust here), makes a dump that restores.
        subprocess.run(shlex.split(pg_dump[1].split(" (it asks")[0]), check=True, env=dict(os.environ))
        restore = pg_restore[1].replace("URL_OF_AN_EMPTY_DATABASE", target)
        subprocess.run(shlex.split(restore), check=True)
        migrated = incidentd("migrate", "--database", target)
        assert migrated.returncode == 0, migrated.stderr
        import psycopg

        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    finally:
        drop_postgres_database(source)
        drop_postgres_database(target)
