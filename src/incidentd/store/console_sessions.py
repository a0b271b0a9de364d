"""Console sessions (by the hash of their cookie's id), sign-ins in flight, and each person's preferences."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import console_preferences, console_sign_ins
from incidentd.store.tables import console_sessions as t


@dataclass(frozen=True)
class Session:
    """One signed-in browser."""

    id_hash: str
    user_name: str
    source: str  # "local" or "oidc"
    account_id: str
    role: str
    csrf_token: str
    created_ms: int
    seen_ms: int
    contact_alias: str | None = None  # a single sign-on's contact claim; local users' is on their user row


def start(conn: Connection, session: Session) -> None:
    """Store a new session."""
    conn.execute(sa.insert(t).values(**session.__dict__))


def get(conn: Connection, id_hash: str) -> Session | None:
    """The session of that id hash, or None."""
    row = conn.execute(sa.select(t).where(t.c.id_hash == id_hash)).first()
    return None if row is None else Session(**row._mapping)


def touch(conn: Connection, id_hash: str, now_ms: int) -> None:
    """Note that the session was used now (its idle timeout starts again)."""
    conn.execute(sa.update(t).where(t.c.id_hash == id_hash).values(seen_ms=now_ms))


def end(conn: Connection, id_hash: str) -> None:
    """Forget one session."""
    conn.execute(sa.delete(t).where(t.c.id_hash == id_hash))


def end_all_of(conn: Connection, source: str, user_name: str) -> int:
    """Forget every session of one user (a removed user, a changed password); how many there were."""
    return conn.execute(sa.delete(t).where(t.c.source == source, t.c.user_name == user_name)).rowcount


def forget_idle(conn: Connection, seen_before_ms: int, created_before_ms: int) -> None:
    """Delete sessions idle since, or started before, the given times."""
    conn.execute(sa.delete(t).where(sa.or_(t.c.seen_ms < seen_before_ms, t.c.created_ms < created_before_ms)))


def begin_sign_in(conn: Connection, state: str, verifier: str, nonce: str, next_path: str, now_ms: int) -> None:
    """Remember a single sign-on sent to its provider, by its state."""
    conn.execute(
        sa.insert(console_sign_ins).values(
            state=state, verifier=verifier, nonce=nonce, next_path=next_path, created_ms=now_ms
        )
    )


def finish_sign_in(conn: Connection, state: str, created_after_ms: int) -> tuple[str, str, str] | None:
    """(verifier, nonce, next path) of a sign-in in flight, taken so that it is used once; None if unknown or old."""
    s = console_sign_ins
    row = conn.execute(
        sa.select(s.c.verifier, s.c.nonce, s.c.next_path, s.c.created_ms).where(s.c.state == state)
    ).first()
    if row is None:
        return None
    conn.execute(sa.delete(s).where(s.c.state == state))
    if row.created_ms < created_after_ms:
        return None
    return row.verifier, row.nonce, row.next_path


def sign_ins_in_flight(conn: Connection, created_after_ms: int) -> int:
    """How many sign-ins started since then are still waiting for their provider; older ones are deleted."""
    s = console_sign_ins
    conn.execute(sa.delete(s).where(s.c.created_ms < created_after_ms))
    return int(conn.execute(sa.select(sa.func.count()).select_from(s)).scalar_one())


def time_zone(conn: Connection, user_arn: str) -> str | None:
    """The time zone a person chose, or None."""
    p = console_preferences
    zone: str | None = conn.execute(sa.select(p.c.time_zone).where(p.c.user_arn == user_arn)).scalar()
    return zone


def set_time_zone(conn: Connection, user_arn: str, zone: str) -> None:
    """Remember a person's time zone."""
    p = console_preferences
    if conn.execute(sa.update(p).where(p.c.user_arn == user_arn).values(time_zone=zone)).rowcount == 0:
        conn.execute(sa.insert(p).values(user_arn=user_arn, time_zone=zone))
