"""Runs the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

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
    """Bring the schema to the newest revision; safe to run on every start and from several nodes."""
    config = alembic_config(db)
    with db.engine.connect() as conn:
        conn.info["begin"] = "BEGIN IMMEDIATE"
        with conn.begin():
            # Two nodes starting together must not both create the tables.
            db.lock(conn, "incidentd-migrations")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
