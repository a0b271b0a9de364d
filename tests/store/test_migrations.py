"""The migrations build exactly the schema that tables.py declares, on both databases."""

import json

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from incidentd.store import migrate
from incidentd.store.db import Database
from incidentd.store.tables import metadata
from support import create_postgres_database, drop_postgres_database


def test_migrated_schema_matches_the_declared_tables(own_database):
    db = Database(own_database)
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    db.dispose()
    assert differences == []


def test_running_migrations_again_changes_nothing(own_database):
    db = Database(own_database)
    migrate.upgrade(db)
    migrate.upgrade(db)
    head = ScriptDirectory.from_config(migrate.alembic_config(db)).get_current_head()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head == "0009"
    db.dispose()


def test_the_console_migration_gives_incidents_stored_before_it_their_titles_and_plans(tmp_path):
    for url in (f"sqlite:///{tmp_path / 'old.db'}", create_postgres_database()):
        db = Database(url)
        config = migrate.alembic_config(db)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0005")
            conn.execute(
                sa.text(
                    "INSERT INTO incidents (account_id, arn, creation_ms, status, impact, created_by, dedupe_string,"
                    " doc) VALUES ('111122223333', :arn, 1, 'OPEN', 3, 'me', '', :doc)"
                ),
                {
                    "arn": "arn:aws:ssm-incidents::111122223333:incident-record/web-plan/01ab",
                    "doc": json.dumps({"title": 'Disk "full" on db-1', "impact": 3}),
                },
            )
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT title, plan_name FROM incidents")).one()
            assert tuple(row) == ('Disk "full" on db-1', "web-plan")
        db.dispose()
        if url.startswith("postgresql"):
            drop_postgres_database(url)
