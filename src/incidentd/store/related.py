"""Related items of incidents, in the order they were added."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import related_items as t


def all_for(conn: Connection, account_id: str, incident_arn: str) -> list[dict[str, Any]]:
    """Every related item of an incident, oldest first."""
    query = (
        sa.select(t.c.doc)
        .where(t.c.account_id == account_id, t.c.incident_arn == incident_arn)
        .order_by(t.c.added_ms, t.c.generated_id)
    )
    return list(conn.execute(query).scalars())


def exists(conn: Connection, account_id: str, incident_arn: str, generated_id: str) -> bool:
    """Whether the incident already has this item."""
    query = sa.select(t.c.generated_id).where(
        t.c.account_id == account_id, t.c.incident_arn == incident_arn, t.c.generated_id == generated_id
    )
    return conn.execute(query).first() is not None


def insert(conn: Connection, account_id: str, incident_arn: str, doc: dict[str, Any], now_ms: int) -> None:
    """Add an item."""
    conn.execute(
        sa.insert(t).values(
            account_id=account_id,
            incident_arn=incident_arn,
            generated_id=doc["generatedId"],
            added_ms=now_ms,
            doc=doc,
        )
    )


def delete(conn: Connection, account_id: str, incident_arn: str, generated_id: str | None = None) -> int:
    """Remove one item, or all of an incident's; the number removed."""
    statement = sa.delete(t).where(t.c.account_id == account_id, t.c.incident_arn == incident_arn)
    if generated_id is not None:
        statement = statement.where(t.c.generated_id == generated_id)
    return conn.execute(statement).rowcount
