"""Contacts, escalation plans and on-call schedules, keyed by account and ARN (the ARN carries region and alias)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import contacts as t

_GET = Prepared(sa.select(t.c.doc).where(t.c.account_id == sa.bindparam("k_account"), t.c.arn == sa.bindparam("k_arn")))
_INSERT = Prepared(sa.insert(t))


def by_bytes(conn: Connection, column: Any) -> Any:
    """A text column compared and ordered byte by byte on every database, whatever PostgreSQL's collation."""
    # Keyset pages compare in SQL and clients expect plain ASCII order, not a locale's, which skips '-' and '_'.
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def get(conn: Connection, account_id: str, arn: str) -> dict[str, Any] | None:
    """A contact's document, or None."""
    doc: dict[str, Any] | None = _GET.run(conn, {"k_account": account_id, "k_arn": arn}).scalar()
    return doc


def many(conn: Connection, account_id: str, arns: list[str]) -> dict[str, dict[str, Any]]:
    """The documents of those of the given contacts that exist, by ARN."""
    if not arns:
        return {}
    query = sa.select(t.c.arn, t.c.doc).where(t.c.account_id == account_id, t.c.arn.in_(sorted(set(arns))))
    return {row.arn: row.doc for row in conn.execute(query)}


def insert(conn: Connection, account_id: str, region: str, doc: dict[str, Any], created_ms: int) -> None:
    """Store a new contact (the caller checked that its alias is free)."""
    _INSERT.run(
        conn,
        {
            "account_id": account_id,
            "arn": doc["ContactArn"],
            "region": region,
            "alias": doc["Alias"],
            "type": doc["Type"],
            "created_ms": created_ms,
            "doc": doc,
        },
    )


def save(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Replace a contact's document (alias and type never change)."""
    conn.execute(sa.update(t).where(t.c.account_id == account_id, t.c.arn == doc["ContactArn"]).values(doc=doc))


def delete(conn: Connection, account_id: str, arn: str) -> None:
    """Delete a contact row."""
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.arn == arn))


def of_type(conn: Connection, account_id: str, region: str, contact_type: str) -> list[dict[str, Any]]:
    """Every contact of one type in an account's region."""
    query = sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.region == region, t.c.type == contact_type)
    return list(conn.execute(query).scalars())


def page(
    conn: Connection,
    account_id: str,
    region: str,
    *,
    prefix: str | None,
    contact_type: str | None,
    after: str | None,
    limit: int,
    inclusive: bool = False,
) -> list[dict[str, Any]]:
    """Contacts of a region in alias order, starting after an alias (or at it, if inclusive)."""
    alias = by_bytes(conn, t.c.alias)
    query = sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.region == region)
    if prefix:
        query = query.where(t.c.alias.startswith(prefix, autoescape=True))  # '_' is a LIKE wildcard otherwise
    if contact_type:
        query = query.where(t.c.type == contact_type)
    if after is not None:
        query = query.where(alias >= after if inclusive else alias > after)
    return list(conn.execute(query.order_by(alias).limit(limit)).scalars())
