"""Bulk writers for seeded rows: executemany in large transactions on SQLite, COPY on PostgreSQL."""

# The rows come from seed.rows with docs already as the text incidentd stores, so nothing here serialises JSON again;
# the statements and column lists come from incidentd's own tables.

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import psycopg
import sqlalchemy as sa
from internals import metadata, normalise_url
from seed import Row

BATCH_ROWS = 200_000  # rows per transaction: big enough that commits cost nothing, small enough to show progress
LOG_EVERY = 2_000_000  # rows between progress lines
TABLES = ("incidents", "timeline_events", "tags", "jobs")  # what seed.rows writes

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


def _fill(
    dialect: sa.Dialect,
    execute: Callable[[str], Any],
    write_batch: Callable[[Batch], None],
    rows: Iterable[Row],
    progress: Callable[[int], None],
    rebuild: bool,
) -> None:
    """Write the rows a batch at a time; with rebuild, without incidentd's secondary indexes, built again after."""
    indexes = [index for name in TABLES for index in metadata.tables[name].indexes] if rebuild else []
    for index in indexes:
        execute(str(sa.schema.DropIndex(index).compile(dialect=dialect)))
    written = 0
    for batch in _batches(rows):
        write_batch(batch)
        written += sum(len(values) for values in batch.values())
        progress(written)
    for index in indexes:
        execute(str(sa.schema.CreateIndex(index).compile(dialect=dialect)))


def _sqlite(path: str, rows: Iterable[Row], progress: Callable[[int], None], rebuild: bool) -> None:
    dialect = sa.create_engine("sqlite://").dialect
    conn = sqlite3.connect(path, isolation_level=None)

    def write_batch(batch: Batch) -> None:
        conn.execute("BEGIN IMMEDIATE")
        for (name, columns), values in batch.items():
            conn.executemany(
                str(metadata.tables[name].insert().compile(dialect=dialect, column_keys=list(columns))), values
            )
        conn.execute("COMMIT")

    try:
        # Nobody else is connected while seeding (the server is stopped), and a half-seeded throwaway database
        # is simply made again: durability costs here buy nothing. A big page cache keeps the random-UUID
        # primary-key inserts off the disk.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        _fill(dialect, conn.execute, write_batch, rows, progress, rebuild)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leave the server a short WAL to start from
    finally:
        conn.close()


def _postgresql(url: str, rows: Iterable[Row], progress: Callable[[int], None], rebuild: bool) -> None:
    dialect = sa.create_engine("postgresql+psycopg://").dialect  # makes no connection
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:

        def write_batch(batch: Batch) -> None:
            with conn.transaction(), conn.cursor() as cursor:
                for (name, columns), values in batch.items():
                    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write("".join(values).encode())

        # As on SQLite: a throwaway database, re-made if seeding fails, needs no flush at each commit.
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        _fill(dialect, conn.execute, write_batch, rows, progress, rebuild)
        # incidentd never runs ANALYZE itself, but autovacuum would after a load this size; do it now so the
        # measured plans are the ones a server settles into rather than whichever one a race gives.
        conn.execute("ANALYZE")


def write(
    database_url: str, make_rows: Callable[[bool], Iterable[Row]], log: Callable[[str], None], rebuild: bool = False
) -> int:
    """Insert the rows make_rows(copy_lines) gives (COPY lines for PostgreSQL, tuples for SQLite); how many."""
    # rebuild drops the secondary indexes first and builds them again at the end: sorting once is several times faster
    # than keeping them up to date row by row, once the rows run to millions.
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
