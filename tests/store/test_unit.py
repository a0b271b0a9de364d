"""The unit of work: jobs written through it join its transaction, due from its moment."""

from __future__ import annotations

import pytest

from incidentd.store import queue
from incidentd.store.db import Database
from incidentd.store.unit import Unit

NOW_MS = 1_800_000_000_000


def test_jobs_join_the_transaction_and_fall_due_from_the_units_moment(own_database: str) -> None:
    """A job is due delay_ms after the unit's moment, and exists only if the transaction commits."""
    db = Database(own_database)
    try:
        with db.write() as conn:
            unit = Unit(conn, db, "111122223333", NOW_MS)
            unit.enqueue("test.unit", {"n": 1}, delay_ms=5_000)
            unit.enqueue_many([("test.unit", {"n": 2}), ("test.unit", {"n": 3})])
        with pytest.raises(RuntimeError), db.write() as conn:
            Unit(conn, db, "111122223333", NOW_MS).enqueue("test.unit", {"n": 4})
            raise RuntimeError("the request failed: its jobs must go with it")
        with db.read() as conn:
            found = queue.pending(conn, "111122223333", "test.unit")
        assert sorted((job["payload"]["n"], job["run_at_ms"] - NOW_MS, job["created_ms"]) for job in found) == [
            (1, 5_000, NOW_MS),
            (2, 0, NOW_MS),
            (3, 0, NOW_MS),
        ]
        assert Unit(conn, db, "111122223333", NOW_MS).now == NOW_MS / 1000
    finally:
        db.dispose()
