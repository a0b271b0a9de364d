"""Contact channels, with the pending activation code kept beside the document, never inside it.

What guards a channel against abuse (wrong codes, codes sent, pages delivered) is kept in the stored document under
a private key, so that every node sees the same counts, and is taken out of the document before anyone reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import contact_channels as t

GUARD_KEY = "_incidentd_guard"
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Guard:
    """A channel's abuse counters: wrong codes against the pending code, and when codes and pages were sent."""

    wrong_codes: int = 0
    codes_sent_ms: tuple[int, ...] = ()  # within the last hour
    pages_sent_ms: tuple[int, ...] = ()  # within the last hour

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Guard:
        """The guard kept in a stored document (the empty one when it has none)."""
        raw = stored.get(GUARD_KEY) or {}
        return cls(int(raw.get("wrong", 0)), tuple(raw.get("codes", ())), tuple(raw.get("pages", ())))

    def to_json(self) -> dict[str, Any]:
        """The guard as the document keeps it."""
        return {"wrong": self.wrong_codes, "codes": list(self.codes_sent_ms), "pages": list(self.pages_sent_ms)}

    def codes_in_hour(self, now_ms: int) -> tuple[int, ...]:
        """The times codes were sent in the hour before now."""
        return tuple(at for at in self.codes_sent_ms if at > now_ms - HOUR_MS)

    def pages_in_hour(self, now_ms: int) -> tuple[int, ...]:
        """The times pages were delivered in the hour before now."""
        return tuple(at for at in self.pages_sent_ms if at > now_ms - HOUR_MS)


@dataclass(frozen=True)
class Channel:
    """A stored channel: its wire document and the activation code sent last (None when none is pending)."""

    doc: dict[str, Any]
    activation_code: str | None
    created_ms: int
    guard: Guard = field(default_factory=Guard)


def _channel(stored: dict[str, Any], code: str | None, created_ms: int) -> Channel:
    doc = {key: value for key, value in stored.items() if key != GUARD_KEY}
    return Channel(doc, code, created_ms, Guard.of(stored))


def get(conn: Connection, account_id: str, arn: str, *, for_update: bool = False) -> Channel | None:
    """One channel, or None; for_update locks its row until the transaction ends (PostgreSQL), so counts add up."""
    query = sa.select(t.c.doc, t.c.activation_code, t.c.created_ms).where(t.c.account_id == account_id, t.c.arn == arn)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return None if row is None else _channel(row.doc, row.activation_code, row.created_ms)


def insert(
    conn: Connection,
    account_id: str,
    doc: dict[str, Any],
    code: str | None,
    created_ms: int,
    guard: Guard | None = None,
) -> None:
    """Store a new channel."""
    conn.execute(
        sa.insert(t).values(
            account_id=account_id,
            arn=doc["ContactChannelArn"],
            contact_arn=doc["ContactArn"],
            created_ms=created_ms,
            activation_code=code,
            doc={**doc, GUARD_KEY: (guard or Guard()).to_json()},
        )
    )


def save(conn: Connection, account_id: str, doc: dict[str, Any], code: str | None, guard: Guard) -> None:
    """Replace a channel's document, its pending activation code and its guard."""
    statement = sa.update(t).where(t.c.account_id == account_id, t.c.arn == doc["ContactChannelArn"])
    conn.execute(statement.values(doc={**doc, GUARD_KEY: guard.to_json()}, activation_code=code))


def reserve_page(conn: Connection, account_id: str, arn: str, now_ms: int, per_hour: int) -> bool:
    """Count a page about to go out on a channel; False (nothing counted) when the channel had per_hour this hour."""
    channel = get(conn, account_id, arn, for_update=True)
    if channel is None:
        return True  # deleted meanwhile: the delivery finds that out itself
    guard = channel.guard
    recent = guard.pages_in_hour(now_ms)
    if len(recent) >= per_hour:
        return False
    counted = Guard(guard.wrong_codes, guard.codes_sent_ms, (*recent, now_ms))
    save(conn, account_id, channel.doc, channel.activation_code, counted)
    return True


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
    return [_channel(row.doc, row.activation_code, row.created_ms) for row in conn.execute(query)]
