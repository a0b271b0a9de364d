"""Every part of incidentd's own code the benchmark uses, imported here alone so that a move in src/ is fixed once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from incidentd import cli, config
from incidentd.api.invoke import Invoker
from incidentd.auth import policy
from incidentd.clock import SystemClock
from incidentd.engine.jobs import load_all as job_handlers
from incidentd.engine.worker import Worker
from incidentd.server import processes
from incidentd.server.asgi import Application
from incidentd.server.dispatch import Dispatcher
from incidentd.store import incidents as incident_store
from incidentd.store import migrate, paging, queue
from incidentd.store.db import Database, normalise_url
from incidentd.store.tables import JsonText, incidents, jobs, metadata, response_plans, tags, timeline_events

__all__ = [
    "Application",
    "Database",
    "Dispatcher",
    "Invoker",
    "JsonText",
    "SystemClock",
    "Worker",
    "cli",
    "config",
    "incident_store",
    "incidents",
    "job_handlers",
    "jobs",
    "metadata",
    "migrate",
    "normalise_url",
    "paging",
    "policy",
    "processes",
    "queue",
    "reading",
    "response_plans",
    "tags",
    "timeline_events",
]


@contextlib.contextmanager
def reading(database_url: str) -> Iterator[sa.Connection]:
    """One read-only snapshot of a database, through a connection opened for it and closed after."""
    db = Database(database_url, pool_size=1)
    try:
        with db.read() as conn:
            yield conn
    finally:
        db.dispose()
