"""Upgrading from 0.1.0: databases that release built and filled are migrated by `migrate` or `serve`, and answer
what they answered before; a database migrated by a newer incidentd is refused, and left as it was."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from support import Server, create_postgres_database, drop_postgres_database, free_port, wait_until

DATABASES = os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(",")
FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = json.loads((FIXTURES / "incidentd-0.1.0.reads.json").read_text())
KEYS = f"""
[[credentials]]
access_key_id = "{RECORDED["access_key_id"]}"
secret_access_key = "{RECORDED["secret_access_key"]}"
account_id = "{RECORDED["account_id"]}"
user = "ops"
"""
NEWER = "9999_from_a_newer_incidentd"


def incidentd(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the incidentd command line; its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "incidentd.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def head_revision() -> str:
    """This build's newest migration."""
    from alembic.script import ScriptDirectory

    from incidentd.store import migrate

    return ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head() or ""


@pytest.fixture(params=DATABASES)
def release_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database as incidentd 0.1.0 left it: the SQLite file it wrote, or its pg_dump restored with psql; its URL."""
    if request.param == "sqlite":
        database = tmp_path / "incidentd.db"
        with gzip.open(FIXTURES / "incidentd-0.1.0.db.gz", "rb") as source, open(database, "wb") as target:
            shutil.copyfileobj(source, target)
        os.chmod(database, 0o600)
        yield f"sqlite:///{database}"
        return
    url = create_postgres_database()
    try:
        dump = FIXTURES / "incidentd-0.1.0.postgresql.sql"
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), url], check=True, capture_output=True)
        yield url
    finally:
        drop_postgres_database(url)


def kind_of(url: str) -> str:
    """sqlite or postgresql."""
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def revisions(url: str) -> list[str]:
    """What the database's alembic_version table holds."""
    if kind_of(url) == "sqlite":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    import psycopg

    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]


def contains(actual: Any, expected: Any) -> bool:
    """Whether an answer holds everything recorded: every recorded key and item, with the same values."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], expected[key]) for key in expected
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(any(contains(item, wanted) for item in actual) for wanted in expected)
    return bool(actual == expected)


def plain(value: Any) -> Any:
    """An answer as the recording holds it: times as ISO 8601 text, no response metadata."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def check_recorded_reads(server: Server, kind: str) -> None:
    """Every read recorded against 0.1.0 answers at least what it answered then."""
    clients = {
        service: boto3.client(
            service,
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id=RECORDED["access_key_id"],
            aws_secret_access_key=RECORDED["secret_access_key"],
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        for service in ("ssm-incidents", "ssm-contacts")
    }
    for read in RECORDED[kind]:
        answer = plain(getattr(clients[read["service"]], read["operation"])(**read["params"]))
        assert contains(answer, read["answer"]), (read["operation"], read["params"], answer, read["answer"])


@pytest.mark.parametrize("first", ["migrate", "serve"])
def test_a_0_1_0_database_upgrades_and_answers_as_before(release_database: str, first: str, tmp_path: Path) -> None:
    assert revisions(release_database) == ["0005"]  # the schema 0.1.0 left
    if first == "migrate":
        migrated = incidentd("migrate", "--database", release_database)
        assert migrated.returncode == 0, migrated.stderr
        assert revisions(release_database) == [head_revision()]

    server = Server(release_database, tmp_path, KEYS, test_credentials=False).start()
    try:
        wait_until(lambda: ready(server), timeout=60)  # the port is bound before serve migrates
        assert revisions(release_database) == [head_revision()]
        check_recorded_reads(server, kind_of(release_database))
    finally:
        server.stop()


def ready(server: Server) -> bool:
    """Whether /readyz answers 200: the node is up and its schema is the newest."""
    try:
        with urllib.request.urlopen(f"{server.endpoint}/readyz", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def snapshot(url: str) -> str:
    """Everything the database holds, as text: its schema and rows."""
    if kind_of(url) == "sqlite":
        path = url.removeprefix("sqlite:///")
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return digest + "\n" + "\n".join(conn.iterdump())
    dump = subprocess.run(["pg_dump", "--no-owner", url], check=True, capture_output=True, text=True).stdout
    # pg_dump fences its output with a random key each run (\restrict KEY): not the database's contents.
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def stamp_newer(url: str) -> None:
    """Mark the database as migrated by a newer incidentd, as an upgrade followed by a downgrade would leave it."""
    if kind_of(url) == "sqlite":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (NEWER,))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the file, whose bytes are then compared
        return
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = %s", (NEWER,))


@pytest.mark.parametrize("command", ["migrate", "serve", "worker", "check-paging"])
def test_a_newer_schema_is_refused_in_one_line_and_left_alone(
    release_database: str, command: str, tmp_path: Path
) -> None:
    assert incidentd("migrate", "--database", release_database).returncode == 0
    stamp_newer(release_database)
    before = snapshot(release_database)
    config = tmp_path / "incidentd.toml"
    config.write_text(KEYS)
    extra = ["--port", str(free_port())] if command == "serve" else []

    refused = incidentd(command, "--database", release_database, "--config", str(config), *extra)

    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    (line,) = [line for line in refused.stderr.splitlines() if "newer than" in line]
    assert line.endswith(
        f"the database's schema (revision {NEWER}) is newer than this incidentd {release()} knows "
        f"(newest {head_name()}): run the incidentd that migrated it, or a newer one, or restore a backup "
        "taken before the upgrade"
    )
    assert "serving on" not in refused.stderr
    assert snapshot(release_database) == before


def release() -> str:
    """This build's version."""
    import importlib.metadata

    return importlib.metadata.version("incidentd")


def head_name() -> str:
    """The newest migration's file name, as the refusal names it."""
    from alembic.script import ScriptDirectory

    from incidentd.store import migrate

    script = ScriptDirectory(str(migrate.MIGRATIONS)).get_revision(head_revision())
    assert script is not None and script.path
    return Path(script.path).stem
