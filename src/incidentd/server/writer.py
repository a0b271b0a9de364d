"""Group commit: one writer thread runs queued write units together and makes them durable with one commit.

SQLite has a single writer anyway, and each durable commit costs an fsync; running the writes that arrive
together in one transaction pays that cost once per batch instead of once per request. Each unit runs in its
own savepoint, so one that fails is undone alone, and nobody hears "done" before the batch is committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.store.db import Database

log = logging.getLogger("incidentd.writer")

Unit = Callable[[Connection], Any]
Answer = asyncio.Future[Any]  # resolved on the event loop that submitted the unit
Outcome = tuple[Answer, Any, BaseException | None]


class GroupCommitWriter:
    """Runs write units on one thread, many to a transaction."""

    def __init__(self, db: Database, max_batch: int = 64) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Unit, Answer] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="incidentd-writer", daemon=True)
        self._thread.start()

    def submit(self, unit: Unit) -> asyncio.Future[Any]:
        """Queue a unit from a running event loop; the future resolves on that loop once the unit's batch is
        committed (or the unit failed).

        Waking a loop from another thread costs a write to its self-pipe and a hand-over of the interpreter
        lock; a batch's answers are handed to the loop together, with one wake-up instead of one per unit.
        """
        future = asyncio.get_running_loop().create_future()
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

    def _run(self, batch: list[tuple[Unit, Answer]]) -> None:
        outcomes: list[Outcome] = []
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
            outcomes = [(future, None, exc) for _, future in batch]
        _answer(outcomes)


def _answer(outcomes: list[Outcome]) -> None:
    """Resolve each event loop's futures in one call on that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
    for loop, answers in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_all, answers)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting for these answers any more


def _settle_all(outcomes: list[Outcome]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():
            continue  # a waiter that went away (a closed connection)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
