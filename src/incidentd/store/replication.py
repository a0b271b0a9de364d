"""The replication set: one per account, the switch that onboards an account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import metadata
from incidentd.store.tables import replication_sets as t

# Built once: every write request checks onboarding.
_EXISTS = Prepared(sa.select(t.c.account_id).where(t.c.account_id == sa.bindparam("k_account")))
_GET = Prepared(sa.select(t.c.doc).where(t.c.account_id == sa.bindparam("k_account")))


def exists(conn: Connection, account_id: str) -> bool:
    """Whether the account has onboarded."""
    return _EXISTS.run(conn, {"k_account": account_id}).first() is not None


def get(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The account's replication set document."""
    doc: dict[str, Any] | None = _GET.run(conn, {"k_account": account_id}).scalar()
    return doc


def insert(conn: Connection, account_id: str, arn: str, doc: dict[str, Any]) -> None:
    """Store a new replication set."""
    conn.execute(sa.insert(t).values(account_id=account_id, arn=arn, doc=doc))


def save(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Replace the stored document."""
    conn.execute(sa.update(t).where(t.c.account_id == account_id).values(doc=doc))


def delete_account(conn: Connection, account_id: str) -> None:
    """Delete every row the account owns, in every table: deleting the replication set deletes all data."""
    for table in reversed(metadata.sorted_tables):
        if "account_id" in table.c:
            conn.execute(sa.delete(table).where(table.c.account_id == account_id))
