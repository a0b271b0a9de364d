"""Job kinds: one module per kind, each registering the function that runs one step of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.engine import queue
from incidentd.store.db import Database


@dataclass
class JobContext:
    """One job being run, inside the transaction that will record its outcome."""

    db: Database
    conn: Connection
    job: queue.Job
    now_ms: int
    settings: Any = None

    def enqueue(self, kind: str, payload: dict[str, Any], delay_ms: int = 0) -> None:
        """Schedule a follow-up job in this job's transaction."""
        queue.enqueue(self.conn, self.job.account_id, kind, payload, self.now_ms + delay_ms, self.now_ms)


JobHandler = Callable[[JobContext], None]

JOB_HANDLERS: dict[str, JobHandler] = {}


def job_kind(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of one kind."""

    def register(handler: JobHandler) -> JobHandler:
        JOB_HANDLERS[kind] = handler
        return handler

    return register


def load_all() -> dict[str, JobHandler]:
    """Import every job module so that the table is complete."""
    from incidentd.engine.jobs import replication_set  # noqa: F401  (imports register the kinds)

    return JOB_HANDLERS
