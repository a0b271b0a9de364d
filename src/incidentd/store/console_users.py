"""The console's local users: name, account, role and password hash (hashing itself happens above the store)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import console_users as t


@dataclass(frozen=True)
class User:
    """One local user of the console."""

    name: str
    account_id: str
    role: str
    password_hash: str
    contact_alias: str | None
    created_ms: int
    updated_ms: int


def get(conn: Connection, name: str) -> User | None:
    """The user of that name, or None."""
    row = conn.execute(sa.select(t).where(t.c.name == name)).first()
    return None if row is None else User(**row._mapping)


def add(conn: Connection, user: User) -> bool:
    """Store a new user; False when the name is taken."""
    if get(conn, user.name) is not None:
        return False
    conn.execute(sa.insert(t).values(**user.__dict__))
    return True


def set_password(conn: Connection, name: str, password_hash: str, now_ms: int) -> bool:
    """Replace a user's password hash; False when there is no such user."""
    result = conn.execute(sa.update(t).where(t.c.name == name).values(password_hash=password_hash, updated_ms=now_ms))
    return result.rowcount == 1


def remove(conn: Connection, name: str) -> bool:
    """Delete a user; False when there is no such user."""
    return conn.execute(sa.delete(t).where(t.c.name == name)).rowcount == 1


def all_users(conn: Connection) -> list[User]:
    """Every user, by name."""
    return [User(**row._mapping) for row in conn.execute(sa.select(t).order_by(t.c.name))]


def of_account(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    """An account's users by name: name, role, contact and times, never the password hash."""
    query = sa.select(t.c.name, t.c.role, t.c.contact_alias, t.c.created_ms, t.c.updated_ms)
    rows = conn.execute(query.where(t.c.account_id == account_id).order_by(t.c.name))
    return [dict(row._mapping) for row in rows]
