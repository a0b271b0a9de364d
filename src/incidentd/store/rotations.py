"""On-call rotations and their overrides."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.domain import rotations as rules
from incidentd.store.contacts import by_bytes
from incidentd.store.tables import rotation_overrides as o
from incidentd.store.tables import rotations as t


def get(conn: Connection, account_id: str, arn: str) -> dict[str, Any] | None:
    """A rotation's document, or None."""
    doc: dict[str, Any] | None = conn.execute(
        sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.arn == arn)
    ).scalar()
    return doc


def many(conn: Connection, account_id: str, arns: list[str]) -> dict[str, dict[str, Any]]:
    """The documents of those of the given rotations that exist, by ARN."""
    if not arns:
        return {}
    query = sa.select(t.c.arn, t.c.doc).where(t.c.account_id == account_id, t.c.arn.in_(sorted(set(arns))))
    return {row.arn: row.doc for row in conn.execute(query)}


def insert(conn: Connection, account_id: str, region: str, doc: dict[str, Any], created_ms: int) -> None:
    """Store a new rotation."""
    values = {"arn": doc["RotationArn"], "region": region, "name": doc["Name"], "created_ms": created_ms, "doc": doc}
    conn.execute(sa.insert(t).values(account_id=account_id, **values))


def save(conn: Connection, account_id: str, doc: dict[str, Any]) -> None:
    """Replace a rotation's document (its name never changes)."""
    conn.execute(sa.update(t).where(t.c.account_id == account_id, t.c.arn == doc["RotationArn"]).values(doc=doc))


def delete(conn: Connection, account_id: str, arn: str) -> None:
    """Delete a rotation with its overrides."""
    conn.execute(sa.delete(o).where(o.c.account_id == account_id, o.c.rotation_arn == arn))
    conn.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.arn == arn))


def in_region(conn: Connection, account_id: str, region: str) -> list[dict[str, Any]]:
    """Every rotation of an account's region."""
    query = sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.region == region)
    return list(conn.execute(query.order_by(t.c.arn)).scalars())


def page(
    conn: Connection, account_id: str, region: str, prefix: str | None, after: tuple[str, str] | None, limit: int
) -> list[dict[str, Any]]:
    """Rotations of a region in name order (then ARN, since names need not be unique), after a keyset position."""
    name, arn = by_bytes(conn, t.c.name), by_bytes(conn, t.c.arn)
    query = sa.select(t.c.doc).where(t.c.account_id == account_id, t.c.region == region)
    if prefix:
        # Names may mix cases and SQLite's LIKE ignores case, so the prefix is compared as a substring.
        query = query.where(sa.func.substr(t.c.name, 1, len(prefix)) == prefix)
    if after is not None:
        query = query.where(sa.or_(name > after[0], sa.and_(name == after[0], arn > after[1])))
    return list(conn.execute(query.order_by(name, arn).limit(limit)).scalars())


def get_override(conn: Connection, account_id: str, rotation_arn: str, override_id: str) -> dict[str, Any] | None:
    """One override of a rotation, or None."""
    query = sa.select(o.c.doc).where(
        o.c.account_id == account_id, o.c.rotation_arn == rotation_arn, o.c.override_id == override_id
    )
    doc: dict[str, Any] | None = conn.execute(query).scalar()
    return doc


def insert_override(conn: Connection, account_id: str, doc: dict[str, Any], created_ms: int) -> None:
    """Store a new override; its document carries epoch-second times, the columns milliseconds."""
    values = {
        "rotation_arn": doc["RotationArn"],
        "override_id": doc["RotationOverrideId"],
        "start_ms": round(doc["StartTime"] * 1000),
        "end_ms": round(doc["EndTime"] * 1000),
        "created_ms": created_ms,
        "doc": doc,
    }
    conn.execute(sa.insert(o).values(account_id=account_id, **values))


def delete_override(conn: Connection, account_id: str, rotation_arn: str, override_id: str) -> None:
    """Delete one override."""
    conn.execute(
        sa.delete(o).where(
            o.c.account_id == account_id, o.c.rotation_arn == rotation_arn, o.c.override_id == override_id
        )
    )


def overrides(
    conn: Connection,
    account_id: str,
    rotation_arn: str,
    start_ms: int,
    end_ms: int,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Overrides overlapping [start, end), by start time then id, after a keyset position."""
    query = sa.select(o.c.doc).where(
        o.c.account_id == account_id,
        o.c.rotation_arn == rotation_arn,
        o.c.start_ms < end_ms,
        o.c.end_ms > start_ms,
    )
    if after is not None:
        query = query.where(sa.tuple_(o.c.start_ms, o.c.override_id) > sa.tuple_(after[0], after[1]))
    query = query.order_by(o.c.start_ms, o.c.override_id)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).scalars())


def overrides_in_force(
    conn: Connection, account_id: str, rotation_arn: str, start_ms: int, end_ms: int
) -> list[rules.Override]:
    """A rotation's overrides overlapping [start, end), oldest made first: where they overlap, the later one wins."""
    docs = overrides(conn, account_id, rotation_arn, start_ms, end_ms)
    docs.sort(key=lambda doc: (doc["CreateTime"], doc["RotationOverrideId"]))
    return [rules.Override(tuple(d["NewContactIds"]), _utc(d["StartTime"]), _utc(d["EndTime"])) for d in docs]


def _utc(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
