"""Client tokens: the first answer of an operation, replayed to every retry that carries the same token."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from incidentd.store.tables import idempotency_tokens as t


def claim(conn: Connection, account_id: str, operation: str, token: str, request_hash: str, now_ms: int) -> bool:
    """Record the token in this transaction; False when another request already holds it.

    On PostgreSQL a concurrent retry blocks on the unique key until the first transaction ends,
    then sees its committed row, so two concurrent retries never both do the work.
    """
    insert = postgresql.insert(t) if conn.dialect.name == "postgresql" else sqlite.insert(t)
    statement = insert.values(
        account_id=account_id, operation=operation, token=token, request_hash=request_hash, created_ms=now_ms
    ).on_conflict_do_nothing().returning(t.c.token)
    return conn.execute(statement).first() is not None


def previous(conn: Connection, account_id: str, operation: str, token: str) -> tuple[str, Any] | None:
    """The request hash and stored response of an earlier use of the token."""
    row = conn.execute(
        sa.select(t.c.request_hash, t.c.response).where(
            t.c.account_id == account_id, t.c.operation == operation, t.c.token == token
        )
    ).first()
    return None if row is None else (row.request_hash, row.response)


def remember(conn: Connection, account_id: str, operation: str, token: str, response: Any) -> None:
    """Store the answer that retries will get."""
    conn.execute(
        sa.update(t)
        .where(t.c.account_id == account_id, t.c.operation == operation, t.c.token == token)
        .values(response=response)
    )
