"""Claims are fair across accounts: one account's backlog never keeps another's due job waiting behind it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from incidentd.store import queue
from incidentd.store.db import Database
from incidentd.store.tables import jobs

START = 1_800_000_000_000
FLOODER, QUIET, THIRD = "111100001111", "222200002222", "333300003333"
KIND = "test.fair"


@pytest.fixture
def db(own_database):  # type: ignore[no-untyped-def]
    """An empty job table."""
    database = Database(own_database)
    with database.write() as conn:
        conn.execute(sa.delete(jobs))
    yield database
    database.dispose()


def _flood(db: Database, account: str, count: int, run_at: int) -> None:
    with db.write() as conn:
        queue.enqueue_many(conn, account, [(KIND, {"n": n}) for n in range(count)], run_at, run_at)


def _claim(db: Database, limit: int, kinds: tuple[str, ...] = (KIND,), owner: str = "w") -> list[queue.Job]:
    with db.write() as conn:
        return queue.claim(conn, owner, kinds, START + 60_000, 60_000, limit)


def test_another_accounts_job_is_claimed_ahead_of_a_backlog_that_fell_due_before_it(db):  # type: ignore[no-untyped-def]
    _flood(db, FLOODER, 2000, START)
    _flood(db, QUIET, 1, START + 1000)
    claimed = _claim(db, 8)
    assert len(claimed) == 8
    assert QUIET in [job.account_id for job in claimed]


def test_each_account_with_due_work_gets_a_turn_in_every_claim(db):  # type: ignore[no-untyped-def]
    _flood(db, FLOODER, 500, START)
    _flood(db, QUIET, 3, START + 1000)
    _flood(db, THIRD, 3, START + 2000)
    first = _claim(db, 4)
    assert sorted(job.account_id for job in first).count(FLOODER) <= 2
    assert {QUIET, THIRD} <= {job.account_id for job in first}
    # Every job is still claimed exactly once, whatever the order.
    seen = [job.id for job in first]
    while batch := _claim(db, 32):
        seen += [job.id for job in batch]
    assert len(seen) == len(set(seen)) == 506


def test_within_one_account_jobs_are_claimed_in_the_order_they_fell_due(db):  # type: ignore[no-untyped-def]
    with db.write() as conn:
        for n in (3, 1, 2):
            queue.enqueue(conn, QUIET, KIND, {"n": n}, START + n, START)
    claimed = _claim(db, 10)
    assert [job.payload["n"] for job in claimed] == [1, 2, 3]


def test_jobs_not_yet_due_and_kinds_not_asked_for_are_left_alone(db):  # type: ignore[no-untyped-def]
    _flood(db, FLOODER, 5, START + 3_600_000)
    with db.write() as conn:
        queue.enqueue(conn, QUIET, "test.other", {"n": 1}, START, START)
        queue.enqueue(conn, THIRD, KIND, {"n": 1}, START, START)
    claimed = _claim(db, 10)
    assert [(job.account_id, job.kind) for job in claimed] == [(THIRD, KIND)]
