"""Tags of any resource, keyed by its ARN."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import tags as t

_INSERT = Prepared(sa.insert(t))
# Prepared: authorizing a call whose policy reads aws:ResourceTag looks a resource's tags up on every request.
_GET = Prepared(
    sa.select(t.c.key, t.c.value)
    .where(t.c.account_id == sa.bindparam("k_account"), t.c.resource_arn == sa.bindparam("k_arn"))
    .order_by(t.c.key)
)


def get(conn: Connection, account_id: str, arn: str) -> dict[str, str]:
    """A resource's tags."""
    return {key: value for key, value in _GET.run(conn, {"k_account": account_id, "k_arn": arn}).rows}


def put(conn: Connection, account_id: str, arn: str, new_tags: dict[str, str], new: bool = False) -> None:
    """Add tags, replacing the values of keys that exist (a resource created just now has none to replace)."""
    if not new_tags:
        return
    if not new:
        remove(conn, account_id, arn, list(new_tags))
    _INSERT.run_many(
        conn,
        [{"account_id": account_id, "resource_arn": arn, "key": k, "value": v} for k, v in new_tags.items()],
    )


def remove(conn: Connection, account_id: str, arn: str, keys: list[str] | None = None) -> None:
    """Remove some keys, or all tags of the resource."""
    statement = sa.delete(t).where(t.c.account_id == account_id, t.c.resource_arn == arn)
    if keys is not None:
        statement = statement.where(t.c.key.in_(keys))
    conn.execute(statement)
