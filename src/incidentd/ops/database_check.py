"""Opening the configured database, or saying in one line what is wrong with its URL, its file or its server."""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path

import sqlalchemy as sa

from incidentd import config
from incidentd.config import ConfigError
from incidentd.store import migrate
from incidentd.store.db import Database, normalise_url

log = logging.getLogger("incidentd")

WHERE = "--database, INCIDENTD_DATABASE_URL or database_url"
FORMS = "sqlite:///PATH or postgresql://USER@HOST:PORT/NAME"
SQLITE_HEADER = b"SQLite format 3\x00"
# Long enough for a server across a slow network, short enough that a wrong address is reported while someone waits.
CONNECT_TIMEOUT_SECONDS = 10


def open_database(settings: config.Settings, create: bool = True, announce: bool = True) -> Database:
    """The settings' database, checked and said at start; ConfigError naming what to do when it can't be used.

    With create false a SQLite file that doesn't exist yet is refused instead of created (commands that only read).
    Nothing is migrated here: the caller decides. Without announce the location is not logged (the caller says it
    where it matters).
    """
    url = settings.database_url
    parsed = parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            try:
                _check_sqlite(path, create)
            except OSError as exc:  # a folder on the way this user may not enter, a file it may not read
                raise ConfigError(f"can't reach the database {path}: {exc.strerror}; {_choose_another()}") from None
        try:
            db = Database(url)
        except OSError as exc:
            raise ConfigError(f"can't create the database {path}: {exc.strerror}; {_choose_another()}") from None
        _probe_sqlite(db, path)
    else:
        _check_postgres(parsed)
        db = Database(url)
    # Said once it is known to work: a refusal above names the file or server itself, in its one line.
    if announce:
        log.info("database %s", location(parsed))
    return db


def parse(url: str) -> sa.URL:
    """The URL, if it names a database incidentd can use: SQLite or PostgreSQL (through psycopg)."""
    try:
        parsed = sa.engine.make_url(normalise_url(url))
    except sa.exc.ArgumentError:
        raise ConfigError(f"the database URL {url!r} ({WHERE}) is not a URL: use {FORMS}") from None
    try:
        kind = (parsed.get_backend_name(), parsed.get_driver_name())
    except sa.exc.NoSuchModuleError:
        kind = (parsed.get_backend_name(), "")
    if kind not in (("sqlite", "pysqlite"), ("postgresql", "psycopg")):
        scheme = url.partition(":")[0]
        close = difflib.get_close_matches(scheme, ("sqlite", "postgresql"), n=1)
        advice = f"did you mean {close[0]}://?" if close else f"use {FORMS}"
        raise ConfigError(
            f"the database URL ({WHERE}) starts with {scheme}://, which incidentd can't use: "
            f"it keeps its data in SQLite or PostgreSQL; {advice}"
        )
    return parsed


def location(parsed: sa.URL) -> str:
    """Where the database is, for logs and messages: a SQLite file's path, or a PostgreSQL URL without password."""
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        return str(path) if path is not None else "in memory"
    return parsed.set(drivername="postgresql").render_as_string(hide_password=True)


def sqlite_path(parsed: sa.URL) -> Path | None:
    """The absolute path of a SQLite database file; None in memory."""
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(os.path.abspath(database))


def _choose_another() -> str:
    return f"choose another place with {WHERE} (sqlite:///PATH)"


def _check_sqlite(path: Path, create: bool) -> None:
    """Refuse, without writing anything, a database file or folder this process can't use."""
    if path.is_dir():
        raise ConfigError(f"the database {path} is a folder, not a file: {_choose_another()}")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError(
                f"can't read and write the database {path}: give this user access to it, or {_choose_another()}"
            )
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise ConfigError(f"{path} is not a SQLite database: point {WHERE} at the database file, or move it away")
        folder = path.parent
        if not os.access(folder, os.W_OK | os.X_OK):
            # SQLite writes its -wal and -shm files beside the database, and incidentd its writer lock.
            raise ConfigError(f"can't write in {folder}, the database's folder: give this user write access to it")
        return
    if not create:
        raise ConfigError(f"there is no database at {path} yet: `incidentd migrate` (or `incidentd serve`) creates it")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"can't create the database {path}: {folder} is a file, not a folder; {_choose_another()}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"can't create the database {path}: this user may not write in {folder}; "
            f"give it write access, or {_choose_another()}"
        )


def _probe_sqlite(db: Database, path: Path | None) -> None:
    """Read the schema's version once: a damaged or foreign file fails here, not in the middle of a migration."""
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA schema_version")
    except sa.exc.DBAPIError as exc:
        db.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else exc.__class__.__name__
        raise ConfigError(f"can't open the database {path}: {reason}; {_choose_another()}") from None


def _check_postgres(parsed: sa.URL) -> None:
    """Connect once, and turn what libpq says into what to do: start the server, fix the login, create the database."""
    server = f"{parsed.host or 'the local socket'}:{parsed.port or 5432}"
    import psycopg  # only PostgreSQL's commands pay for loading it

    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
    except psycopg.Error as exc:
        raise ConfigError(_postgres_advice(parsed, server, str(exc))) from None


def _postgres_advice(parsed: sa.URL, server: str, error: str) -> str:
    """One line for a failed connection, from libpq's message (its SQLSTATE isn't available before a session)."""
    # libpq: 'connection failed: connection to server at "HOST", port PORT failed: FATAL:  REASON' and hints.
    reason = " ".join(error.split()).rpartition("failed: ")[2].removeprefix("FATAL: ")
    reason = reason.partition(" Is the server running")[0].strip()
    user = parsed.username or "the current user"
    if f'database "{parsed.database}" does not exist' in error:
        options = f"-h {parsed.host} " if parsed.host else ""
        options += f"-p {parsed.port} " if parsed.port else ""
        options += f"-U {parsed.username} " if parsed.username else ""
        name = parsed.database
        return f"PostgreSQL at {server} has no database {name!r}: create it with: createdb {options}{name}"
    if any(
        sign in error
        for sign in (
            "password authentication failed",
            "role ",
            "no password supplied",
            "authentication failed",
            "pg_hba.conf",
            "permission denied for database",
        )
    ):
        return (
            f"PostgreSQL at {server} refused {user} ({reason}): correct the user and password in the database URL "
            f"({WHERE}), or let that user in"
        )
    if any(
        sign in error
        for sign in (
            "Connection refused",
            "timeout expired",
            "resolve host",
            "translate host name",
            "No route to host",
            "Network is unreachable",
            "No such file or directory",
        )
    ):
        return (
            f"can't reach PostgreSQL at {server} ({reason}): start it, or correct the host and port in the database "
            f"URL ({WHERE})"
        )
    return f"can't connect to PostgreSQL at {server}: {reason}; check the database URL ({WHERE})"


def schema_problem(db: Database) -> str | None:
    """What keeps a reachable database's schema from being this version's newest; None when it is."""
    from alembic.script import ScriptDirectory

    alembic = migrate.alembic_config(db)
    heads = sorted(ScriptDirectory.from_config(alembic).get_heads())
    with db.read() as conn:
        revisions = list(migrate.stored_revisions(conn))
        # A schema a newer incidentd migrated: SchemaError, the one line saying what to run instead.
        migrate.refuse_unknown(conn, alembic)
    if not revisions:
        return "has no incidentd schema yet"
    if revisions != heads:
        found = ", ".join(revisions)
        return f"has the schema {found}, not this version's newest ({', '.join(heads)})"
    return None
