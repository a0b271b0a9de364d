"""Look-ups, descriptions and page tokens that the ssm handlers share."""

from __future__ import annotations

from typing import Any

from incidentd.api import paging
from incidentd.api.context import CallContext
from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import builtin, engine, library

SERVICE = "ssm"
PAGES = paging.SSM
# Automation documents run on whatever the steps reach, so AWS lists every platform for them.
PLATFORMS = ["Windows", "Linux", "MacOS"]


def invalid_document(name: str) -> ServiceError:
    """The error every document operation models for a document that does not exist (for the caller)."""
    return ServiceError("InvalidDocument", f"Document with name {name} does not exist.")


def invalid_version(name: str, selector: str | None) -> ServiceError:
    """The error for a version a document does not have."""
    return ServiceError("InvalidDocumentVersion", f"Document {name} has no version {selector}.")


def own_name(ctx: CallContext, identifier: str) -> str:
    """The name a Name parameter means for the caller; InvalidDocument for another account's ARN."""
    name = library.name_of(ctx.account_id, ctx.region, identifier)
    if name is None:
        raise invalid_document(identifier)
    return name


def load(ctx: CallContext, identifier: str, selector: str | None, version_name: str | None = None) -> library.Found:
    """A version of a document the caller can read, or the modelled error."""
    name = own_name(ctx, identifier)
    head, found = library.find(ctx.conn, ctx.account_id, ctx.region, name, selector, version_name)
    if head is None:
        raise invalid_document(identifier)
    if found is None:
        raise invalid_version(identifier, version_name or selector)
    return found


def refuse_builtin(name: str, doing: str) -> None:
    """Amazon's documents are read-only for every account."""
    if builtin.is_builtin(name):
        raise ServiceError("InvalidDocumentOperation", f"You can't {doing} the Amazon-owned document {name}.")


def describe(found: library.Found) -> dict[str, Any]:
    """A version as DescribeDocument (and Create/UpdateDocument) describes it."""
    head, version = found.head, found.version
    description = {
        "Hash": version["Hash"],
        "HashType": "Sha256",
        "Name": found.name,
        "DisplayName": head.get("DisplayName"),
        "VersionName": version.get("VersionName"),
        "Owner": found.owner,
        "CreatedDate": version["CreatedDate"],
        "Status": "Active",
        "DocumentVersion": str(found.number),
        "Description": version.get("Description"),
        "Parameters": version.get("Parameters") or None,
        "PlatformTypes": PLATFORMS,
        "DocumentType": head["DocumentType"],
        "SchemaVersion": version["SchemaVersion"],
        "LatestVersion": str(head["_latest"]),
        "DefaultVersion": str(head["_default"]),
        "DocumentFormat": version["DocumentFormat"],
        "TargetType": head.get("TargetType"),
        "Tags": head.get("Tags", []),
    }
    return {key: value for key, value in description.items() if value is not None}


def env(ctx: CallContext) -> engine.Env:
    """The engine's view of a request: its unit of work, in which the steps it schedules are recorded."""
    return engine.Env.on(ctx, ctx.settings)
