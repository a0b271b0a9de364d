"""The one resource policy a contact may carry, stored as the JSON text the caller sent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import contact_policies as t


def get(conn: Connection, account_id: str, contact_arn: str) -> str | None:
    """A contact's policy, or None."""
    query = sa.select(t.c.policy).where(t.c.account_id == account_id, t.c.contact_arn == contact_arn)
    policy: str | None = conn.execute(query).scalar()
    return policy


def put(conn: Connection, account_id: str, contact_arn: str, policy: str) -> None:
    """Attach a policy, replacing the one the contact had."""
    delete(conn, account_id, contact_arn)
    conn.execute(sa.insert(t).values(account_id=account_id, contact_arn=contact_arn, policy=policy))


def delete(conn: Connection, account_id: str, contact_arn: str) -> None:
    """Remove a contact's policy, if it has one."""
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.contact_arn == contact_arn))
