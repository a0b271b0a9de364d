"""SSM documents of an account and region: a head row per name and a row per version."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import ssm_document_versions as v
from incidentd.store.tables import ssm_documents as t


def _head(account_id: str, region: str, name: str) -> Any:
    return sa.and_(t.c.account_id == account_id, t.c.region == region, t.c.name == name)


def _versions(account_id: str, region: str, name: str) -> Any:
    return sa.and_(v.c.account_id == account_id, v.c.region == region, v.c.name == name)


# Built once: every incident whose plan has a runbook looks its document up twice.
_HEAD = Prepared(
    sa.select(t.c.doc, t.c.default_version, t.c.latest_version, t.c.created_ms).where(
        t.c.account_id == sa.bindparam("k_account"),
        t.c.region == sa.bindparam("k_region"),
        t.c.name == sa.bindparam("k_name"),
    )
)


def head(conn: Connection, account_id: str, region: str, name: str) -> dict[str, Any] | None:
    """A document's shared attributes with its default and latest version numbers, or None."""
    row = _HEAD.run(conn, {"k_account": account_id, "k_region": region, "k_name": name}).first()
    if row is None:
        return None
    doc, default_version, latest_version, created_ms = row
    return {**doc, "_default": default_version, "_latest": latest_version, "_createdMs": created_ms}


def version(conn: Connection, account_id: str, region: str, name: str, number: int) -> dict[str, Any] | None:
    """One version's stored attributes (content, format, parameters...), or None."""
    statement = sa.select(v.c.doc).where(_versions(account_id, region, name), v.c.version == number)
    doc: dict[str, Any] | None = conn.execute(statement).scalar()
    return doc


def versions(conn: Connection, account_id: str, region: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    """Every version of a document with its number, oldest first."""
    statement = sa.select(v.c.version, v.c.doc).where(_versions(account_id, region, name)).order_by(v.c.version)
    return [(row.version, row.doc) for row in conn.execute(statement)]


def version_named(conn: Connection, account_id: str, region: str, name: str, version_name: str) -> int | None:
    """The number of the version with this VersionName, or None."""
    statement = sa.select(v.c.version).where(_versions(account_id, region, name), v.c.version_name == version_name)
    number: int | None = conn.execute(statement).scalar()
    return number


def create(conn: Connection, account_id: str, region: str, name: str, shared: dict[str, Any], now_ms: int) -> None:
    """A new document head whose first version is 1."""
    conn.execute(
        sa.insert(t).values(
            account_id=account_id,
            region=region,
            name=name,
            created_ms=now_ms,
            default_version=1,
            latest_version=1,
            doc=shared,
        )
    )


def add_version(
    conn: Connection, account_id: str, region: str, name: str, number: int, doc: dict[str, Any], now_ms: int
) -> None:
    """Store one version and make it the latest."""
    conn.execute(
        sa.insert(v).values(
            account_id=account_id,
            region=region,
            name=name,
            version=number,
            version_name=doc.get("VersionName"),
            created_ms=now_ms,
            doc=doc,
        )
    )
    conn.execute(sa.update(t).where(_head(account_id, region, name)).values(latest_version=number))


def set_default(conn: Connection, account_id: str, region: str, name: str, number: int) -> None:
    """Make a version the one $DEFAULT and unversioned reads mean."""
    conn.execute(sa.update(t).where(_head(account_id, region, name)).values(default_version=number))


def delete(conn: Connection, account_id: str, region: str, name: str) -> None:
    """Delete a document with every version."""
    conn.execute(sa.delete(v).where(_versions(account_id, region, name)))
    conn.execute(sa.delete(t).where(_head(account_id, region, name)))


def delete_version(conn: Connection, account_id: str, region: str, name: str, number: int) -> None:
    """Delete one version and move `latest` to the newest one left."""
    conn.execute(sa.delete(v).where(_versions(account_id, region, name), v.c.version == number))
    newest = conn.execute(sa.select(sa.func.max(v.c.version)).where(_versions(account_id, region, name))).scalar()
    conn.execute(sa.update(t).where(_head(account_id, region, name)).values(latest_version=newest))


def listing(conn: Connection, account_id: str, region: str) -> list[dict[str, Any]]:
    """Every document of the account and region with its default version's attributes, in name order."""
    joined = t.join(
        v,
        sa.and_(
            v.c.account_id == t.c.account_id,
            v.c.region == t.c.region,
            v.c.name == t.c.name,
            v.c.version == t.c.default_version,
        ),
    )
    statement = (
        sa.select(t.c.doc, t.c.default_version, t.c.latest_version, t.c.created_ms, v.c.doc.label("version_doc"))
        .select_from(joined)
        .where(t.c.account_id == account_id, t.c.region == region)
        .order_by(t.c.name)
    )
    return [
        {
            **row.doc,
            **row.version_doc,
            "_default": row.default_version,
            "_latest": row.latest_version,
            "_createdMs": row.created_ms,
        }
        for row in conn.execute(statement)
    ]


def update_shared(conn: Connection, account_id: str, region: str, name: str, shared: dict[str, Any]) -> None:
    """Replace the attributes all versions share (DisplayName, TargetType, Tags)."""
    conn.execute(sa.update(t).where(_head(account_id, region, name)).values(doc=shared))
