"""Job kinds: one module per kind, each registering the function that runs one step of it."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.channels import Transports
from incidentd.clock import Clock
from incidentd.config import Settings
from incidentd.services.invoke import Invoke
from incidentd.store import incidents, queue
from incidentd.store.db import Database
from incidentd.store.unit import Unit


class LeaseLost(Exception):
    """Another worker took the job over: this worker's outcome must not be recorded."""


@dataclass(frozen=True)
class Runtime:
    """What every job of a worker shares: the database, the clock, the settings, the transports and invoke."""

    db: Database
    clock: Clock
    settings: Settings
    transports: Transports  # how pages and activation codes leave, per channel type
    invoke: Invoke  # how runbook steps call operations (aws:executeAwsApi)


@dataclass
class JobContext:
    """One job being run: inside the transaction that records its outcome, or (for effects) beside it."""

    runtime: Runtime
    open_conn: Connection | None  # None for an effect job, which opens its own with transaction()
    job: queue.Job
    now_ms: int
    finished: bool = False
    # The parts of one RESPOND job share their reads of the incident (see incident()).
    incidents_read: dict[str, dict[str, Any] | None] | None = None

    @property
    def db(self) -> Database:
        """The database."""
        return self.runtime.db

    @property
    def settings(self) -> Settings:
        """The node's settings."""
        return self.runtime.settings

    def current_ms(self) -> int:
        """The time now, for an effect that waited on the network since the job started at now_ms."""
        return self.runtime.clock.now_ms()

    @property
    def conn(self) -> Connection:
        """The transaction the job runs in (not for effect jobs)."""
        if self.open_conn is None:
            raise RuntimeError(f"{self.job.kind} is an effect job: open a transaction with ctx.transaction()")
        return self.open_conn

    @functools.cached_property
    def unit(self) -> Unit:
        """The job's unit of work: its transaction over its account, at the moment it started."""
        return Unit(self.conn, self.db, self.job.account_id, self.now_ms)

    def unit_in(self, conn: Connection) -> Unit:
        """An effect's unit of work: a transaction it opened, at the moment it opened it."""
        return Unit(conn, self.db, self.job.account_id, self.current_ms())

    def incident(self, arn: str) -> dict[str, Any] | None:
        """The incident record as this transaction sees it, for parts that only read it (engagements, notices).

        The parts of a RESPOND job run one after the other in one transaction and read the same record; they
        read it once. A part that changes the record (a runbook's start) reads it afresh, as services do.
        """
        if self.incidents_read is None:
            return incidents.get(self.conn, self.job.account_id, arn)
        if arn not in self.incidents_read:
            self.incidents_read[arn] = incidents.get(self.conn, self.job.account_id, arn)
        return self.incidents_read[arn]

    def enqueue(self, kind: str, payload: dict[str, Any], delay_ms: int = 0, conn: Connection | None = None) -> None:
        """Schedule a follow-up job in this job's transaction (or the given one)."""
        target = conn if conn is not None else self.conn
        queue.enqueue(target, self.job.account_id, kind, payload, self.now_ms + delay_ms, self.now_ms)

    def read(self) -> AbstractContextManager[Connection]:
        """A read snapshot: for what an effect job looks up before it acts, without taking the write lock."""
        return self.db.read()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """The write transaction that records an effect's outcome; it must end with finish(), which fences it."""
        with self.db.write() as conn:
            yield conn
            if not self.finished:
                raise RuntimeError(f"{self.job.kind}: an effect's transaction must finish the job")

    def finish(self, conn: Connection) -> None:
        """Mark the job done in the same transaction as its recorded outcome, so a crash can't split them."""
        if not queue.finish(conn, self.job, self.now_ms):
            raise LeaseLost(self.job.id)
        self.finished = True


JobHandler = Callable[[JobContext], None]


JOB_HANDLERS: dict[str, JobHandler] = {}
EFFECT_KINDS: set[str] = set()


def job_kind(kind: str, *, effect: bool = False) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of one kind.

    An effect job (a page, an e-mail) must not hold the database's write lock while it waits on a network
    peer: it gets no connection and opens short ones with ctx.transaction(), finishing itself with ctx.finish().
    """

    def register(handler: JobHandler) -> JobHandler:
        JOB_HANDLERS[kind] = handler
        if effect:
            EFFECT_KINDS.add(kind)
        return handler

    return register


def load_all() -> dict[str, JobHandler]:
    """Import every job module of this package so that the table is complete (importing registers the kinds)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return JOB_HANDLERS
