"""Runs the Alembic migrations that ship inside the package, and refuses a schema newer than they are."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from incidentd.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaError(Exception):
    """A database this build can't use as it is (a schema newer than its migrations): `incidentd` exits with 2."""


def alembic_config(db: Database) -> Config:
    """An Alembic configuration for the package's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url)
    return config


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision; safe to run on every start and from several nodes.

    A database migrated by a newer incidentd raises SchemaError before anything is written.
    """
    config = alembic_config(db)
    with db.engine.connect() as conn:
        conn.info["begin"] = "BEGIN IMMEDIATE"
        with conn.begin():
            # Two nodes starting together must not both create the tables.
            db.lock(conn, "incidentd-migrations")
            refuse_unknown(conn, config)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


def check(db: Database) -> None:
    """Raise SchemaError when the database's schema is newer than this build's migrations (reads only)."""
    with db.engine.connect() as conn, conn.begin():
        refuse_unknown(conn, alembic_config(db))


def refuse_unknown(conn: Connection, config: Config) -> None:
    """Raise SchemaError when the connection's database is at revisions this build's scripts don't have."""
    scripts = ScriptDirectory.from_config(config)
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = sorted(set(stored_revisions(conn)) - known)
    if unknown:
        raise SchemaError(_newer_message(unknown, scripts))


def _newer_message(unknown: list[str], scripts: ScriptDirectory) -> str:
    """The one line `incidentd` prints for a database that a newer incidentd has migrated."""
    version = release()
    newest = ", ".join(_name(scripts, head) for head in scripts.get_heads())
    return (
        f"the database's schema (revision {', '.join(unknown)}) is newer than this incidentd {version} knows "
        f"(newest {newest}): run the incidentd that migrated it, or a newer one, or restore a backup taken before "
        "the upgrade"
    )


def _name(scripts: ScriptDirectory, revision: str) -> str:
    """A revision as its file names it (0008_fair_queue_and_automation_quotas), else its id."""
    script = scripts.get_revision(revision)
    return Path(script.path).stem if script is not None and script.path else revision


def current(db: Database) -> tuple[str, ...]:
    """The revisions the database's schema is at (none for an empty database)."""
    with db.engine.connect() as conn, conn.begin():
        return stored_revisions(conn)


def stored_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions in the database's alembic_version table (read quietly: Alembic's own look logs at INFO)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return ()
    return tuple(sorted(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()))


def release() -> str:
    """This build's version, as `incidentd --version` prints it."""
    try:
        return importlib.metadata.version("incidentd")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(unknown version)"
