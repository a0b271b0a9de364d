"""The unit of work: one open transaction over one account's data, at one moment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.store import queue
from incidentd.store.db import Database

Job = tuple[str, dict[str, Any]]  # a job kind and its payload


@dataclass(slots=True)  # not frozen: one is made per request, and a frozen dataclass's __init__ costs a microsecond
class Unit:
    """What a service reads and writes through: the transaction, the account whose rows it touches, and now.

    Jobs written through it join the transaction, so they exist exactly when the state that caused them does (a
    transactional outbox). An API request, a job and an alert each make one; a transaction that touches several
    accounts (a text acknowledging pages of two accounts) makes one per account over the same connection. What
    carries more (a call's context, the runbook engine's view) extends it, and is passed where a unit is wanted.
    """

    conn: Connection
    db: Database
    account_id: str
    now_ms: int

    @property
    def now(self) -> float:
        """The unit's moment in epoch seconds, as the wire carries timestamps."""
        return self.now_ms / 1000

    def enqueue(self, kind: str, payload: dict[str, Any], delay_ms: int = 0) -> None:
        """Schedule a job in this transaction, due delay_ms from the unit's moment."""
        queue.enqueue(self.conn, self.account_id, kind, payload, self.now_ms + delay_ms, self.now_ms)

    def enqueue_many(self, jobs: list[Job]) -> None:
        """Schedule several jobs due now, with one statement."""
        queue.enqueue_many(self.conn, self.account_id, jobs, self.now_ms, self.now_ms)

    def lock(self, key: str) -> None:
        """Hold a named lock until the transaction ends (PostgreSQL; SQLite already has one writer)."""
        self.db.lock(self.conn, key)
