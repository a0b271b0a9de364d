"""Readiness: the database answers a trivial query in time and its schema is at the newest migration."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from incidentd.store import migrate
from incidentd.store.db import Database

log = logging.getLogger("incidentd.readiness")

DEFAULT_TIMEOUT_SECONDS = 2.0
# Load balancers and orchestrators ask a few times a second at most, and each of their probes gets a fresh answer.
# Beyond this many in a second (a flood of /readyz from anyone) callers get the last answer: no query each.
PROBES_PER_SECOND = 5


class Readiness:
    """Answers "can this node serve requests now?" without ever waiting longer than the timeout."""

    def __init__(
        self, db: Database, timeout: float = DEFAULT_TIMEOUT_SECONDS, probes_per_second: int = PROBES_PER_SECOND
    ) -> None:
        self.db = db
        self.timeout = timeout
        self.probes_per_second = probes_per_second
        self.heads = frozenset(ScriptDirectory.from_config(migrate.alembic_config(db)).get_heads())
        # Probes run on a thread of their own: a database that hangs (a dead host, a lock) holds that thread,
        # not the caller, and later probes wait for the one in flight instead of piling up behind it.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incidentd-readyz")
        self._lock = threading.Lock()
        self._pending: Future[_Problem | None] | None = None
        self._pending_since = 0.0
        self._last_problem: _Problem | None = None
        # The last answer, given again without asking the database once this second's probes are spent.
        self._answer: _Problem | None = None
        self._answered = False
        self._second = 0
        self._probes_this_second = 0

    def problem(self) -> str | None:
        """None when ready, else why not."""
        now = time.monotonic()
        with self._lock:
            if int(now) != self._second:
                self._second, self._probes_this_second = int(now), 0
            if self._answered and self._probes_this_second >= self.probes_per_second:
                return None if self._answer is None else self._answer.reason
            self._probes_this_second += 1
            if self._pending is None or self._pending.done():
                self._pending = self._executor.submit(self._probe)
                self._pending_since = now
            pending, since = self._pending, self._pending_since
        try:
            # A probe that has already hung past the timeout answers at once: callers don't each wait it out again.
            found = pending.result(timeout=max(0.0, since + self.timeout - now))
        except FutureTimeout:
            found = _Problem(f"the database did not answer within {self.timeout:g} s")
        with self._lock:
            self._answer, self._answered = found, True
            changed, self._last_problem = found != self._last_problem, found
        if changed:
            # Logged when readiness changes, not on every probe of a load balancer.
            if found is None:
                log.info("ready again")
            else:
                log.warning("not ready: %s", found.detail or found.reason)
        return None if found is None else found.reason

    def _probe(self) -> _Problem | None:
        try:
            found = self._check()
        except Exception as exc:
            found = _Problem(f"the readiness check failed: {exc.__class__.__name__}", repr(exc))
        log.debug("readiness probe: %s", "ready" if found is None else found.reason)
        return found

    def _check(self) -> _Problem | None:
        database = sa.engine.make_url(self.db.url).database
        if self.db.dialect == "sqlite" and database and database != ":memory:" and not Path(database).exists():
            # Open connections still work on a deleted file, but nothing written now would survive a restart.
            return _Problem("the database file is gone", f"{database} no longer exists")
        try:
            with self.db.read() as conn:
                revisions = frozenset(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
        except sa.exc.SQLAlchemyError as exc:
            # The answer names only the error class: the details (host names, users) go to the log.
            return _Problem(f"the database does not answer ({exc.__class__.__name__})", str(exc).splitlines()[0])
        if revisions != self.heads:
            return _Problem(f"the schema is at {sorted(revisions)}, not at the newest migration {sorted(self.heads)}")
        return None


@dataclass(frozen=True)
class _Problem:
    """Why a node is not ready: a reason to answer with and details for the log."""

    reason: str
    detail: str = ""
