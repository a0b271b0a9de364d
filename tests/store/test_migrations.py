"""The migrations build exactly the schema that tables.py declares, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from incidentd.store import migrate
from incidentd.store.db import Database
from incidentd.store.tables import metadata


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
        assert MigrationContext.configure(conn).get_current_revision() == head == "0005"
    db.dispose()
