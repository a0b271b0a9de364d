"""Incident records, with the columns that filters, ordering and deduplication need kept beside the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from incidentd.store.prepared import Prepared
from incidentd.store.tables import incidents as t
from incidentd.store.tables import load_json


def _columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "creation_ms": round(doc["creationTime"] * 1000),
        "status": doc["status"],
        "impact": doc["impact"],
        "created_by": doc["incidentRecordSource"]["createdBy"],
        "dedupe_string": doc["dedupeString"],
        "title": doc["title"],
        "plan_name": doc["arn"].split("/")[1],  # incident-record/PLAN/ID
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


def get_for_update(conn: Connection, account_id: str, arn: str) -> dict[str, Any] | None:
    """An incident's document with its row locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
    query = sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.arn == arn).with_for_update()
    doc: dict[str, Any] | None = conn.execute(query).scalar()
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
    arn_prefix: str | None = None  # only incidents whose ARN starts so (those of one plan of another account)
    title_contains: str | None = None  # the console's search: titles holding this text, in any case
    plan_name: str | None = None  # the console's filter: incidents of the plan of this name


def page(
    conn: Connection, account_id: str, query: IncidentQuery, after: tuple[int, str] | None, limit: int
) -> list[tuple[int, str, dict[str, Any]]]:
    """Incidents newest first (creation time, then ARN), starting after a keyset position."""
    statement, params = _page(account_id, query, after, limit)
    # The document is read as text and decoded here: one C call a row instead of a chain of type processors.
    return [(ms, arn, load_json(doc)) for ms, arn, doc in statement.run(conn, params).rows]


def page_sql(
    dialect: Dialect, account_id: str, query: IncidentQuery, after: tuple[int, str] | None, limit: int
) -> tuple[str, Any]:
    """The SQL and driver arguments page() sends, for looking at its query plan."""
    statement, params = _page(account_id, query, after, limit)
    return statement.rendered(dialect, params)


# One Prepared statement per combination of filters (and of list lengths), each compiled once per dialect.
_PAGES: dict[tuple[bool, bool, int, int, int, bool, bool, bool, bool], Prepared] = {}
_MAX_PAGES = 512  # a bound on the cache; beyond it, rare combinations are compiled per request


def _page(
    account_id: str, query: IncidentQuery, after: tuple[int, str] | None, limit: int
) -> tuple[Prepared, dict[str, Any]]:
    params: dict[str, Any] = {"k_account": account_id, "k_limit": limit}
    if query.created_after_ms is not None:
        params["k_after"] = query.created_after_ms
    if query.created_before_ms is not None:
        params["k_before"] = query.created_before_ms
    for prefix, values in (("k_status", query.statuses), ("k_impact", query.impacts), ("k_by", query.created_by)):
        params.update((f"{prefix}_{i}", value) for i, value in enumerate(values))
    if after is not None:
        params["k_pos_ms"], params["k_pos_arn"] = after
    if query.arn_prefix is not None:
        params["k_prefix"] = f"{_escape_like(query.arn_prefix)}%"
    if query.plan_name is not None:
        params["k_plan"] = query.plan_name
    if query.title_contains is not None:
        params["k_title"] = f"%{_escape_like(query.title_contains.lower())}%"
    key = (
        query.created_after_ms is not None,
        query.created_before_ms is not None,
        len(query.statuses),
        len(query.impacts),
        len(query.created_by),
        after is not None,
        query.arn_prefix is not None,
        query.title_contains is not None,
        query.plan_name is not None,
    )
    statement = _PAGES.get(key)
    if statement is None:
        statement = Prepared(_page_statement(*key))
        if len(_PAGES) < _MAX_PAGES:
            _PAGES[key] = statement
    return statement, params


def _escape_like(text: str) -> str:
    """Text matched literally inside a LIKE pattern whose escape character is `!`."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _page_statement(
    has_after: bool,
    has_before: bool,
    statuses: int,
    impacts: int,
    created_by: int,
    has_position: bool,
    has_prefix: bool = False,
    has_title: bool = False,
    has_plan: bool = False,
) -> sa.Select[Any]:
    def binds(prefix: str, count: int, type_: Any) -> list[Any]:
        return [sa.bindparam(f"{prefix}_{i}", type_=type_) for i in range(count)]

    statement = sa.select(t.c.creation_ms, t.c.arn, sa.type_coerce(t.c.doc, sa.Text)).where(
        t.c.account_id == sa.bindparam("k_account")
    )
    if has_after:
        statement = statement.where(t.c.creation_ms > sa.bindparam("k_after", type_=sa.BigInteger))
    if has_before:
        statement = statement.where(t.c.creation_ms < sa.bindparam("k_before", type_=sa.BigInteger))
    if statuses:
        statement = statement.where(t.c.status.in_(binds("k_status", statuses, sa.String)))
    if impacts:
        statement = statement.where(t.c.impact.in_(binds("k_impact", impacts, sa.Integer)))
    if created_by:
        statement = statement.where(t.c.created_by.in_(binds("k_by", created_by, sa.String)))
    if has_prefix:
        statement = statement.where(t.c.arn.like(sa.bindparam("k_prefix", type_=sa.String), escape="!"))
    if has_plan:
        statement = statement.where(t.c.plan_name == sa.bindparam("k_plan", type_=sa.String))
    if has_title:
        statement = statement.where(sa.func.lower(t.c.title).like(sa.bindparam("k_title", type_=sa.String), escape="!"))
    if has_position:
        position = sa.tuple_(sa.bindparam("k_pos_ms", type_=sa.BigInteger), sa.bindparam("k_pos_arn", type_=sa.String))
        statement = statement.where(sa.tuple_(t.c.creation_ms, t.c.arn) < position)
    return statement.order_by(t.c.creation_ms.desc(), t.c.arn.desc()).limit(sa.bindparam("k_limit", type_=sa.Integer))
