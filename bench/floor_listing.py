"""`python bench/floor_listing.py`: the least CPU one page of ListIncidentRecords can cost, without the network.

The scale run (`run.py --incidents`) holds ListIncidentRecords to the same 30% of the hello-world as every read. This
measures a lower bound of one page's own work on incidentd's schema, with nothing else: the keyset query the issue's
filters give (status OPEN, impact 1 to 3, newest first, 100 a page) on SQLite with the summary's fields pulled out
of each stored document in SQLite's C code, and the answer encoded with orjson. No HTTP, no SigV4, no validation, no
model. It prints the CPU per page and, for a hello-world that costs C µs a request, the ratio no server can beat:
C / (C + page).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import project_venv

project_venv.use()  # `python bench/floor_listing.py` with the system interpreter reruns under .venv

import orjson  # noqa: E402

from incidentd.store import migrate  # noqa: E402
from incidentd.store.db import Database  # noqa: E402

ACCOUNT = "123456789012"
PAGE = 100
DAY_MS = 86_400_000
QUERY = (
    "SELECT creation_ms, arn, status, impact, json_extract(doc, '$.title'), "
    "json_extract(doc, '$.incidentRecordSource'), json_extract(doc, '$.resolvedTime') "
    "FROM incidents WHERE account_id = ? AND status IN ('OPEN') AND impact IN (1, 2, 3) "
    "AND (creation_ms, arn) < (?, ?) ORDER BY creation_ms DESC, arn DESC LIMIT ?"
)


def seed(path: Path, count: int) -> None:
    """`count` incidents over two years in one account: 40% open, impacts 1 to 5, as the scale run stores them."""
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    now = int(time.time() * 1000)
    rows = []
    for n in range(count):
        created = now - random.randrange(730 * DAY_MS)
        status = "OPEN" if random.random() < 0.4 else "RESOLVED"
        impact = random.randint(1, 5)
        arn = f"arn:aws:ssm-incidents::{ACCOUNT}:incident-record/bench/{n:032x}"
        doc = {
            "arn": arn,
            "title": "a stored incident",
            "impact": impact,
            "status": status,
            "creationTime": created / 1000,
            "incidentRecordSource": {"createdBy": "bench", "invokedBy": "bench", "source": "aws.ssm-incidents.custom"},
            "dedupeString": arn,
            "summary": "seeded for the listing floor",
        }
        if status == "RESOLVED":
            doc["resolvedTime"] = created / 1000 + 3600
        rows.append((ACCOUNT, arn, created, status, impact, "bench", arn, orjson.dumps(doc).decode()))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO incidents (account_id, arn, creation_ms, status, impact, created_by, dedupe_string, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def one_page(conn: sqlite3.Connection, position: tuple[int, str]) -> bytes:
    """One page after a keyset position, encoded as ListIncidentRecords answers it."""
    conn.execute("BEGIN")
    rows = conn.execute(QUERY, (ACCOUNT, *position, PAGE + 1)).fetchall()
    conn.execute("COMMIT")
    summaries = [
        {
            "arn": arn,
            "creationTime": created / 1000,
            "impact": impact,
            "incidentRecordSource": orjson.Fragment(source),
            "status": status,
            "title": title,
            **({"resolvedTime": resolved} if resolved is not None else {}),
        }
        for created, arn, status, impact, title, source, resolved in rows[:PAGE]
    ]
    token = f"{rows[PAGE - 1][0]}|{rows[PAGE - 1][1]}" if len(rows) > PAGE else None
    return orjson.dumps({"incidentRecordSummaries": summaries, "nextToken": token})


def main() -> None:
    """Seed, then time pages from 16 positions spread through the filtered listing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000, help="stored incidents (default 100,000)")
    parser.add_argument("--pages", type=int, default=5_000, help="pages timed (default 5,000)")
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="incidentd-floor-listing-")) / "incidentd.db"
    seed(path, args.incidents)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    matching = conn.execute(
        "SELECT creation_ms, arn FROM incidents WHERE account_id = ? AND status = 'OPEN' AND impact IN (1, 2, 3) "
        "ORDER BY creation_ms DESC, arn DESC",
        (ACCOUNT,),
    ).fetchall()
    first = (2**62, "")
    positions = [first] + [tuple(matching[i * len(matching) // 16]) for i in range(1, 16)]
    for position in positions:
        assert orjson.loads(one_page(conn, position))["incidentRecordSummaries"], "every page has incidents"
    started = time.process_time()
    for n in range(args.pages):
        one_page(conn, positions[n % len(positions)])
    micros = 1e6 * (time.process_time() - started) / args.pages
    print(f"one page of {PAGE} from {args.incidents:,} incidents: {micros:.0f} µs of CPU")
    for hello in (21, 30):
        print(f"  with a hello-world of {hello} µs a request, at most {100 * hello / (hello + micros):.1f}% of it")


if __name__ == "__main__":
    main()
