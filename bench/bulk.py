"""Bulk writers for seeded rows: executemany in large transactions on SQLite, COPY on PostgreSQL.

The rows come from seed.rows with docs already as the text incidentd stores, so nothing here serialises
JSON again; the statements and column lists come from incidentd's own tables.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import psycopg
import sqlalchemy as sa
from seed import Row

from incidentd.store.db import normalise_url
from incidentd.store.tables import metadata

BATCH_ROWS = 200_000
LOG_EVERY = 2_000_000  # rows between progress lines
TABLES = (
    "incidents",
    "timeline_events",
    "tags",
    "jobs",
)  # what seed.rows writes  # rows per transaction: big enough that commits cost nothing, small enough to show progress


Batch = dict[tuple[str, tuple[str, ...]], list[Any]]  # (table, columns) -> value tuples or COPY lines


def _batches(rows: Iterable[Row]) -> Iterator[Batch]:
    iterator = iter(rows)
    while True:
        batch: Batch = {}
        for table, columns, values in islice(iterator, BATCH_ROWS):
            batch.setdefault((table, columns), []).append(values)
        if not batch:
            return
        yield batch


def _index_ddl(dialect: sa.Dialect, tables: Iterable[str]) -> tuple[list[str], list[str]]:
    """DROP and CREATE statements for the secondary indexes incidentd declares on these tables."""
    indexes = [index for name in tables for index in metadata.tables[name].indexes]
    drops = [str(sa.schema.DropIndex(index).compile(dialect=dialect)) for index in indexes]
    creates = [str(sa.schema.CreateIndex(index).compile(dialect=dialect)) for index in indexes]
    return drops, creates


def _sqlite(path: str, rows: Iterable[Row], progress: Callable[[int], None], rebuild: bool) -> None:
    dialect = sa.create_engine("sqlite://").dialect
    conn = sqlite3.connect(path, isolation_level=None)
    drops, creates = _index_ddl(dialect, TABLES) if rebuild else ([], [])
    try:
        # Nobody else is connected while seeding (the server is stopped), and a half-seeded throwaway database
        # is simply made again: durability costs here buy nothing. A big page cache keeps the random-UUID
        # primary-key inserts off the disk.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        for statement in drops:
            conn.execute(statement)
        written = 0
        for batch in _batches(rows):
            conn.execute("BEGIN IMMEDIATE")
            for (name, columns), values in batch.items():
                sql = str(metadata.tables[name].insert().compile(dialect=dialect, column_keys=list(columns)))
                conn.executemany(sql, values)
                written += len(values)
            conn.execute("COMMIT")
            progress(written)
        for statement in creates:
            conn.execute(statement)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leave the server a short WAL to start from
    finally:
        conn.close()


def _postgresql(url: str, rows: Iterable[Row], progress: Callable[[int], None], rebuild: bool) -> None:
    dialect = sa.create_engine("postgresql+psycopg://").dialect  # makes no connection
    drops, creates = _index_ddl(dialect, TABLES) if rebuild else ([], [])
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        # As on SQLite: a throwaway database, re-made if seeding fails, needs no flush at each commit.
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        for statement in drops:
            conn.execute(statement)
        written = 0
        for batch in _batches(rows):
            with conn.transaction(), conn.cursor() as cursor:
                for (name, columns), values in batch.items():
                    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write("".join(values).encode())
                    written += len(values)
            progress(written)
        for statement in creates:
            conn.execute(statement)
        # incidentd never runs ANALYZE itself, but autovacuum would after a load this size; do it now so the
        # measured plans are the ones a server settles into rather than whichever one a race gives.
        conn.execute("ANALYZE")


def write(
    database_url: str, make_rows: Callable[[bool], Iterable[Row]], log: Callable[[str], None], rebuild: bool = False
) -> int:
    """Insert the rows make_rows(copy_lines) gives (COPY lines for PostgreSQL, tuples for SQLite); how many.

    rebuild drops the secondary indexes first and builds them again at the end: sorting once is several
    times faster than keeping them up to date row by row, once the rows run to millions.
    """
    url = normalise_url(database_url)
    began = time.monotonic()
    total = 0

    def progress(written: int) -> None:
        nonlocal total
        if written // LOG_EVERY > total // LOG_EVERY:
            log(f"    {written:,} rows in {time.monotonic() - began:.0f}s")
        total = written

    if url.startswith("sqlite:///"):
        _sqlite(url.removeprefix("sqlite:///"), make_rows(False), progress, rebuild)
    else:
        _postgresql(url, make_rows(True), progress, rebuild)
    return total
