"""Finding a document version by name or ARN and version selector: the account's own, or a built-in one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.domain import arns
from incidentd.runbooks import builtin
from incidentd.store import documents


@dataclass(frozen=True)
class Found:
    """One version of a document, with the attributes its versions share."""

    name: str
    head: dict[str, Any]
    number: int
    version: dict[str, Any]

    @property
    def owner(self) -> str:
        """The owning account id, or "Amazon" for a built-in document."""
        return str(self.head["Owner"])


def document_arn(region: str, account: str, name: str) -> str:
    """The ARN of an account's document."""
    return f"arn:{arns.PARTITION}:ssm:{region}:{account}:document/{name}"


def name_of(account: str, region: str, identifier: str) -> str | None:
    """The document name a Name parameter means (a name, or an ARN of the caller's or a built-in document)."""
    if not identifier.startswith("arn:"):
        return identifier
    parsed = arns.parse(identifier)
    if parsed is None or parsed.service != "ssm" or parsed.region not in ("", region):
        return None
    kind, _, name = parsed.resource.partition("/")
    if kind != "document" or not name:
        return None
    if parsed.account == account or (not parsed.account and builtin.is_builtin(name)):
        return name
    return None


def head(conn: Connection, account: str, region: str, name: str) -> dict[str, Any] | None:
    """A document's shared attributes, from the account or the built-ins."""
    if builtin.is_builtin(name):
        return dict(builtin.HEAD)
    return documents.head(conn, account, region, name)


def number_of(conn: Connection, account: str, region: str, found_head: dict[str, Any], selector: str | None) -> int:
    """The version number a DocumentVersion selector means ($DEFAULT when absent); 0 when it is not a number."""
    if selector in (None, "", "$DEFAULT"):
        return int(found_head["_default"])
    if selector == "$LATEST":
        return int(found_head["_latest"])
    return int(selector) if selector and selector.isdigit() else 0


def version(conn: Connection, account: str, region: str, name: str, number: int) -> dict[str, Any] | None:
    """One stored version's attributes, or None."""
    if builtin.is_builtin(name):
        return dict(builtin.VERSION) if number == 1 else None
    return documents.version(conn, account, region, name, number)


def versions(conn: Connection, account: str, region: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    """Every version of a document with its number, oldest first (a built-in one has only version 1)."""
    if builtin.is_builtin(name):
        return [(1, dict(builtin.VERSION))]
    return documents.versions(conn, account, region, name)


def version_by_name(conn: Connection, account: str, region: str, name: str, version_name: str) -> int | None:
    """The number of the version with a VersionName."""
    if builtin.is_builtin(name):
        return None
    return documents.version_named(conn, account, region, name, version_name)


def find(
    conn: Connection, account: str, region: str, name: str, selector: str | None, version_name: str | None = None
) -> tuple[dict[str, Any] | None, Found | None]:
    """The document's head (None: no such document) and the selected version (None: no such version)."""
    found_head = head(conn, account, region, name)
    if found_head is None:
        return None, None
    if version_name:
        number = version_by_name(conn, account, region, name, version_name) or 0
        if selector not in (None, "", "$DEFAULT", "$LATEST") and str(number) != selector:
            return found_head, None
    else:
        number = number_of(conn, account, region, found_head, selector)
    stored = version(conn, account, region, name, number) if number else None
    if stored is None:
        return found_head, None
    return found_head, Found(name, found_head, number, stored)
