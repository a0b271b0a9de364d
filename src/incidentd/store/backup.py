"""A consistent copy of a live SQLite database, and the pg_dump command that does the same on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


class BackupError(Exception):
    """A backup that can't be taken as asked: `incidentd backup` says why and exits with 2."""


@dataclass(frozen=True)
class Copy:
    """What a backup wrote: where, how many bytes, and the schema revision it holds."""

    source: Path
    path: Path
    size: int
    revision: str

    def describe(self) -> str:
        """The one line `incidentd backup` prints."""
        return f"copied {self.source} to {self.path}: {self.size:,} bytes, schema revision {self.revision}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL; None for anything else (PostgreSQL, a database in memory)."""
    parsed = sa.engine.make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def destination(dest: Path, now: float | None = None) -> Path:
    """The file a backup goes to: DEST itself, or a file named by the time in DEST when it is a folder."""
    if dest.is_dir():
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
        return dest / f"incidentd-{stamp}.db"
    return dest


def copy_sqlite(source: Path, dest: Path, force: bool = False) -> Copy:
    """Copy a live SQLite database to dest through SQLite's online backup API.

    The copy is one snapshot: what was committed when it began, the WAL's committed pages included; writers go on
    meanwhile. It is written to a file of the owner's alone beside dest, checked, synced and renamed, so dest is
    either absent or a whole copy. An existing dest is refused unless force is set.
    """
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}: nothing to back up (check --database or database_url)")
    target = destination(dest)
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself: give another path")
    if target.exists() and not force:
        raise BackupError(f"{target} exists: give a new path, or --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent} to write the copy in: create it first")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # Created empty (an empty file is an empty database to SQLite) with the owner's mode, before SQLite opens it:
        # the copy holds every account's incidents and phone numbers, as the database does.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    except OSError as exc:
        raise BackupError(f"can't write in {target.parent}: {exc.strerror}") from None
    try:
        revision = _online_copy(source, temporary)
        _sync(temporary)
        _put_in_place(temporary, target, force)
    finally:
        for end in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                temporary.with_name(temporary.name + end).unlink()
    _sync(target.parent)
    return Copy(source, target, target.stat().st_size, revision)


def _online_copy(source: Path, temporary: Path) -> str:
    """Copy every page in one step of the backup API (one read snapshot); the copy's schema revision."""
    # Opened read-write, never written: a read-only connection can't open a WAL database whose -shm is missing.
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
    try:
        reader.execute("PRAGMA busy_timeout=30000")
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            # All pages in one step: a copy made in several steps starts over whenever a writer commits between them.
            reader.backup(copy, pages=-1)
            # The copy is one file without a WAL beside it; incidentd turns WAL on again when it opens it.
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupError(f"the copy of {source} fails SQLite's check: {problems[0]}")
            return _revision(copy)
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"can't copy {source}: {exc}") from None
    finally:
        reader.close()


def _revision(conn: sqlite3.Connection) -> str:
    """The schema revision a database is at, or `none` for one never migrated."""
    try:
        rows = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.OperationalError:
        return "none"
    return ", ".join(sorted(rows)) or "none"


def _put_in_place(temporary: Path, target: Path, force: bool) -> None:
    """Rename the finished copy to its name; without force, never over a file that appeared meanwhile."""
    if force:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)  # fails if target exists, where a rename would replace it
    except FileExistsError:
        raise BackupError(f"{target} exists: give a new path, or --force to replace it") from None


def _sync(path: Path) -> None:
    """Flush a file's or a folder's contents to the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pg_dump_advice(url: str, dest: Path) -> str:
    """The one line that says how to back up and restore a PostgreSQL database (its URL without the password)."""
    parsed = sa.engine.make_url(url)
    plain = sa.engine.URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    ).render_as_string(hide_password=False)
    password = " (it asks for the password, or reads PGPASSWORD or ~/.pgpass)" if parsed.password else ""
    return (
        f"incidentd backup copies SQLite databases; on PostgreSQL run: pg_dump --format=custom --file={dest} "
        f"'{plain}'{password}; restore with: pg_restore --no-owner --dbname=URL_OF_AN_EMPTY_DATABASE {dest}"
    )
