"""Response plans, keyed by account and name."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.contacts import by_bytes
from incidentd.store.prepared import Prepared
from incidentd.store.tables import response_plans as t

# Built once: GetResponsePlan is the hottest read, and building a statement costs more than running it.
_GET = Prepared(
    sa.select(t.c.doc).where(t.c.account_id == sa.bindparam("k_account"), t.c.name == sa.bindparam("k_name"))
)
_INSERT = Prepared(sa.insert(t))


def get(conn: Connection, account_id: str, name: str) -> dict[str, Any] | None:
    """A plan's document, or None."""
    doc: dict[str, Any] | None = _GET.run(conn, {"k_account": account_id, "k_name": name}).scalar()
    return doc


def insert(conn: Connection, account_id: str, name: str, doc: dict[str, Any]) -> bool:
    """Store a new plan; False when the name is taken."""
    if get(conn, account_id, name) is not None:
        return False
    _INSERT.run(conn, {"account_id": account_id, "name": name, "doc": doc})
    return True


def save(conn: Connection, account_id: str, name: str, doc: dict[str, Any]) -> None:
    """Replace a plan's document."""
    conn.execute(sa.update(t).where(t.c.account_id == account_id, t.c.name == name).values(doc=doc))


def delete(conn: Connection, account_id: str, name: str) -> None:
    """Delete a plan (its incidents stay)."""
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.name == name))


def page(
    conn: Connection, account_id: str, after: str | None, limit: int, *, inclusive: bool = False
) -> list[dict[str, Any]]:
    """Plans in name order (byte order, as Python compares names), starting after a name, or at it if inclusive."""
    name = by_bytes(conn, t.c.name)
    query = sa.select(t.c.doc).where(t.c.account_id == account_id)
    if after is not None:
        query = query.where(name >= after if inclusive else name > after)
    return list(conn.execute(query.order_by(name).limit(limit)).scalars())
