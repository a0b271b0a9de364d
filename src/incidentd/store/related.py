"""Related items of incidents, in the order they were added."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import related_items as t


def all_for(conn: Connection, account_id: str, incident_arn: str) -> list[dict[str, Any]]:
    """Every related item of an incident, oldest first."""
    query = (
        sa.select(t.c.doc)
        .where(t.c.account_id == account_id, t.c.incident_arn == incident_arn)
        .order_by(t.c.added_ms, t.c.generated_id)
    )
    return list(conn.execute(query).scalars())


# Built once: every runbook start and every alert adds an item, and building a statement costs more than running it.
_EXISTS = Prepared(
    sa.select(t.c.generated_id).where(
        t.c.account_id == sa.bindparam("k_account"),
        t.c.incident_arn == sa.bindparam("k_incident"),
        t.c.generated_id == sa.bindparam("k_id"),
    )
)
_INSERT = Prepared(sa.insert(t))


def exists(conn: Connection, account_id: str, incident_arn: str, generated_id: str) -> bool:
    """Whether the incident already has this item."""
    found = _EXISTS.run(conn, {"k_account": account_id, "k_incident": incident_arn, "k_id": generated_id})
    return found.first() is not None


def insert(conn: Connection, account_id: str, incident_arn: str, doc: dict[str, Any], now_ms: int) -> None:
    """Add an item."""
    _INSERT.run(
        conn,
        {
            "account_id": account_id,
            "incident_arn": incident_arn,
            "generated_id": doc["generatedId"],
            "added_ms": now_ms,
            "doc": doc,
        },
    )


def delete(conn: Connection, account_id: str, incident_arn: str, generated_id: str | None = None) -> int:
    """Remove one item, or all of an incident's; the number removed."""
    statement = sa.delete(t).where(t.c.account_id == account_id, t.c.incident_arn == incident_arn)
    if generated_id is not None:
        statement = statement.where(t.c.generated_id == generated_id)
    return conn.execute(statement).rowcount
