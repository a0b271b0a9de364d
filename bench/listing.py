"""ListIncidentRecords for the benchmark: the filtered request, pages at many depths, and their checks."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
import tenant
from servers import BenchAccount
from signing import Signer

from incidentd.store import paging
from incidentd.store.db import Database
from incidentd.store.tables import incidents

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
    """nextTokens for pages spread evenly through the filtered listing (None: the first page).

    A token is the keyset position of the previous page's last incident, exactly as the server makes it;
    taking positions from the database is quicker than paging there a million incidents deep. With keyset
    pagination a page far down costs what the first one does; with OFFSET it would not.
    """
    db = Database(database_url, pool_size=1)
    try:
        with db.read() as conn:
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
    finally:
        db.dispose()


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
    db = Database(database_url, pool_size=1)
    try:
        with db.read() as conn:
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
            in_db = conn.execute(
                sa.select(sa.func.count())
                .select_from(incidents)
                .where(
                    incidents.c.account_id == account.account_id,
                    incidents.c.creation_ms >= first,
                    incidents.c.creation_ms <= last,
                )
            ).scalar_one()
    finally:
        db.dispose()
    # The filters are exclusive, so the window is widened by a millisecond on each side.
    window_filter = [
        {"key": "creationTime", "condition": {"after": (first - 1) / 1000}},
        {"key": "creationTime", "condition": {"before": (last + 1) / 1000}},
    ]
    paginator = tenant.client(endpoint, account).get_paginator("list_incident_records")
    listed = sum(
        len(page["incidentRecordSummaries"])
        for page in paginator.paginate(filters=window_filter, PaginationConfig={"PageSize": PAGE})
    )
    return listed, int(in_db)
