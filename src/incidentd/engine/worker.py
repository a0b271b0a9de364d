"""The worker: claims due jobs, runs each in its own transaction, retries failures with back-off."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Connection

from incidentd.channels import Transports
from incidentd.clock import Clock
from incidentd.config import Settings
from incidentd.domain import retry
from incidentd.engine.jobs import EFFECT_KINDS, JOB_HANDLERS, JobContext, JobHandler, LeaseLost, Runtime, load_all
from incidentd.services.invoke import Invoke
from incidentd.store import queue
from incidentd.store.db import Database

log = logging.getLogger("incidentd.worker")

BATCH = 32
# On PostgreSQL several workers usually share the queue and each job commits on its own, so a large claim buys
# nothing and lets the first worker to poll take a whole burst while the others idle.
SHARED_BATCH = 8
EFFECT_THREADS = 8
WAKE_GAP_SECONDS = 0.02
PRUNE_EVERY_MS = 10 * 60_000
# Done jobs are deleted a batch per transaction, so that pruning a backlog never holds SQLite's write lock long.
PRUNE_BATCH = 1000


class Worker:
    """Runs jobs of every registered kind until stopped."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        invoke: Invoke,
        settings: Settings | None = None,
        transports: Transports | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        settings = settings if settings is not None else Settings()
        # No transports: every channel type's pages wait for one (channels.UnconfiguredTransport).
        self.runtime = Runtime(db, clock, settings, transports if transports is not None else Transports(), invoke)
        self.poll_seconds = settings.worker.poll_seconds
        self.lease_ms = settings.worker.lease_ms
        self.keep_done_ms = int(86_400_000 * settings.worker.keep_done_jobs_days)
        self._pruned_at_ms: int | None = None
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.handlers = load_all()
        self._plain_batch = BATCH if db.dialect == "sqlite" else SHARED_BATCH
        self.wake = threading.Event()
        self._stop = threading.Event()
        # Effects (pages, mails) wait on the network, so several run at once, each in its own thread.
        self._effects = ThreadPoolExecutor(EFFECT_THREADS, thread_name_prefix="incidentd-effect")
        self._effects_in_flight = 0
        self._effects_idle = threading.Condition()

    def run_once(self) -> int:
        """Run every job due now, effects included, and what they make due now; the number run."""
        total = 0
        while True:
            ran = self._pass()
            self._drain()
            total += ran
            if ran == 0:
                return total

    def _pass(self) -> int:
        """Claim and start due jobs until none is left to claim; effects keep running in their threads."""
        ran = 0
        while True:
            now = self.clock.now_ms()
            plain_kinds, effect_kinds, free = self._claimable()
            with self.db.read() as conn:
                if not queue.any_due(conn, plain_kinds + effect_kinds, now):
                    return ran
            embedded = self.db.dialect == "sqlite"
            with self.db.write() as conn:
                plain = queue.claim(conn, self.owner, plain_kinds, now, self.lease_ms, self._plain_batch)
                effects = queue.claim(conn, self.owner, effect_kinds, now, self.lease_ms, free)
                if embedded:
                    # SQLite: the claimed jobs run in the claim's own transaction, so a pass costs one commit.
                    self._run_batch(conn, plain)
            for job in effects:
                self._start_effect(job)
            if not embedded:
                for job in plain:
                    self._run(job)
            ran += len(plain) + len(effects)
            # No early return on a short batch: the jobs just run may have queued follow-ups due now
            # (a page's deliveries), and they should not wait for the next poll.

    def _claimable(self) -> tuple[list[str], list[str], int]:
        """The kinds this pass may claim (jobs run here, then effects), and how many effects a thread is free for.

        A claimed job's lease runs while it waits; claiming effects no thread can start soon would let leases
        expire and another worker send the same page again. Jobs that run on this thread are claimed a batch at
        a time whatever the effects do.
        """
        with self._effects_idle:
            free = EFFECT_THREADS - self._effects_in_flight
        plain = [kind for kind in self.handlers if kind not in EFFECT_KINDS]
        effects = [kind for kind in self.handlers if kind in EFFECT_KINDS] if free > 0 else []
        return plain, effects, min(BATCH, free)

    def _start_effect(self, job: queue.Job) -> None:
        with self._effects_idle:
            self._effects_in_flight += 1
        self._effects.submit(self._effect_thread, job)

    def _effect_thread(self, job: queue.Job) -> None:
        try:
            self._run(job)
        finally:
            with self._effects_idle:
                self._effects_in_flight -= 1
                self._effects_idle.notify_all()
            self.wake.set()  # a thread is free again: effects waiting to be claimed can go

    def _drain(self) -> None:
        """Wait until no effect is running."""
        with self._effects_idle:
            self._effects_idle.wait_for(lambda: self._effects_in_flight == 0)

    def _run(self, job: queue.Job) -> None:
        handler = JOB_HANDLERS[job.kind]
        try:
            if job.kind in EFFECT_KINDS:
                self._run_effect(handler, job)
            else:
                with self.db.write() as conn:
                    self._run_in(conn, job)
        except LeaseLost:
            log.warning("job %s (%s) was taken over by another worker", job.id, job.kind)
        except Exception:
            with self.db.write() as conn:
                self._record_failure(conn, job, traceback.format_exc())

    def _run_batch(self, conn: Connection, jobs: list[queue.Job]) -> None:
        """SQLite: run jobs in the given transaction, each in its own savepoint, so the batch costs one commit.

        SQLite has one writer at a time and each durable commit is an fsync; a burst of incidents' response jobs,
        each committed alone, made the worker spend more on commits than on the jobs. A job that fails is
        undone alone (its savepoint) and its retry is recorded in the same transaction. A crash before the
        commit leaves the jobs queued, as if never claimed. On PostgreSQL each job keeps its own transaction:
        there several workers run side by side, and a long batch would hold the locks its jobs take (advisory
        and row locks) until its last job ends.
        """
        failures: list[tuple[queue.Job, str]] = []
        driver = conn.connection.dbapi_connection
        assert driver is not None
        for job in jobs:
            driver.execute("SAVEPOINT job")
            try:
                self._run_in(conn, job)
            except LeaseLost:
                driver.execute("ROLLBACK TO SAVEPOINT job")
                log.warning("job %s (%s) was taken over by another worker", job.id, job.kind)
            except Exception:
                driver.execute("ROLLBACK TO SAVEPOINT job")
                failures.append((job, traceback.format_exc()))
            driver.execute("RELEASE SAVEPOINT job")
        for job, error in failures:
            self._record_failure(conn, job, error)

    def _run_in(self, conn: Connection, job: queue.Job) -> None:
        """Run a job that is not an effect in the given transaction and mark it done there."""
        ctx = JobContext(self.runtime, conn, job, self.clock.now_ms())
        JOB_HANDLERS[job.kind](ctx)
        ctx.finish(conn)

    def _record_failure(self, conn: Connection, job: queue.Job, error: str) -> None:
        """Log a failed attempt and queue the job again after its back-off, or give up when the policy says."""
        log.error("job %s (%s) failed on attempt %s:\n%s", job.id, job.kind, job.attempts, error)
        now = self.clock.now_ms()
        if retry.JOBS.exhausted(job.attempts):
            queue.fail(conn, job, error, now)
        else:
            queue.retry(conn, job, error, now + retry.JOBS.delay_ms(job.attempts))

    def _run_effect(self, handler: JobHandler, job: queue.Job) -> None:
        ctx = JobContext(self.runtime, None, job, self.clock.now_ms())
        handler(ctx)
        if not ctx.finished:
            with self.db.write() as conn:
                ctx.finish(conn)

    def prune(self) -> int:
        """Delete the done jobs older than [worker] keep_done_jobs_days, a batch at a time; how many went."""
        before_ms = self.clock.now_ms() - self.keep_done_ms
        total = 0
        while not self._stop.is_set():
            with self.db.write() as conn:
                deleted = queue.prune_done(conn, list(self.handlers), before_ms, PRUNE_BATCH)
            total += deleted
            if deleted < PRUNE_BATCH:
                break
        if total:
            log.info("deleted %d done jobs that finished before %s ms", total, before_ms)
        return total

    def _prune_when_due(self) -> None:
        """Prune at start and then every PRUNE_EVERY_MS: often enough that the table stays small."""
        now = self.clock.now_ms()
        if self._pruned_at_ms is None or now - self._pruned_at_ms >= PRUNE_EVERY_MS:
            self._pruned_at_ms = now
            self.prune()

    def run_forever(self) -> None:
        """Poll for due jobs until stop() is called; a request that enqueues work can wake it early."""
        while not self._stop.is_set():
            try:
                self._pass()
                self._prune_when_due()
            except Exception:
                log.exception("worker loop error; retrying")
            self.wake.wait(self.poll_seconds)
            # Under a stream of writes every request wakes the worker; at most one pass per WAKE_GAP
            # keeps it from taking a share of the CPU per request while still starting new work promptly.
            self._stop.wait(WAKE_GAP_SECONDS)
            self.wake.clear()

    def start_thread(self) -> threading.Thread:
        """Run the loop in a daemon thread (the embedded worker of `incidentd serve`)."""
        thread = threading.Thread(target=self.run_forever, name="incidentd-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask the loop to end after the current pass."""
        self._stop.set()
        self.wake.set()
