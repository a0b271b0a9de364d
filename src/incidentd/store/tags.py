"""Tags of any resource, keyed by its ARN."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import tags as t


def get(conn: Connection, account_id: str, arn: str) -> dict[str, str]:
    """A resource's tags."""
    query = sa.select(t.c.key, t.c.value).where(t.c.account_id == account_id, t.c.resource_arn == arn)
    return {row.key: row.value for row in conn.execute(query.order_by(t.c.key))}


def put(conn: Connection, account_id: str, arn: str, new_tags: dict[str, str]) -> None:
    """Add tags, replacing the values of keys that exist."""
    if not new_tags:
        return
    remove(conn, account_id, arn, list(new_tags))
    conn.execute(
        sa.insert(t),
        [{"account_id": account_id, "resource_arn": arn, "key": k, "value": v} for k, v in new_tags.items()],
    )


def remove(conn: Connection, account_id: str, arn: str, keys: list[str] | None = None) -> None:
    """Remove some keys, or all tags of the resource."""
    statement = sa.delete(t).where(t.c.account_id == account_id, t.c.resource_arn == arn)
    if keys is not None:
        statement = statement.where(t.c.key.in_(keys))
    conn.execute(statement)
