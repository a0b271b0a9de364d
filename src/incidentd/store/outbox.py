"""The development outbox: entries added as they would have been sent, read back oldest first, bounded per account.

Only a server in development mode (no credentials configured) writes here, but one account's test loop could still
grow it for ever: every insert keeps the newest KEEP_PER_ACCOUNT entries of that account and deletes the rest, in
the same transaction, so the table never holds more than that per account.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import outbox as t

KEEP_PER_ACCOUNT = 1000


@dataclass(frozen=True)
class Entry:
    """One message the outbox holds in place of sending it."""

    id: int
    account_id: str
    created_ms: int
    kind: str  # "page", "activation" or "notification"
    channel_type: str  # EMAIL, SMS, VOICE; SNS for a topic's notice
    address: str
    subject: str
    text: str  # what the reader would have read, code line included
    code: str  # the accept or activation code; empty for a notice
    reference: str  # the page, channel or incident ARN

    def as_dict(self) -> dict[str, str | int]:
        """Every field, for JSON."""
        return asdict(self)


def add(conn: Connection, entry: Entry, keep: int = KEEP_PER_ACCOUNT) -> int:
    """Store an entry (its id is assigned here) and prune its account to the newest `keep`; the new id."""
    values = asdict(entry)
    del values["id"]
    new_id = int(conn.execute(sa.insert(t).values(**values).returning(t.c.id)).scalar_one())
    prune(conn, entry.account_id, keep)
    return new_id


def prune(conn: Connection, account_id: str, keep: int = KEEP_PER_ACCOUNT) -> int:
    """Delete all but the account's newest `keep` entries; how many went."""
    # The id of the oldest entry to keep: one index seek on (account_id, id), whatever the table's size.
    oldest_kept = conn.execute(
        sa.select(t.c.id).where(t.c.account_id == account_id).order_by(t.c.id.desc()).offset(keep - 1).limit(1)
    ).scalar()
    if oldest_kept is None:
        return 0
    return int(conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.id < oldest_kept)).rowcount)


def since(
    conn: Connection,
    after_id: int = 0,
    account_id: str | None = None,
    limit: int | None = None,
    kind: str | None = None,
) -> list[Entry]:
    """Entries with an id above `after_id`, oldest first, of one account or all, of one kind or all; at most `limit`."""
    query = _filtered(sa.select(t).where(t.c.id > after_id), account_id, kind).order_by(t.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [Entry(**row._mapping) for row in conn.execute(query)]


def newest(
    conn: Connection, account_id: str | None = None, limit: int = KEEP_PER_ACCOUNT, kind: str | None = None
) -> list[Entry]:
    """The newest `limit` entries, of one account or all, of one kind or all, newest first."""
    query = _filtered(sa.select(t), account_id, kind)
    return [Entry(**row._mapping) for row in conn.execute(query.order_by(t.c.id.desc()).limit(limit))]


def _filtered(query: sa.Select[Any], account_id: str | None, kind: str | None) -> sa.Select[Any]:
    """The query narrowed to one account and one kind, where given."""
    if account_id is not None:
        query = query.where(t.c.account_id == account_id)
    if kind is not None:
        query = query.where(t.c.kind == kind)
    return query
