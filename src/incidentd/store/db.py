"""Engine set-up per dialect and the transactions every request and job runs in."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


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
        # A read on a database on this machine takes less time than handing it to a thread and back (see asgi).
        self.on_this_machine = _on_this_machine(self.url)
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()
        # SQLite has one writer at a time, and a connection that finds the lock taken sleeps in SQLite's busy
        # handler for up to 100 ms between tries. Threads of this process queue on a Python lock instead, which
        # hands over the moment the writer commits.
        self._write_turn: threading.RLock | None = threading.RLock() if self.dialect == "sqlite" else None
        # Other processes on the same file (serve --processes, a separate worker) queue on a file lock for the
        # same reason: flock wakes the next writer when the lock is released, the busy handler only polls.
        # The database's file on SQLite (None in memory and on PostgreSQL).
        self.sqlite_file = _sqlite_file(self.url) if self.dialect == "sqlite" else None
        self._process_turn = _ProcessTurn(self.sqlite_file) if self.dialect == "sqlite" else None
        # No cap on overflow: every thread that reads keeps a connection for good (see _reader), so a capped pool
        # would starve writers once there are more threads than connections (request pool, worker, effect
        # threads). The threads are bounded, so the connections are too: at most two per thread.
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, pool_size)
        else:
            self.engine = _postgres_engine(self.url, pool_size)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed when the block ends without an exception."""
        with (
            self._write_turn or contextlib.nullcontext(),
            self._process_turn or contextlib.nullcontext(),
            self.engine.connect() as conn,
        ):
            conn.info["begin"] = "BEGIN IMMEDIATE"
            with conn.begin():
                yield conn

    def read(self) -> contextlib.AbstractContextManager[Connection]:
        """A read-only transaction: one snapshot on SQLite, a snapshot per statement on PostgreSQL."""
        # Each thread keeps one reading connection: checking one out of the pool per request costs more
        # than the read itself.
        conn = self._reader()
        if self.dialect == "sqlite":
            return _Snapshot(conn)
        return _in_transaction(conn)

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


@contextlib.contextmanager
def _in_transaction(conn: Connection) -> Iterator[Connection]:
    with conn.begin():
        yield conn


class _Snapshot:
    """A SQLite read snapshot begun and committed straight on the driver.

    The reader's SQLAlchemy transaction stays open for good (see Database._reader), so SQLAlchemy never
    autobegins behind the driver's back; a snapshot costs a fifth of a SQLAlchemy begin and commit.
    """

    __slots__ = ("conn", "driver")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.driver: Any = conn.connection.driver_connection

    def __enter__(self) -> Connection:
        self.driver.execute("BEGIN")
        return self.conn

    def __exit__(self, *_: object) -> None:
        if self.driver.in_transaction:
            self.driver.execute("COMMIT")


class _ProcessTurn:
    """An exclusive flock on a file beside the SQLite database, held by the thread that holds the write turn.

    Entered only under Database._write_turn, so one thread at a time touches its state; nested entries by
    that thread take the lock once. The file is opened per process: a descriptor inherited across fork()
    would share its lock with the parent.
    """

    def __init__(self, database: Path | None) -> None:
        self.path = None if database is None else database.with_name(database.name + "-writer.lock")
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0

    def __enter__(self) -> None:
        if self.path is None:
            return
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        self._depth += 1
        if self._depth == 1:
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        if self.path is None:
            return
        self._depth -= 1
        if self._depth == 0:
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _on_this_machine(url: str) -> bool:
    """SQLite, or PostgreSQL over loopback or a unix socket: no network between the server and its database."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return True
    query_hosts = parsed.query.get("host", ())
    hosts = [parsed.host] if parsed.host else []
    hosts += [query_hosts] if isinstance(query_hosts, str) else list(query_hosts)
    # No host at all: libpq connects through its default unix socket.
    return all(_is_local_host(host) for host in hosts)


def _is_local_host(host: str) -> bool:
    if host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: resolving it is the network's business, and it may move


def _sqlite_file(url: str) -> Path | None:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


@contextlib.contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A savepoint in the connection's transaction, undone if the block raises; straight on the driver.

    SQLAlchemy's begin_nested() compiles its SAVEPOINT statements through the full statement path, which
    costs more than the writes a runbook's start or step puts under it.
    """
    driver = conn.connection.dbapi_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.execute("SAVEPOINT incidentd_unit")
        try:
            yield
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT incidentd_unit")
            cursor.execute("RELEASE SAVEPOINT incidentd_unit")
            raise
        cursor.execute("RELEASE SAVEPOINT incidentd_unit")
    finally:
        cursor.close()


def _postgres_engine(url: str, pool_size: int) -> Engine:
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=-1, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # psycopg prepares a statement on the server after a few runs, and PostgreSQL then settles on one generic
        # plan for it, costed with the statistics of that moment. A connection opened while a table was small
        # keeps a sequential scan for it (a plan look-up by primary key read the whole table: 4 ms at 30,000
        # plans, on the event loop) until statistics change. Custom plans are costed on each run, with the
        # table's size at the time; planning a look-up costs microseconds.
        dbapi_conn.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.commit()

    return engine


def _create_for_owner(database: Path) -> None:
    """Create the database's missing folders (0700) and an empty database file (0600), for the owner alone.

    The file holds every account's incidents and phone numbers. SQLite creates the -wal and -shm files with the
    database file's mode, so they follow it. Set by mode and not by umask, which is the whole process's: other
    threads may be creating files meanwhile. Existing folders and files keep the modes their owner gave them.
    """
    missing = []
    folder = database.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process starting at the same moment
            folder.mkdir(mode=0o700)
    try:
        created = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    os.close(created)  # an empty file is an empty database to SQLite


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        _create_for_owner(Path(database))
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
