"""Contact channels, with the pending activation code kept beside the document, never inside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import contact_channels as t


@dataclass(frozen=True)
class Channel:
    """A stored channel: its wire document and the activation code sent last (None when none is pending)."""

    doc: dict[str, Any]
    activation_code: str | None
    created_ms: int


def get(conn: Connection, account_id: str, arn: str) -> Channel | None:
    """One channel, or None."""
    query = sa.select(t.c.doc, t.c.activation_code, t.c.created_ms).where(t.c.account_id == account_id, t.c.arn == arn)
    row = conn.execute(query).first()
    return None if row is None else Channel(row.doc, row.activation_code, row.created_ms)


def insert(conn: Connection, account_id: str, doc: dict[str, Any], code: str | None, created_ms: int) -> None:
    """Store a new channel."""
    conn.execute(
        sa.insert(t).values(
            account_id=account_id,
            arn=doc["ContactChannelArn"],
            contact_arn=doc["ContactArn"],
            created_ms=created_ms,
            activation_code=code,
            doc=doc,
        )
    )


def save(conn: Connection, account_id: str, doc: dict[str, Any], code: str | None) -> None:
    """Replace a channel's document and its pending activation code."""
    statement = sa.update(t).where(t.c.account_id == account_id, t.c.arn == doc["ContactChannelArn"])
    conn.execute(statement.values(doc=doc, activation_code=code))


def delete(conn: Connection, account_id: str, arn: str) -> None:
    """Delete one channel."""
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.arn == arn))


def delete_of_contact(conn: Connection, account_id: str, contact_arn: str) -> None:
    """Delete every channel of a contact."""
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.contact_arn == contact_arn))


def of_contact(
    conn: Connection, account_id: str, contact_arn: str, after: tuple[int, str] | None = None, limit: int | None = None
) -> list[Channel]:
    """A contact's channels, oldest first (creation time, then ARN), starting after a keyset position."""
    query = sa.select(t.c.doc, t.c.activation_code, t.c.created_ms).where(
        t.c.account_id == account_id, t.c.contact_arn == contact_arn
    )
    if after is not None:
        query = query.where(sa.tuple_(t.c.created_ms, t.c.arn) > sa.tuple_(after[0], after[1]))
    query = query.order_by(t.c.created_ms, t.c.arn)
    if limit is not None:
        query = query.limit(limit)
    return [Channel(row.doc, row.activation_code, row.created_ms) for row in conn.execute(query)]
