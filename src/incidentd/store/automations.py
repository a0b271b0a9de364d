"""Automation executions and their step executions, scoped by account (and region, for listing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import automation_executions as t
from incidentd.store.tables import automation_steps as s


def _key(account_id: str, execution_id: str) -> Any:
    return sa.and_(t.c.account_id == account_id, t.c.execution_id == execution_id)


def insert(conn: Connection, account_id: str, region: str, doc: dict[str, Any], start_ms: int) -> None:
    """Store a new execution."""
    conn.execute(
        sa.insert(t).values(
            account_id=account_id,
            execution_id=doc["AutomationExecutionId"],
            region=region,
            document_name=doc["DocumentName"],
            status=doc["AutomationExecutionStatus"],
            start_ms=start_ms,
            doc=doc,
        )
    )


def get(conn: Connection, account_id: str, execution_id: str) -> dict[str, Any] | None:
    """An execution's document, or None."""
    doc: dict[str, Any] | None = conn.execute(sa.select(t.c.doc).where(_key(account_id, execution_id))).scalar()
    return doc


def save(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Replace an execution's document and its status column."""
    statement = (
        sa.update(t)
        .where(_key(account_id, doc["AutomationExecutionId"]))
        .values(status=doc["AutomationExecutionStatus"], doc=doc)
    )
    conn.execute(statement)


def steps(conn: Connection, account_id: str, execution_id: str) -> list[dict[str, Any]]:
    """The step executions of a run in the order they started."""
    statement = (
        sa.select(s.c.doc).where(s.c.account_id == account_id, s.c.execution_id == execution_id).order_by(s.c.seq)
    )
    return [row.doc for row in conn.execute(statement)]


def step(conn: Connection, account_id: str, execution_id: str, seq: int) -> dict[str, Any] | None:
    """One step execution by its position, or None."""
    statement = sa.select(s.c.doc).where(s.c.account_id == account_id, s.c.execution_id == execution_id, s.c.seq == seq)
    doc: dict[str, Any] | None = conn.execute(statement).scalar()
    return doc


def put_step(conn: Connection, account_id: str, execution_id: str, seq: int, doc: dict[str, Any]) -> None:
    """Insert or replace one step execution."""
    key = sa.and_(s.c.account_id == account_id, s.c.execution_id == execution_id, s.c.seq == seq)
    if conn.execute(sa.update(s).where(key).values(doc=doc)).rowcount == 0:
        conn.execute(sa.insert(s).values(account_id=account_id, execution_id=execution_id, seq=seq, doc=doc))


@dataclass
class ExecutionQuery:
    """DescribeAutomationExecutions filters: AND across keys, OR within each key's values."""

    statuses: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    name_prefixes: list[str] = field(default_factory=list)
    started_before_ms: int | None = None
    started_after_ms: int | None = None


def page(
    conn: Connection,
    account_id: str,
    region: str,
    query: ExecutionQuery,
    after: tuple[int, str] | None,
    limit: int | None,
) -> list[tuple[int, str, dict[str, Any]]]:
    """Executions newest first (start time, then id) after a keyset position."""
    statement = sa.select(t.c.start_ms, t.c.execution_id, t.c.doc).where(
        t.c.account_id == account_id, t.c.region == region
    )
    if query.statuses:
        statement = statement.where(t.c.status.in_(query.statuses))
    if query.ids:
        statement = statement.where(t.c.execution_id.in_(query.ids))
    if query.name_prefixes:
        statement = statement.where(
            sa.or_(*(t.c.document_name.startswith(p, autoescape=True) for p in query.name_prefixes))
        )
    if query.started_before_ms is not None:
        statement = statement.where(t.c.start_ms < query.started_before_ms)
    if query.started_after_ms is not None:
        statement = statement.where(t.c.start_ms > query.started_after_ms)
    if after is not None:
        statement = statement.where(sa.tuple_(t.c.start_ms, t.c.execution_id) < sa.tuple_(after[0], after[1]))
    statement = statement.order_by(t.c.start_ms.desc(), t.c.execution_id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return [(row.start_ms, row.execution_id, row.doc) for row in conn.execute(statement)]


def live_counts(conn: Connection, account_id: str, region: str) -> dict[str, int]:
    """How many of the account's executions in the region are Pending, InProgress and Waiting, by status."""
    statement = (
        sa.select(t.c.status, sa.func.count())
        .where(t.c.account_id == account_id, t.c.region == region, t.c.status.in_(("Pending", "InProgress", "Waiting")))
        .group_by(t.c.status)
    )
    return {row[0]: int(row[1]) for row in conn.execute(statement)}


def oldest_pending(conn: Connection, account_id: str, region: str) -> dict[str, Any] | None:
    """The account's execution in the region that has waited longest for a free slot, or None."""
    statement = (
        sa.select(t.c.doc)
        .where(t.c.account_id == account_id, t.c.region == region, t.c.status == "Pending")
        .order_by(t.c.start_ms, t.c.execution_id)
        .limit(1)
    )
    doc: dict[str, Any] | None = conn.execute(statement).scalar()
    return doc
