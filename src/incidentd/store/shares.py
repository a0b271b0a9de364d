"""Shares: the accounts and principals each resource policy names, with what it grants them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import shares as t


@dataclass(frozen=True)
class Share:
    """One consumer's grant on one shared plan or contact."""

    owner: str
    resource_arn: str
    statement: int
    consumer: str
    actions: frozenset[str]
    resources: tuple[str, ...]


def put(conn: Connection, owner: str, resource_arn: str, source: str, granted: list[Share]) -> None:
    """Replace what one policy of a resource shares."""
    delete(conn, owner, resource_arn, source)
    if granted:
        rows = [
            {
                "account_id": owner,
                "resource_arn": resource_arn,
                "source": source,
                "statement": share.statement,
                "consumer": share.consumer,
                "actions": sorted(share.actions),
                "resources": list(share.resources),
            }
            for share in granted
        ]
        conn.execute(sa.insert(t), rows)


def delete(conn: Connection, owner: str, resource_arn: str, source: str | None = None) -> None:
    """Forget what one policy of a resource shares, or all of them."""
    statement = sa.delete(t).where(t.c.account_id == owner, t.c.resource_arn == resource_arn)
    if source is not None:
        statement = statement.where(t.c.source == source)
    conn.execute(statement)


def of_resource(conn: Connection, owner: str, resource_arn: str, consumers: tuple[str, ...]) -> list[Share]:
    """What a resource shares with any of these consumers."""
    query = sa.select(t).where(t.c.account_id == owner, t.c.resource_arn == resource_arn, t.c.consumer.in_(consumers))
    return [_share(row) for row in conn.execute(query)]


def with_consumers(conn: Connection, consumers: tuple[str, ...], kind: str, limit: int) -> list[Share]:
    """The shares of one kind of resource (":response-plan/", ":contact/") with these consumers, by owner and ARN."""
    query = (
        sa.select(t)
        .where(t.c.consumer.in_(consumers), t.c.resource_arn.contains(kind, autoescape=True))
        .order_by(t.c.account_id, t.c.resource_arn)
        .limit(limit)
    )
    return [_share(row) for row in conn.execute(query)]


def _share(row: sa.Row[tuple[object, ...]]) -> Share:
    return Share(
        row.account_id, row.resource_arn, row.statement, row.consumer, frozenset(row.actions), tuple(row.resources)
    )
