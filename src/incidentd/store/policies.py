"""Resource policies attached to response plans."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import resource_policies as t


def for_resource(conn: Connection, account_id: str, arn: str) -> list[dict[str, Any]]:
    """The policies on a resource, oldest first."""
    query = sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.resource_arn == arn)
    return list(conn.execute(query.order_by(t.c.policy_id)).scalars())


def insert(conn: Connection, account_id: str, arn: str, policy_id: str, doc: dict[str, Any]) -> None:
    """Attach a policy."""
    conn.execute(sa.insert(t).values(account_id=account_id, resource_arn=arn, policy_id=policy_id, doc=doc))


def delete(conn: Connection, account_id: str, arn: str, policy_id: str | None = None) -> int:
    """Detach one policy, or all of a resource's; the number removed."""
    statement = sa.delete(t).where(t.c.account_id == account_id, t.c.resource_arn == arn)
    if policy_id is not None:
        statement = statement.where(t.c.policy_id == policy_id)
    return conn.execute(statement).rowcount
