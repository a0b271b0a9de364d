"""Automation documents: create, read, new versions, default version, delete."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.api.ssm.common import (
    PAGES,
    SERVICE,
    describe,
    invalid_document,
    invalid_version,
    load,
    own_name,
    refuse_builtin,
)
from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.runbooks import builtin, document, library
from incidentd.store import documents

MAX_CONTENT_BYTES = document.MAX_CONTENT_BYTES  # AWS's limit on a document's content, before and after parsing
MAX_VERSIONS = 1000  # AWS's limit on versions per document
RESERVED_PREFIXES = ("aws", "amazon", "amzn")  # AWS keeps these name prefixes for its own documents


def _format(params: dict[str, Any]) -> str:
    """The declared DocumentFormat; when absent, JSON if the content is JSON, else YAML.

    AWS assumes JSON; reading YAML too saves a retry for the many who omit the format with YAML content.
    """
    if "DocumentFormat" in params:
        return str(params["DocumentFormat"])
    try:
        json.loads(params["Content"])
        return "JSON"
    except ValueError:
        return "YAML"


def _checked(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The content's format and parsed document, or the modelled error for content that can't run."""
    content = params["Content"]
    if len(content.encode()) > MAX_CONTENT_BYTES:
        raise ServiceError("MaxDocumentSizeExceeded", f"The content is larger than {MAX_CONTENT_BYTES} bytes.")
    if params.get("Attachments") or params.get("Requires"):
        raise ServiceError("InvalidDocumentContent", "Attachments and Requires are not supported by incidentd.")
    fmt = _format(params)
    try:
        doc = document.parse(content, fmt)
        document.validate(doc)
    except document.DocumentError as error:
        raise ServiceError(error.code, error.message) from None
    return fmt, doc


def _version(params: dict[str, Any], fmt: str, doc: dict[str, Any], number: int, now: float) -> dict[str, Any]:
    content = params["Content"]
    version = {
        "Content": content,
        "DocumentFormat": fmt,
        "DocumentVersion": str(number),
        "VersionName": params.get("VersionName"),
        "CreatedDate": now,
        "Hash": hashlib.sha256(content.encode()).hexdigest(),
        "Description": doc.get("description"),
        "Parameters": document.describe_parameters(doc),
        "SchemaVersion": document.SCHEMA_VERSION,
    }
    return {key: value for key, value in version.items() if value is not None}


@handles(SERVICE, "CreateDocument", needs_onboarding=False)
def create_document(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store version 1 of a new Automation document."""
    name = params["Name"]
    if name.lower().startswith(RESERVED_PREFIXES):
        raise validation_error(f"Document names can't start with {', '.join(RESERVED_PREFIXES)} (reserved by AWS).")
    document_type = params.get("DocumentType", "Automation")
    if document_type != "Automation":
        raise ServiceError(
            "InvalidDocumentContent", f"incidentd stores Automation documents only; DocumentType {document_type} isn't."
        )
    if library.head(ctx.conn, ctx.account_id, ctx.region, name) is not None:
        raise ServiceError("DocumentAlreadyExists", f"Document with name {name} already exists.")
    fmt, doc = _checked(params)
    head = {
        "Name": name,
        "Owner": ctx.account_id,
        "DocumentType": "Automation",
        "DisplayName": params.get("DisplayName"),
        "TargetType": params.get("TargetType"),
        "Tags": params.get("Tags", []),
    }
    documents.create(
        ctx.conn, ctx.account_id, ctx.region, name, {k: v for k, v in head.items() if v is not None}, ctx.now_ms
    )
    documents.add_version(
        ctx.conn, ctx.account_id, ctx.region, name, 1, _version(params, fmt, doc, 1, ctx.now), ctx.now_ms
    )
    return {"DocumentDescription": describe(load(ctx, name, "1"))}


@handles(SERVICE, "GetDocument", needs_onboarding=False)
def get_document(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A version's content, in its own format or converted to the one asked for."""
    found = load(ctx, params["Name"], params.get("DocumentVersion"), params.get("VersionName"))
    version = found.version
    fmt = params.get("DocumentFormat") or version["DocumentFormat"]
    content = version["Content"]
    if fmt == "TEXT":
        raise ServiceError("InvalidDocumentVersion", "Automation documents can be read as YAML or JSON, not TEXT.")
    if fmt != version["DocumentFormat"]:
        try:
            content = document.render(document.parse(content, version["DocumentFormat"]), fmt)
        except document.DocumentError as error:  # stored before today's limits
            raise ServiceError("InvalidDocument", error.message) from None
    result = {
        "Name": found.name,
        "CreatedDate": version["CreatedDate"],
        "DisplayName": found.head.get("DisplayName"),
        "VersionName": version.get("VersionName"),
        "DocumentVersion": str(found.number),
        "Status": "Active",
        "Content": content,
        "DocumentType": found.head["DocumentType"],
        "DocumentFormat": fmt,
    }
    return {key: value for key, value in result.items() if value is not None}


@handles(SERVICE, "DescribeDocument", needs_onboarding=False)
def describe_document(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A version's description: parameters, versions, hash, owner."""
    return {"Document": describe(load(ctx, params["Name"], params.get("DocumentVersion"), params.get("VersionName")))}


@handles(SERVICE, "ListDocumentVersions", needs_onboarding=False)
def list_document_versions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Every version of a document, oldest first, in pages of MaxResults."""
    name = own_name(ctx, params["Name"])
    head = library.head(ctx.conn, ctx.account_id, ctx.region, name)
    if head is None:
        raise invalid_document(params["Name"])
    versions = library.versions(ctx.conn, ctx.account_id, ctx.region, name)
    page, token = PAGES.page_of(versions, lambda entry: [entry[0]], params, int)
    listed = []
    for number, version in page:
        entry = {
            "Name": name,
            "DisplayName": head.get("DisplayName"),
            "DocumentVersion": str(number),
            "VersionName": version.get("VersionName"),
            "CreatedDate": version["CreatedDate"],
            "IsDefaultVersion": number == int(head["_default"]),
            "DocumentFormat": version["DocumentFormat"],
            "Status": "Active",
        }
        listed.append({key: value for key, value in entry.items() if value is not None})
    result: dict[str, Any] = {"DocumentVersions": listed}
    if token:
        result["NextToken"] = token
    return result


@handles(SERVICE, "UpdateDocument", needs_onboarding=False)
def update_document(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Add a version after the latest; the default version stays until UpdateDocumentDefaultVersion moves it."""
    name = own_name(ctx, params["Name"])
    refuse_builtin(name, "update")
    latest = load(ctx, name, "$LATEST")
    selector = params.get("DocumentVersion", "$LATEST")
    # Only the latest version can be updated, named by number or as $LATEST (model UpdateDocument).
    if selector not in ("$LATEST", str(latest.number)):
        raise invalid_version(name, f"{selector}: only the latest version ({latest.number}) can be updated")
    if latest.version["Content"] == params["Content"]:
        raise ServiceError("DuplicateDocumentContent", "The content is the same as the latest version's.")
    version_name = params.get("VersionName")
    if version_name and library.version_by_name(ctx.conn, ctx.account_id, ctx.region, name, version_name):
        raise ServiceError("DuplicateDocumentVersionName", f"Version name {version_name} is already in use.")
    if latest.number >= MAX_VERSIONS:
        raise ServiceError("DocumentVersionLimitExceeded", f"A document can have at most {MAX_VERSIONS} versions.")
    fmt, doc = _checked(params)
    number = latest.number + 1
    documents.add_version(
        ctx.conn, ctx.account_id, ctx.region, name, number, _version(params, fmt, doc, number, ctx.now), ctx.now_ms
    )
    head = {k: v for k, v in latest.head.items() if not k.startswith("_")}
    changed: dict[str, Any] = {k: params[k] for k in ("DisplayName", "TargetType") if k in params}
    if changed:
        documents.update_shared(ctx.conn, ctx.account_id, ctx.region, name, {**head, **changed})
    return {"DocumentDescription": describe(load(ctx, name, str(number)))}


@handles(SERVICE, "UpdateDocumentDefaultVersion", needs_onboarding=False)
def update_document_default_version(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Make a version the default one."""
    name = own_name(ctx, params["Name"])
    if builtin.is_builtin(name):
        raise invalid_document(name)
    found = load(ctx, name, params["DocumentVersion"])
    documents.set_default(ctx.conn, ctx.account_id, ctx.region, name, found.number)
    description = {
        "Name": name,
        "DefaultVersion": str(found.number),
        "DefaultVersionName": found.version.get("VersionName"),
    }
    return {"Description": {k: v for k, v in description.items() if v is not None}}


@handles(SERVICE, "DeleteDocument", needs_onboarding=False)
def delete_document(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete a document, or one version of it that is not the default."""
    name = own_name(ctx, params["Name"])
    refuse_builtin(name, "delete")
    head = library.head(ctx.conn, ctx.account_id, ctx.region, name)
    if head is None:
        raise invalid_document(name)
    if "DocumentVersion" not in params and "VersionName" not in params:
        # Executions keep a copy of their document, so runs in flight carry on.
        documents.delete(ctx.conn, ctx.account_id, ctx.region, name)
        return None
    found = load(ctx, name, params.get("DocumentVersion"), params.get("VersionName"))
    if found.number == head["_default"]:
        raise ServiceError(
            "InvalidDocumentOperation",
            f"Version {found.number} is the default version of {name}; delete the document or change its default.",
        )
    documents.delete_version(ctx.conn, ctx.account_id, ctx.region, name, found.number)
    return None
