"""Timeline events of incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import timeline_events as t


def _key(account_id: str, incident_arn: str) -> Any:
    return sa.and_(t.c.account_id == account_id, t.c.incident_arn == incident_arn)


def get(conn: Connection, account_id: str, incident_arn: str, event_id: str) -> dict[str, Any] | None:
    """One event's document, or None."""
    query = sa.select(t.c.doc).where(_key(account_id, incident_arn), t.c.event_id == event_id)
    return conn.execute(query).scalar()


_INSERT = Prepared(sa.insert(t))  # every StartIncident writes an event


def insert(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Store a new event."""
    _INSERT.run(
        conn,
        {
            "account_id": account_id,
            "incident_arn": doc["incidentRecordArn"],
            "event_id": doc["eventId"],
            "event_time_ms": round(doc["eventTime"] * 1000),
            "event_type": doc["eventType"],
            "doc": doc,
        },
    )


def save(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Replace an event's document."""
    conn.execute(
        sa.update(t)
        .where(_key(account_id, doc["incidentRecordArn"]), t.c.event_id == doc["eventId"])
        .values(event_time_ms=round(doc["eventTime"] * 1000), event_type=doc["eventType"], doc=doc)
    )


def delete(conn: Connection, account_id: str, incident_arn: str, event_id: str | None = None) -> None:
    """Delete one event, or every event of an incident."""
    statement = sa.delete(t).where(_key(account_id, incident_arn))
    if event_id is not None:
        statement = statement.where(t.c.event_id == event_id)
    conn.execute(statement)


@dataclass
class EventQuery:
    """ListTimelineEvents filters and order."""

    after_ms: int | None = None
    before_ms: int | None = None
    event_types: list[str] = field(default_factory=list)
    newest_first: bool = True


def all_for(conn: Connection, account_id: str, incident_arn: str, query: EventQuery) -> list[dict[str, Any]]:
    """An incident's events in the requested order; reference filters are applied by the caller."""
    statement = sa.select(t.c.doc).where(_key(account_id, incident_arn))
    if query.after_ms is not None:
        statement = statement.where(t.c.event_time_ms > query.after_ms)
    if query.before_ms is not None:
        statement = statement.where(t.c.event_time_ms < query.before_ms)
    if query.event_types:
        statement = statement.where(t.c.event_type.in_(query.event_types))
    if query.newest_first:
        statement = statement.order_by(t.c.event_time_ms.desc(), t.c.event_id.desc())
    else:
        statement = statement.order_by(t.c.event_time_ms, t.c.event_id)
    return list(conn.execute(statement).scalars())
