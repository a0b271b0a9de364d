"""Alembic environment: runs on the connection incidentd hands it, against incidentd's metadata."""

from alembic import context

from incidentd.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
