"""Engine set-up per dialect and the transactions every request and job runs in."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

DEFAULT_SQLITE_PATH = Path("data") / "incidentd.db"


def default_url() -> str:
    """The embedded default: a SQLite file in a data folder under the working directory."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """One database: a pooled engine and transactions that take the right locks on each dialect."""

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = normalise_url(url)
        self.dialect = sa.engine.make_url(self.url).get_backend_name()
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()
        # SQLite has one writer at a time, and a connection that finds the lock taken sleeps in SQLite's busy
        # handler for up to 100 ms between tries. Threads of this process queue on a Python lock instead, which
        # hands over the moment the writer commits. (Other processes still meet the busy handler.)
        self._write_turn: threading.RLock | None = threading.RLock() if self.dialect == "sqlite" else None
        # No cap on overflow: every thread that reads keeps a connection for good (see _reader), so a capped pool
        # would starve writers once there are more threads than connections (request pool, worker, effect
        # threads). The threads are bounded, so the connections are too: at most two per thread.
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, pool_size)
        else:
            self.engine = sa.create_engine(self.url, pool_size=pool_size, max_overflow=-1, pool_pre_ping=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed when the block ends without an exception."""
        with self._write_turn or contextlib.nullcontext(), self.engine.connect() as conn:
            conn.info["begin"] = "BEGIN IMMEDIATE"
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: one snapshot on SQLite, a snapshot per statement on PostgreSQL."""
        # Each thread keeps one reading connection: checking one out of the pool per request costs more
        # than the read itself.
        conn = self._reader()
        if self.dialect != "sqlite":
            with conn.begin():
                yield conn
            return
        # SQLite: the reader's SQLAlchemy transaction stays open for good (see _reader), and each read is a
        # snapshot taken straight on the driver, which costs a fifth of a SQLAlchemy begin and commit.
        driver = conn.connection.driver_connection
        driver.execute("BEGIN")
        try:
            yield conn
        finally:
            if driver.in_transaction:
                driver.execute("COMMIT")

    def _reader(self) -> Connection:
        conn: Connection | None = getattr(self._local, "reader", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
            conn.info["begin"] = "BEGIN"
            if self.dialect == "postgresql":
                # READ COMMITTED already gives each statement its own snapshot, so BEGIN and COMMIT would
                # only add two round trips to every read.
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            else:
                # An open SQLAlchemy transaction that emits nothing: read() begins and commits each snapshot
                # on the driver, and SQLAlchemy never autobegins behind its back.
                conn.info["begin"] = None
                conn.begin()
            self._local.reader = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def lock(self, conn: Connection, key: str) -> None:
        """Serialise writers on one key until the transaction ends (SQLite's writer lock already does)."""
        if self.dialect == "postgresql":
            number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})

    def dispose(self) -> None:
        """Close every pooled connection and every thread's reading connection."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self.engine.dispose()


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=-1)
    synchronous = os.environ.get("INCIDENTD_SQLITE_SYNCHRONOUS", "FULL").upper()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # The driver's own transaction handling is switched off so that writers can BEGIN IMMEDIATE:
        # taking the write lock up front avoids the deadlock-prone upgrade from a read lock.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # Straight to the driver: this runs for every request, and SQLAlchemy's statement path costs more than BEGIN.
        statement = conn.info.get("begin", "BEGIN")
        if statement is not None:
            conn.connection.driver_connection.execute(statement)

    return engine
