"""The query plan of the statement incidents.page builds for the benchmark's ListIncidentRecords pages."""

from __future__ import annotations

from typing import Any

import listing

from incidentd.store import incidents, paging
from incidentd.store.db import Database


def _captured(db: Database, account_id: str, after: tuple[int, str] | None) -> tuple[str, Any]:
    """The SQL and parameters incidents.page sends to the driver."""
    query = incidents.IncidentQuery(statuses=listing.STATUSES, impacts=listing.IMPACTS)
    return incidents.page_sql(db.engine.dialect, account_id, query, after, listing.PAGE + 1)


def plans(database_url: str, account_id: str, deep_token: str | None) -> dict[str, str]:
    """The plan of the first page and of a deep one; on PostgreSQL with actual rows and times."""
    db = Database(database_url, pool_size=1)
    found = {}
    try:
        pages: dict[str, tuple[int, str] | None] = {"first page": None}
        if deep_token:
            ms, arn = paging.decode(deep_token, int, str)
            pages["deep page"] = (ms, arn)
        for name, after in pages.items():
            statement, parameters = _captured(db, account_id, after)
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
            with db.engine.connect() as conn:
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            # SQLite's rows are (id, parent, notused, detail); PostgreSQL's are one line of text each.
            found[name] = "\n".join(str(row[-1]) for row in rows)
    finally:
        db.dispose()
    return found


def served_by_index(plan: str) -> bool:
    """Whether the rows come in order from an index: no full scan of the table and no sort of the matches."""
    lowered = plan.lower()
    from_index = "using index" in lowered or "using covering index" in lowered or "index scan" in lowered
    sorted_here = "temp b-tree" in lowered or "sort key" in lowered
    return from_index and not sorted_here and "seq scan" not in lowered


def _main() -> None:
    """`python bench/explain.py DATABASE_URL ACCOUNT_ID`: print the plans."""
    import sys

    tokens = listing.tokens(sys.argv[1], sys.argv[2])
    for name, plan in plans(sys.argv[1], sys.argv[2], tokens[-1]).items():
        print(f"-- {name}\n{plan}\n")


if __name__ == "__main__":
    _main()
