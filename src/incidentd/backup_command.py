"""`incidentd backup DEST`: a consistent copy of a live SQLite database, or how to take one of PostgreSQL."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from incidentd import config
from incidentd.store import backup
from incidentd.store.db import normalise_url

log = logging.getLogger("incidentd")


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """The `backup` command's arguments."""
    sub.add_argument(
        "dest",
        metavar="DEST",
        help="the file to write (refused if it exists), or a folder to write incidentd-<UTC time>.db in",
    )
    sub.add_argument("--force", action="store_true", help="replace DEST if it exists (default: refuse)")


def run(args: argparse.Namespace, settings: config.Settings) -> int:
    """Copy the database to DEST and print what was copied; 2, having said why, when it can't."""
    dest = Path(args.dest)
    url = normalise_url(settings.database_url)
    if url.startswith("postgresql"):
        log.error("%s", backup.pg_dump_advice(url, dest))
        return 2
    source = backup.sqlite_path(url)
    if source is None:
        log.error("incidentd backup copies a SQLite database file or tells how to dump PostgreSQL, not %s", url)
        return 2
    try:
        copied = backup.copy_sqlite(source, dest, force=args.force)
    except backup.BackupError as exc:
        log.error("%s", exc)
        return 2
    print(copied.describe())
    return 0
