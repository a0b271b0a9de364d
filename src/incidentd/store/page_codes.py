"""Wrong accept codes against a page, counted in the page's stored document so that every node sees the count."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.tables import pages as p

WRONG_CODES = "_incidentd_wrong_codes"  # the page document's member; DescribePage shows only the model's members


def wrong_codes(conn: Connection, account_id: str, arn: str) -> int | None:
    """How many wrong accept codes the page has met, its row locked until the transaction ends (PostgreSQL); None
    when the page is gone (deleted with its contact by a call that committed since the caller read it)."""
    query = sa.select(p.c.doc).where(p.c.account_id == account_id, p.c.arn == arn).with_for_update()
    doc = conn.execute(query).scalar()
    return None if doc is None else int(doc.get(WRONG_CODES, 0))


def count_wrong_code(conn: Connection, account_id: str, arn: str) -> int:
    """Count one more wrong accept code against the page; the new count."""
    where = (p.c.account_id == account_id, p.c.arn == arn)
    doc = conn.execute(sa.select(p.c.doc).where(*where).with_for_update()).scalar_one()
    count = int(doc.get(WRONG_CODES, 0)) + 1
    conn.execute(sa.update(p).where(*where).values(doc={**doc, WRONG_CODES: count}))
    return count
