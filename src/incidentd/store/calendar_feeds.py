"""Calendar feeds: who made each one, of what, when; found by the hash of its URL's token, never by the token."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import calendar_feeds as t


@dataclass(frozen=True)
class Feed:
    """One calendar feed."""

    feed_id: str
    token_hash: str
    account_id: str
    source: str  # "local" or "oidc"
    user_name: str
    role: str  # the maker's role when role_ms was confirmed (what a single sign-on user's feed reads with)
    kind: str  # "person" or "schedule"
    target: str  # the contact's alias (person) or the schedule's alias
    created_ms: int
    role_ms: int
    fetched_ms: int | None


def add(conn: Connection, feed: Feed) -> None:
    """Store a new feed."""
    conn.execute(sa.insert(t).values(**feed.__dict__))


def by_token_hash(conn: Connection, token_hash: str) -> Feed | None:
    """The feed whose token hashes to this, or None."""
    row = conn.execute(sa.select(t).where(t.c.token_hash == token_hash)).first()
    return None if row is None else Feed(**row._mapping)


def of_user(conn: Connection, source: str, user_name: str, account_id: str) -> list[Feed]:
    """A person's feeds in one account, oldest first."""
    query = sa.select(t).where(t.c.source == source, t.c.user_name == user_name, t.c.account_id == account_id)
    return [Feed(**row._mapping) for row in conn.execute(query.order_by(t.c.created_ms, t.c.feed_id))]


def count_of_user(conn: Connection, source: str, user_name: str, account_id: str) -> int:
    """How many feeds a person has in one account."""
    query = sa.select(sa.func.count()).where(
        t.c.source == source, t.c.user_name == user_name, t.c.account_id == account_id
    )
    return int(conn.execute(query).scalar_one())


def revoke(conn: Connection, feed_id: str, source: str, user_name: str, account_id: str) -> bool:
    """Delete one of a person's feeds; False when they have no such feed."""
    query = sa.delete(t).where(
        t.c.feed_id == feed_id, t.c.source == source, t.c.user_name == user_name, t.c.account_id == account_id
    )
    return conn.execute(query).rowcount == 1


def revoke_all_of(conn: Connection, source: str, user_name: str) -> int:
    """Delete every feed of a person (in any account); how many there were."""
    return conn.execute(sa.delete(t).where(t.c.source == source, t.c.user_name == user_name)).rowcount


def confirm_role(conn: Connection, source: str, user_name: str, account_id: str, role: str, now_ms: int) -> None:
    """A person just signed in to the account with this role: their feeds there read with it from now on."""
    query = sa.update(t).where(t.c.source == source, t.c.user_name == user_name, t.c.account_id == account_id)
    conn.execute(query.values(role=role, role_ms=now_ms))


def fetched(conn: Connection, feed_id: str, now_ms: int) -> None:
    """Note that a calendar app fetched the feed now."""
    conn.execute(sa.update(t).where(t.c.feed_id == feed_id).values(fetched_ms=now_ms))
