"""The job queue and worker: due jobs run once, in order, on the engine's clock; failures retry; leases expire."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from incidentd import config
from incidentd.api.invoke import Invoker
from incidentd.clock import FakeClock
from incidentd.config import Settings
from incidentd.domain import response
from incidentd.domain.retry import JOBS
from incidentd.engine import worker as worker_module
from incidentd.engine.jobs import EFFECT_KINDS, JOB_HANDLERS, JobContext
from incidentd.engine.worker import Worker
from incidentd.store import queue
from incidentd.store.db import Database
from incidentd.store.tables import jobs

START = 1_800_000_000_000
ran: list[tuple[str, dict]] = []  # type: ignore[type-arg]
failures_left = {"count": 0}


def _record(ctx: JobContext) -> None:
    ran.append((ctx.job.kind, ctx.job.payload))
    if ctx.job.payload.get("follow_up"):
        ctx.enqueue("test.record", {"n": ctx.job.payload["n"] + 1}, delay_ms=60_000)


def _flaky(ctx: JobContext) -> None:
    if failures_left["count"] > 0:
        # Work done before the failure must be undone with it.
        ctx.enqueue("test.record", {"n": -1})
        failures_left["count"] -= 1
        raise RuntimeError("provider down")
    ran.append((ctx.job.kind, ctx.job.payload))


@pytest.fixture
def engine(own_database):  # type: ignore[no-untyped-def]
    """A worker on a fake clock over an empty job table, knowing two test job kinds."""
    JOB_HANDLERS["test.record"] = _record
    JOB_HANDLERS["test.flaky"] = _flaky
    ran.clear()
    db = Database(own_database)
    with db.write() as conn:
        conn.execute(sa.delete(jobs))
    clock = FakeClock(START)
    worker = Worker(db, clock, Invoker(db, clock, Settings()).invoke)
    yield db, clock, worker
    JOB_HANDLERS.pop("test.record")
    JOB_HANDLERS.pop("test.flaky")
    db.dispose()


def _enqueue(db: Database, kind: str, payload: dict, run_at: int) -> None:  # type: ignore[type-arg]
    with db.write() as conn:
        queue.enqueue(conn, "111122223333", kind, payload, run_at, START)


def test_a_job_runs_only_when_it_is_due(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    _enqueue(db, "test.record", {"n": 1}, START + 5_000)
    assert worker.run_once() == 0
    clock.advance(5_000)
    assert worker.run_once() == 1
    assert ran == [("test.record", {"n": 1})]
    assert worker.run_once() == 0


def test_due_jobs_run_in_run_at_order(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    for n, delay in ((1, 3_000), (2, 1_000), (3, 2_000)):
        _enqueue(db, "test.record", {"n": n}, START + delay)
    clock.advance(3_000)
    worker.run_once()
    assert [payload["n"] for _, payload in ran] == [2, 3, 1]


def test_a_job_schedules_its_next_step_in_its_own_transaction(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    _enqueue(db, "test.record", {"n": 1, "follow_up": True}, START)
    worker.run_once()
    with db.read() as conn:
        follow_up = queue.pending(conn, kind="test.record")
    assert [(j["payload"], j["run_at_ms"]) for j in follow_up] == [({"n": 2}, START + 60_000)]
    clock.advance(60_000)
    worker.run_once()
    assert [payload["n"] for _, payload in ran] == [1, 2]


def test_a_failing_job_is_retried_with_back_off_and_not_lost(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    failures_left["count"] = 2
    _enqueue(db, "test.flaky", {"n": 1}, START)
    worker.run_once()
    assert ran == []
    clock.advance(JOBS.delay_ms(1))
    worker.run_once()
    assert ran == []
    clock.advance(JOBS.delay_ms(2))
    worker.run_once()
    assert ran == [("test.flaky", {"n": 1})]
    with db.read() as conn:
        row = conn.execute(sa.select(jobs.c.state, jobs.c.attempts)).one()
    assert (row.state, row.attempts) == ("done", 3)


def test_jobs_of_kinds_this_worker_does_not_know_stay_queued(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    _enqueue(db, "response.engage_contact", {"n": 1}, START)
    worker.run_once()
    with db.read() as conn:
        assert [j["state"] for j in queue.pending(conn, kind="response.engage_contact")] == ["queued"]


def test_a_dead_workers_lease_is_taken_over_and_its_late_result_ignored(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    _enqueue(db, "test.record", {"n": 1}, START)
    with db.write() as conn:
        (claimed,) = queue.claim(conn, "dead-worker", ["test.record"], START, 30_000, 10)
    assert worker.run_once() == 0  # leased by the dead worker
    clock.advance(30_001)
    assert worker.run_once() == 1
    with db.write() as conn:
        assert queue.finish(conn, claimed, clock.now_ms()) is False  # the fenced-out worker can't finish it
    assert len(ran) == 1


def test_concurrent_workers_never_run_a_job_twice(engine):  # type: ignore[no-untyped-def]
    db, clock, _ = engine
    with db.write() as conn:
        queue.enqueue_many(conn, "111122223333", [("test.record", {"n": n}) for n in range(600)], START, START)
    workers = [Worker(db, clock, Invoker(db, clock, Settings()).invoke) for _ in range(6)]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(payload["n"] for _, payload in ran) == list(range(600))


def test_concurrent_claims_never_lease_a_job_twice(engine):  # type: ignore[no-untyped-def]
    # Many small claims side by side: on PostgreSQL a claim whose snapshot predates another's commit
    # must re-check the row it locks, or it leases a job that is already running.
    db, clock, _ = engine
    with db.write() as conn:
        queue.enqueue_many(conn, "111122223333", [("test.record", {"n": n}) for n in range(2000)], START, START)
    leased: list[int] = []

    def claim_until_empty(owner: str) -> None:
        while True:
            with db.write() as conn:
                claimed = queue.claim(conn, owner, ["test.record"], START, 60_000, 1)
            if not claimed:
                return
            leased.extend(job.id for job in claimed)

    threads = [threading.Thread(target=claim_until_empty, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(leased) == 2000
    assert len(set(leased)) == 2000


def test_a_failing_job_is_undone_alone_and_the_others_of_its_batch_stand(engine):  # type: ignore[no-untyped-def]
    # On SQLite one claimed batch runs in one transaction, a savepoint per job: the failure must not take
    # the other jobs' work (here a scheduled follow-up) down with it, nor be lost itself.
    db, clock, worker = engine
    failures_left["count"] = 1
    with db.write() as conn:
        queue.enqueue_many(
            conn,
            "111122223333",
            [("test.record", {"n": 1, "follow_up": True}), ("test.flaky", {"n": 5}), ("test.record", {"n": 7})],
            START,
            START,
        )
    assert worker.run_once() == 3
    assert [payload["n"] for _, payload in ran] == [1, 7]
    with db.read() as conn:
        states = {
            row.kind: (row.state, row.attempts, row.last_error is not None)
            for row in conn.execute(sa.select(jobs.c.kind, jobs.c.state, jobs.c.attempts, jobs.c.last_error))
            if row.kind == "test.flaky"
        }
        follow_up = queue.pending(conn, kind="test.record")
    assert states == {"test.flaky": ("queued", 1, True)}
    assert [j["payload"] for j in follow_up] == [{"n": 2}]  # the failed job's own follow-up was undone
    clock.advance(JOBS.delay_ms(1))
    worker.run_once()
    assert ("test.flaky", {"n": 5}) in ran


def test_a_respond_job_runs_its_parts_in_order_and_queues_a_failed_part_alone(engine):  # type: ignore[no-untyped-def]
    # StartIncident's response is one job; a part that fails must neither take the others down nor make them
    # run again (a contact engaged twice), and must itself be retried like any job.
    db, clock, worker = engine
    failures_left["count"] = 1
    parts = [["test.record", {"n": 1}], ["test.flaky", {"n": 2}], ["test.record", {"n": 3}]]
    _enqueue(db, response.RESPOND, {"incidentArn": "arn", "parts": parts}, START)

    worker.run_once()

    assert ran == [("test.record", {"n": 1}), ("test.record", {"n": 3})]
    with db.read() as conn:
        rows = conn.execute(sa.select(jobs.c.kind, jobs.c.state, jobs.c.attempts, jobs.c.run_at_ms, jobs.c.last_error))
        by_kind = {row.kind: row for row in rows}
    assert set(by_kind) == {response.RESPOND, "test.flaky"}  # the failed part's own follow-up (n=-1) was undone
    assert by_kind[response.RESPOND].state == "done"
    retry = by_kind["test.flaky"]
    assert (retry.state, retry.attempts, retry.run_at_ms) == ("queued", 1, START + JOBS.delay_ms(1))
    assert "provider down" in retry.last_error

    clock.advance(JOBS.delay_ms(1))
    worker.run_once()

    assert ran == [("test.record", {"n": 1}), ("test.record", {"n": 3}), ("test.flaky", {"n": 2})]


def test_an_effect_in_a_respond_job_is_queued_alone_not_run_in_its_transaction(engine):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    EFFECT_KINDS.add("test.record")
    try:
        _enqueue(db, response.RESPOND, {"incidentArn": "arn", "parts": [["test.record", {"n": 1}]]}, START)
        with db.write() as conn:
            queue.claim(conn, worker.owner, [response.RESPOND], START, 60_000, 1)
        # Run only the RESPOND job, by hand, as the worker would in its transaction.
        with db.write() as conn:
            (job,) = [j for j in queue.pending(conn) if j["kind"] == response.RESPOND]
            claimed = queue.Job(job["id"], job["account_id"], job["kind"], job["payload"], 1, worker.owner)
            JOB_HANDLERS[response.RESPOND](JobContext(db, conn, claimed, START))
        assert ran == []
        with db.read() as conn:
            assert [j["payload"] for j in queue.pending(conn, kind="test.record")] == [{"n": 1}]
    finally:
        EFFECT_KINDS.discard("test.record")


DAY_MS = 86_400_000


def _job_row(kind: str, state: str, run_at: int, finished: int | None) -> dict:  # type: ignore[type-arg]
    return {
        "account_id": "111122223333",
        "kind": kind,
        "payload": {},
        "state": state,
        "run_at_ms": run_at,
        "attempts": 1,
        "created_ms": run_at,
        "finished_ms": finished,
    }


def _states(db: Database) -> list[tuple[str, int]]:
    with db.read() as conn:
        return sorted((r.state, r.run_at_ms) for r in conn.execute(sa.select(jobs.c.state, jobs.c.run_at_ms)))


def test_only_done_jobs_past_the_cut_off_are_pruned(engine):  # type: ignore[no-untyped-def]
    db, _, _ = engine
    cut_off = START
    rows = [
        _job_row("test.record", "done", cut_off - 2 * DAY_MS, cut_off - DAY_MS),  # old: goes
        _job_row("test.record", "done", cut_off - DAY_MS, cut_off - 1),  # old: goes
        _job_row("test.record", "done", cut_off - DAY_MS, cut_off),  # finished at the cut-off: stays
        _job_row("test.record", "done", cut_off - 3 * DAY_MS, cut_off + 5),  # due long ago, finished now: stays
        _job_row("test.record", "failed", cut_off - 2 * DAY_MS, cut_off - DAY_MS),  # for operators: stays
        _job_row("test.record", "queued", cut_off - 2 * DAY_MS, None),
        _job_row("test.record", "running", cut_off - 2 * DAY_MS, None),
        _job_row("other.kind", "done", cut_off - 2 * DAY_MS, cut_off - DAY_MS),  # not a kind asked for
    ]
    with db.write() as conn:
        conn.execute(sa.insert(jobs), rows)
    with db.write() as conn:
        assert queue.prune_done(conn, ["test.record", "test.flaky"], cut_off, limit=1) == 1
    with db.write() as conn:
        assert queue.prune_done(conn, ["test.record", "test.flaky"], cut_off, limit=10) == 1
        assert queue.prune_done(conn, ["test.record", "test.flaky"], cut_off, limit=10) == 0
    assert _states(db) == sorted(
        [
            ("done", cut_off - DAY_MS),
            ("done", cut_off - 3 * DAY_MS),
            ("failed", cut_off - 2 * DAY_MS),
            ("queued", cut_off - 2 * DAY_MS),
            ("running", cut_off - 2 * DAY_MS),
            ("done", cut_off - 2 * DAY_MS),  # other.kind
        ]
    )


def test_the_worker_prunes_done_jobs_once_they_are_older_than_kept_in_batches(engine, monkeypatch):  # type: ignore[no-untyped-def]
    db, clock, worker = engine
    monkeypatch.setattr(worker_module, "PRUNE_BATCH", 2)
    for n in range(5):
        _enqueue(db, "test.record", {"n": n}, START)
    worker.run_once()
    _enqueue(db, "test.record", {"n": 99}, START + 8 * DAY_MS)  # queued, not yet due: must survive
    clock.advance(7 * DAY_MS)  # exactly the default seven days after they finished: kept
    assert worker.prune() == 0
    clock.advance(1)
    assert worker.prune() == 5
    assert _states(db) == [("queued", START + 8 * DAY_MS)]


def test_keep_done_jobs_days_is_read_from_the_worker_section_and_must_be_positive(engine, tmp_path):  # type: ignore[no-untyped-def]
    db, clock, _ = engine
    path = tmp_path / "incidentd.toml"
    path.write_text("[worker]\nkeep_done_jobs_days = 0.5\n")
    settings = config.load(str(path), environ={})
    assert Worker(db, clock, Invoker(db, clock, settings).invoke, settings).keep_done_ms == DAY_MS // 2
    path.write_text("[worker]\nkeep_done_jobs_days = 0\n")
    with pytest.raises(config.ConfigError, match="keep_done_jobs_days"):
        config.load(str(path), environ={})
