"""ListIncidentRecords at scale: the filtered request, pages at many depths, their checks and their query plans."""

from __future__ import annotations

import json
import sys
from typing import Any

import sqlalchemy as sa
import tenant
from internals import incident_store, incidents, paging, reading
from servers import BenchAccount
from signing import Signer, client

STATUSES = ["OPEN"]
IMPACTS = [1, 2, 3]
PAGE = 100
DEPTHS = 16  # distinct pages the run cycles through: the first, and the rest spread over the whole listing
FILTERS = [
    {"key": "status", "condition": {"equals": {"stringValues": STATUSES}}},
    {"key": "impact", "condition": {"equals": {"integerValues": IMPACTS}}},
]


def _matching(account_id: str) -> Any:
    return sa.and_(
        incidents.c.account_id == account_id, incidents.c.status.in_(STATUSES), incidents.c.impact.in_(IMPACTS)
    )


def tokens(database_url: str, account_id: str) -> list[str | None]:
    """nextTokens for pages spread evenly through the filtered listing (None: the first page)."""
    # A token is the keyset position of the previous page's last incident, exactly as the server makes it; taking
    # positions from the database is quicker than paging there a million incidents deep. With keyset pagination a page
    # far down costs what the first one does; with OFFSET it would not.
    with reading(database_url) as conn:
        where = _matching(account_id)
        count = conn.execute(sa.select(sa.func.count()).select_from(incidents).where(where)).scalar_one()
        if count < PAGE + 2:
            raise RuntimeError(f"only {count} incidents match the filters: too few for a page and a next")
        deepest = count - PAGE - 2  # the deepest page, too, must have a page after it
        found: list[str | None] = [None]
        for n in range(1, DEPTHS):
            skip = deepest * n // (DEPTHS - 1)
            row = conn.execute(
                sa.select(incidents.c.creation_ms, incidents.c.arn)
                .where(where)
                .order_by(incidents.c.creation_ms.desc(), incidents.c.arn.desc())
                .offset(skip)
                .limit(1)
            ).one()
            found.append(paging.encode([row.creation_ms, row.arn]))
        return found


def sign(signer: Signer, page_tokens: list[str | None]) -> list[bytes]:
    """One pre-signed request per page; each may repeat, being a read."""
    return [
        signer.raw("list_incident_records", filters=FILTERS, maxResults=PAGE, **({"nextToken": token} if token else {}))
        for token in page_tokens
    ]


def check(port: int, requests: list[bytes]) -> None:
    """Each pre-signed request answers a full page of matching incidents, newest first, with a next token."""
    for request in requests:
        status, body = tenant.send_raw(port, request)
        answer = json.loads(body) if status == 200 else {}
        summaries = answer.get("incidentRecordSummaries", [])
        times = [s["creationTime"] for s in summaries]
        ok = (
            len(summaries) == PAGE
            and answer.get("nextToken")
            and all(s["status"] in STATUSES and s["impact"] in IMPACTS for s in summaries)
            and times == sorted(times, reverse=True)
        )
        if not ok:
            raise RuntimeError(f"pre-signed ListIncidentRecords did not answer a full page: {status} {body[:300]!r}")


def count_check(endpoint: str, database_url: str, account: BenchAccount, window: int = 1000) -> tuple[int, int]:
    """Incidents boto3 lists in the oldest `window` incidents' time span, and how many the database has there."""
    with reading(database_url) as conn:
        oldest = (
            sa.select(incidents.c.creation_ms)
            .where(incidents.c.account_id == account.account_id)
            .order_by(incidents.c.creation_ms)
            .limit(window)
            .subquery()
        )
        first, last = conn.execute(
            sa.select(sa.func.min(oldest.c.creation_ms), sa.func.max(oldest.c.creation_ms))
        ).one()
    in_db = tenant.count_rows(
        database_url, incidents, account.account_id, incidents.c.creation_ms >= first, incidents.c.creation_ms <= last
    )
    # The filters are exclusive, so the window is widened by a millisecond on each side.
    window_filter = [
        {"key": "creationTime", "condition": {"after": (first - 1) / 1000}},
        {"key": "creationTime", "condition": {"before": (last + 1) / 1000}},
    ]
    paginator = client(endpoint, account).get_paginator("list_incident_records")
    listed = sum(
        len(page["incidentRecordSummaries"])
        for page in paginator.paginate(filters=window_filter, PaginationConfig={"PageSize": PAGE})
    )
    return listed, in_db


def plans(database_url: str, account_id: str, deep_token: str | None) -> dict[str, str]:
    """The plan of the statement incidents.page sends for the first page and a deep one; on PostgreSQL as run."""
    pages: dict[str, tuple[int, str] | None] = {"first page": None}
    if deep_token:
        ms, arn = paging.decode(deep_token, int, str)
        pages["deep page"] = (ms, arn)
    query = incident_store.IncidentQuery(statuses=STATUSES, impacts=IMPACTS)
    found = {}
    with reading(database_url) as conn:
        postgres = conn.dialect.name == "postgresql"
        for name, after in pages.items():
            statement, parameters = incident_store.page_sql(conn.dialect, account_id, query, after, PAGE + 1)
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            # SQLite's rows are (id, parent, notused, detail); PostgreSQL's are one line of text each.
            found[name] = "\n".join(str(row[-1]) for row in rows)
    return found


def served_by_index(plan: str) -> bool:
    """Whether the rows come in order from an index: no full scan of the table and no sort of the matches."""
    lowered = plan.lower()
    from_index = "using index" in lowered or "using covering index" in lowered or "index scan" in lowered
    sorted_here = "temp b-tree" in lowered or "sort key" in lowered
    return from_index and not sorted_here and "seq scan" not in lowered


if __name__ == "__main__":
    # `python bench/listing.py DATABASE_URL ACCOUNT_ID`: the plans of the first and the deepest page.
    for name, plan in plans(sys.argv[1], sys.argv[2], tokens(sys.argv[1], sys.argv[2])[-1]).items():
        print(f"-- {name}\n{plan}\n")
