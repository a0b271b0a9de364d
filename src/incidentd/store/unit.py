"""The unit of work: one open transaction over one account's data, at one moment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.store import queue
from incidentd.store.db import Database

Job = tuple[str, dict[str, Any]]  # a job kind and its payload


@dataclass(frozen=True, slots=True)
class Unit:
    """What a service reads and writes through: the transaction, the account whose rows it touches, and now.

    Jobs written through it join the transaction, so they exist exactly when the state that caused them
    does. An API request, a job and an alert each open one; a transaction that touches several
    accounts (a text acknowledging pages of two accounts) makes one per account over the same connection.
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

    def of_account(self, account_id: str) -> Unit:
        """The same transaction and moment over another account's rows."""
        return dataclasses.replace(self, account_id=account_id)
