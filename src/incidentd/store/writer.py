"""Group commit: one writer thread runs queued write units together and makes them durable with one commit.

SQLite has a single writer anyway, and each durable commit costs an fsync; running the writes that arrive
together in one transaction pays that cost once per batch instead of once per request. Each unit runs in its
own savepoint, so one that fails is undone alone, and nobody hears "done" before the batch is committed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.store.db import Database

log = logging.getLogger("incidentd.writer")

Unit = Callable[[Connection], Any]


class GroupCommitWriter:
    """Runs write units on one thread, many to a transaction."""

    def __init__(self, db: Database, max_batch: int = 64) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Unit, Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="incidentd-writer", daemon=True)
        self._thread.start()

    def submit(self, unit: Unit) -> Future[Any]:
        """Queue a unit; its future resolves once the unit's batch is committed (or the unit failed)."""
        future: Future[Any] = Future()
        self._queue.put((unit, future))
        return future

    def close(self) -> None:
        """Finish the queued units and stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._run(batch)

    def _run(self, batch: list[tuple[Unit, Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            with self.db.write() as conn:
                # Savepoints straight on the driver: SQLAlchemy's nested transactions cost more than the
                # writes they protect.
                driver = conn.connection.dbapi_connection
                assert driver is not None
                for unit, future in batch:
                    driver.execute("SAVEPOINT unit")
                    try:
                        result = unit(conn)
                    except Exception as exc:  # the unit's own failure: undo it alone
                        driver.execute("ROLLBACK TO SAVEPOINT unit")
                        driver.execute("RELEASE SAVEPOINT unit")
                        outcomes.append((future, None, exc))
                    else:
                        driver.execute("RELEASE SAVEPOINT unit")
                        outcomes.append((future, result, None))
        except Exception as exc:
            # The commit itself failed (a full disk, a lost connection): nothing in the batch happened.
            log.error("a batch of %d writes failed to commit: %s", len(batch), exc)
            for _, future in batch:
                future.set_exception(exc)
            return
        for future, result, error in outcomes:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
