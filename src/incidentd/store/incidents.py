"""Incident records, with the columns that filters, ordering and deduplication need kept beside the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import incidents as t


def _columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "creation_ms": round(doc["creationTime"] * 1000),
        "status": doc["status"],
        "impact": doc["impact"],
        "created_by": doc["incidentRecordSource"]["createdBy"],
        "dedupe_string": doc["dedupeString"],
        "doc": doc,
    }


# Built once and run with parameters: building a statement costs more than running it (bench/).
_GET = Prepared(sa.select(t.c.doc).where(t.c.account_id == sa.bindparam("k_account"), t.c.arn == sa.bindparam("k_arn")))
_INSERT = Prepared(sa.insert(t))
_SAVE = Prepared(sa.update(t).where(t.c.account_id == sa.bindparam("k_account"), t.c.arn == sa.bindparam("k_arn")))


def get(conn: Connection, account_id: str, arn: str) -> dict[str, Any] | None:
    """An incident's document, or None."""
    doc: dict[str, Any] | None = _GET.run(conn, {"k_account": account_id, "k_arn": arn}).scalar()
    return doc


def insert(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Store a new incident."""
    _INSERT.run(conn, {"account_id": account_id, "arn": doc["arn"], **_columns(doc)})


def save(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Replace an incident's document and its indexed columns."""
    _SAVE.run(conn, {"k_account": account_id, "k_arn": doc["arn"], **_columns(doc)})


def delete(conn: Connection, account_id: str, arn: str) -> None:
    """Delete an incident."""
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.arn == arn))


_OPEN_WITH_DEDUPE = Prepared(
    sa.select(t.c.doc)
    .where(
        t.c.account_id == sa.bindparam("k_account"),
        t.c.dedupe_string == sa.bindparam("k_dedupe"),
        t.c.status == "OPEN",
    )
    .order_by(t.c.creation_ms, t.c.arn)
    .limit(1)
)


def open_with_dedupe(conn: Connection, account_id: str, dedupe_string: str) -> dict[str, Any] | None:
    """The oldest open incident with this dedupe string: the one a new start is deduplicated into."""
    doc: dict[str, Any] | None = _OPEN_WITH_DEDUPE.run(
        conn, {"k_account": account_id, "k_dedupe": dedupe_string}
    ).scalar()
    return doc


@dataclass
class IncidentQuery:
    """ListIncidentRecords filters: AND across fields, OR within each list of values."""

    created_after_ms: int | None = None
    created_before_ms: int | None = None
    statuses: list[str] = field(default_factory=list)
    impacts: list[int] = field(default_factory=list)
    created_by: list[str] = field(default_factory=list)


def page(
    conn: Connection, account_id: str, query: IncidentQuery, after: tuple[int, str] | None, limit: int
) -> list[tuple[int, str, dict[str, Any]]]:
    """Incidents newest first (creation time, then ARN), starting after a keyset position."""
    statement = sa.select(t.c.creation_ms, t.c.arn, t.c.doc).where(t.c.account_id == account_id)
    if query.created_after_ms is not None:
        statement = statement.where(t.c.creation_ms > query.created_after_ms)
    if query.created_before_ms is not None:
        statement = statement.where(t.c.creation_ms < query.created_before_ms)
    if query.statuses:
        statement = statement.where(t.c.status.in_(query.statuses))
    if query.impacts:
        statement = statement.where(t.c.impact.in_(query.impacts))
    if query.created_by:
        statement = statement.where(t.c.created_by.in_(query.created_by))
    if after is not None:
        statement = statement.where(sa.tuple_(t.c.creation_ms, t.c.arn) < sa.tuple_(after[0], after[1]))
    statement = statement.order_by(t.c.creation_ms.desc(), t.c.arn.desc()).limit(limit)
    return [(row.creation_ms, row.arn, row.doc) for row in conn.execute(statement)]
