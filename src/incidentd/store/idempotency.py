"""Client tokens: the first answer of an operation, replayed to every retry that carries the same token."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import idempotency_tokens as t

_KEY = sa.and_(
    t.c.account_id == sa.bindparam("k_account"),
    t.c.operation == sa.bindparam("k_operation"),
    t.c.token == sa.bindparam("k_token"),
)
_PREVIOUS = Prepared(sa.select(t.c.request_hash, t.c.response).where(_KEY))
_REMEMBER = Prepared(sa.update(t).where(_KEY))
_CLAIMS = {
    dialect: Prepared(module.insert(t).on_conflict_do_nothing().returning(t.c.token))
    for dialect, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _key(account_id: str, operation: str, token: str) -> dict[str, str]:
    return {"k_account": account_id, "k_operation": operation, "k_token": token}


def claim(conn: Connection, account_id: str, operation: str, token: str, request_hash: str, now_ms: int) -> bool:
    """Record the token in this transaction; False when another request already holds it.

    On PostgreSQL a concurrent retry blocks on the unique key until the first transaction ends,
    then sees its committed row, so two concurrent retries never both do the work.
    """
    row = {
        "account_id": account_id,
        "operation": operation,
        "token": token,
        "request_hash": request_hash,
        "created_ms": now_ms,
    }
    return _CLAIMS[conn.dialect.name].run(conn, row).first() is not None


def previous(conn: Connection, account_id: str, operation: str, token: str) -> tuple[str, Any] | None:
    """The request hash and stored response of an earlier use of the token."""
    row = _PREVIOUS.run(conn, _key(account_id, operation, token)).first()
    return None if row is None else (row[0], row[1])


def remember(conn: Connection, account_id: str, operation: str, token: str, response: Any) -> None:
    """Store the answer that retries will get."""
    _REMEMBER.run(conn, {**_key(account_id, operation, token), "response": response})
