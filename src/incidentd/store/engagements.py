"""Engagements, their pages and the pages' receipts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import contact_channels as ch
from incidentd.store.tables import engagements as e
from incidentd.store.tables import page_receipts as r
from incidentd.store.tables import pages as p

_INSERT_ENGAGEMENT = Prepared(sa.insert(e))
_INSERT_PAGE = Prepared(sa.insert(p))
_INSERT_RECEIPT = Prepared(sa.insert(r))
_KEY: dict[str, Any] = {"k_account": sa.bindparam("k_account"), "k_arn": sa.bindparam("k_arn")}
_GET_ENGAGEMENT = Prepared(sa.select(e).where(e.c.account_id == _KEY["k_account"], e.c.arn == _KEY["k_arn"]))
_GET_PAGE = Prepared(sa.select(p).where(p.c.account_id == _KEY["k_account"], p.c.arn == _KEY["k_arn"]))
# Everything a delivery needs to decide and compose, in one round trip: it runs for every page on every channel.
_DELIVERY = Prepared(
    sa.select(p.c.doc, p.c.accept_code, p.c.read_ms, p.c.contact_arn, e.c.stop_ms, ch.c.doc.label("channel"))
    .select_from(p)
    .join(e, sa.and_(e.c.account_id == p.c.account_id, e.c.arn == p.c.engagement_arn))
    .join(ch, sa.and_(ch.c.account_id == p.c.account_id, ch.c.arn == sa.bindparam("k_channel")))
    .where(p.c.account_id == _KEY["k_account"], p.c.arn == _KEY["k_arn"])
)


def _engagement(row: Mapping[Any, Any]) -> dict[str, Any]:
    keep = ("arn", "contact_arn", "start_ms", "stop_ms")
    return dict(row["doc"], **{name: row[name] for name in keep})


def _page(row: Mapping[Any, Any]) -> dict[str, Any]:
    keep = ("arn", "engagement_arn", "contact_arn", "created_ms", "sent_ms", "delivery_ms", "read_ms", "accept_code")
    return dict(row["doc"], **{name: row[name] for name in keep})


def add_engagement(
    conn: Connection, account_id: str, arn: str, contact_arn: str, start_ms: int, doc: dict[str, Any]
) -> None:
    """Record a new engagement."""
    _INSERT_ENGAGEMENT.run(
        conn,
        {
            "account_id": account_id,
            "arn": arn,
            "contact_arn": contact_arn,
            "incident_id": doc.get("IncidentId"),
            "start_ms": start_ms,
            "stop_ms": None,
            "doc": doc,
        },
    )


def get_engagement(conn: Connection, account_id: str, arn: str) -> dict[str, Any] | None:
    """One engagement, or None."""
    row = _GET_ENGAGEMENT.run(conn, {"k_account": account_id, "k_arn": arn}).first()
    return _engagement(dict(zip(e.c.keys(), row, strict=True))) if row is not None else None


def stop_engagement(conn: Connection, account_id: str, arn: str, stop_ms: int, reason: str | None) -> bool:
    """Stop an engagement that is running; False when it had already stopped."""
    statement = sa.update(e).where(e.c.account_id == account_id, e.c.arn == arn, e.c.stop_ms.is_(None))
    if conn.execute(statement.values(stop_ms=stop_ms)).rowcount != 1:
        return False
    if reason is not None:
        doc = conn.execute(sa.select(e.c.doc).where(e.c.account_id == account_id, e.c.arn == arn)).scalar_one()
        conn.execute(
            sa.update(e).where(e.c.account_id == account_id, e.c.arn == arn).values(doc=dict(doc, StopReason=reason))
        )
    return True


def list_engagements(
    conn: Connection,
    account_id: str,
    arn_prefix: str,
    incident_id: str | None,
    start_range: tuple[int | None, int | None],
    after: tuple[int, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Engagements whose ARN starts with the prefix (one region's), newest first, optionally of one incident."""
    query = sa.select(e).where(e.c.account_id == account_id, e.c.arn.startswith(arn_prefix, autoescape=True))
    if incident_id is not None:
        query = query.where(e.c.incident_id == incident_id)
    low, high = start_range
    if low is not None:
        query = query.where(e.c.start_ms >= low)
    if high is not None:
        query = query.where(e.c.start_ms <= high)
    if after is not None:
        query = query.where(sa.tuple_(e.c.start_ms, e.c.arn) < sa.tuple_(*after))
    query = query.order_by(e.c.start_ms.desc(), e.c.arn.desc()).limit(limit)
    return [_engagement(row._mapping) for row in conn.execute(query)]


def add_page(
    conn: Connection,
    account_id: str,
    arn: str,
    engagement_arn: str,
    contact_arn: str,
    created_ms: int,
    accept_code: str,
    doc: dict[str, Any],
) -> None:
    """Record a page of one personal contact."""
    _INSERT_PAGE.run(
        conn,
        {
            "account_id": account_id,
            "arn": arn,
            "engagement_arn": engagement_arn,
            "contact_arn": contact_arn,
            "created_ms": created_ms,
            "sent_ms": None,
            "delivery_ms": None,
            "read_ms": None,
            "accept_code": accept_code,
            "doc": doc,
        },
    )


def get_page(conn: Connection, account_id: str, arn: str) -> dict[str, Any] | None:
    """One page, or None."""
    row = _GET_PAGE.run(conn, {"k_account": account_id, "k_arn": arn}).first()
    return _page(dict(zip(p.c.keys(), row, strict=True))) if row is not None else None


def delivery(conn: Connection, account_id: str, page_arn: str, channel_arn: str) -> dict[str, Any] | None:
    """A page with its engagement's stop time and one channel's document, or None when either is gone."""
    row = _DELIVERY.run(conn, {"k_account": account_id, "k_arn": page_arn, "k_channel": channel_arn}).first()
    if row is None:
        return None
    page_doc, accept_code, read_ms, contact_arn, stop_ms, channel = row
    return {
        "page": page_doc,
        "accept_code": accept_code,
        "read_ms": read_ms,
        "contact_arn": contact_arn,
        "stop_ms": stop_ms,
        "channel": channel,
    }


def mark_page(conn: Connection, account_id: str, arn: str, column: str, at_ms: int) -> None:
    """Set the page's sent_ms, delivery_ms or read_ms, keeping the first time it happened."""
    target = p.c[column]
    statement = sa.update(p).where(p.c.account_id == account_id, p.c.arn == arn, target.is_(None))
    conn.execute(statement.values({column: at_ms}))


def unread_pages_with_code(conn: Connection, accept_code: str) -> list[tuple[str, dict[str, Any]]]:
    """(account, page) of every page nobody has read that went out with this accept code, newest first."""
    query = (
        sa.select(p)
        .where(p.c.accept_code == accept_code, p.c.read_ms.is_(None))
        .order_by(p.c.created_ms.desc(), p.c.arn)
    )
    return [(row.account_id, _page(row._mapping)) for row in conn.execute(query)]


def list_pages(
    conn: Connection, account_id: str, *, engagement_arn: str | None = None, contact_arn: str | None = None
) -> list[dict[str, Any]]:
    """Pages of an engagement or of a personal contact, oldest first."""
    query = sa.select(p).where(p.c.account_id == account_id)
    if engagement_arn is not None:
        query = query.where(p.c.engagement_arn == engagement_arn)
    if contact_arn is not None:
        query = query.where(p.c.contact_arn == contact_arn)
    return [_page(row._mapping) for row in conn.execute(query.order_by(p.c.created_ms, p.c.arn))]


def add_receipt(
    conn: Connection,
    account_id: str,
    page_arn: str,
    receipt_type: str,
    at_ms: int,
    info: str | None = None,
    channel_arn: str | None = None,
) -> None:
    """Record what happened to a page: SENT, DELIVERED, READ, ERROR or STOP."""
    _INSERT_RECEIPT.run(
        conn,
        {
            "account_id": account_id,
            "page_arn": page_arn,
            "receipt_ms": at_ms,
            "receipt_type": receipt_type,
            "receipt_info": info[:2048] if info else info,
            "channel_arn": channel_arn,
        },
    )


def receipts(conn: Connection, account_id: str, page_arn: str) -> list[dict[str, Any]]:
    """A page's receipts in the order they were recorded."""
    query = sa.select(r).where(r.c.account_id == account_id, r.c.page_arn == page_arn).order_by(r.c.id)
    return [dict(row._mapping) for row in conn.execute(query)]


def counts_by_incident(conn: Connection, account_id: str, incident_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Per incident: how many engagements it has, and how many of them someone acknowledged (a page read)."""
    if not incident_ids:
        return {}
    read = (
        sa.select(p.c.engagement_arn)
        .where(p.c.account_id == account_id, p.c.engagement_arn == e.c.arn, p.c.read_ms.is_not(None))
        .exists()
    )
    query = (
        sa.select(e.c.incident_id, sa.func.count(), sa.func.sum(sa.case((read, 1), else_=0)))
        .where(e.c.account_id == account_id, e.c.incident_id.in_(incident_ids))
        .group_by(e.c.incident_id)
    )
    return {incident: (int(total), int(acknowledged or 0)) for incident, total, acknowledged in conn.execute(query)}


def page_with_code(conn: Connection, account_id: str, engagement_arns: list[str], accept_code: str) -> str | None:
    """The ARN of the newest page of these engagements that went out with this accept code, or None."""
    if not engagement_arns:
        return None
    query = (
        sa.select(p.c.arn)
        .where(p.c.account_id == account_id, p.c.engagement_arn.in_(engagement_arns), p.c.accept_code == accept_code)
        .order_by(p.c.created_ms.desc())
        .limit(1)
    )
    arn: str | None = conn.execute(query).scalar()
    return arn
