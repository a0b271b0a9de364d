"""Starting an execution: the one code path behind StartAutomationExecution and a response plan's runbook."""

from __future__ import annotations

import re
from typing import Any

from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import document, engine, interpolate, library, parameters

_ROLE_ARN = re.compile(r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
SESSION_NAME = "incidentd-automation"


def assumed_role(identity: str) -> str:
    """The identity steps act as: an IAM role ARN becomes its assumed-role session ARN; others stay as they are."""
    match = _ROLE_ARN.match(identity)
    if match is None:
        return identity
    return f"arn:{match['partition']}:sts::{match['account']}:assumed-role/{match['name']}/{SESSION_NAME}"


def start(
    env: engine.Env,
    region: str,
    document_name: str,
    version: str | None,
    given: dict[str, list[str]],
    identity: str,
    tags: list[dict[str, str]] | None = None,
) -> str:
    """Start an execution of a document version with the given parameters; its id, or the modelled error."""
    name = library.name_of(env.account_id, region, document_name)
    head, found = library.find(env.conn, env.account_id, region, name, version) if name else (None, None)
    if head is None:
        raise ServiceError(
            "AutomationDefinitionNotFoundException", f"Automation document {document_name} does not exist."
        )
    if found is None:
        raise ServiceError(
            "AutomationDefinitionVersionNotFoundException",
            f"Automation document {document_name} has no version {version}.",
        )
    doc = _stored(found.version)
    try:
        values = parameters.resolve(doc.get("parameters", {}), given)
    except parameters.ParameterError as error:
        raise ServiceError("InvalidAutomationExecutionParametersException", str(error)) from None
    # assumeRole usually names a parameter ({{ AutomationAssumeRole }}); without one, steps act as the starter.
    role = doc.get("assumeRole")
    try:
        role = interpolate.resolve(role, values) if role else None
    except interpolate.Unresolved as error:
        raise ServiceError("InvalidAutomationExecutionParametersException", str(error)) from None
    acting_as = str(role) if role else identity
    # Steps act as the role (its policies decide what aws:executeAwsApi may do), else as the starter.
    role_arn = acting_as if _ROLE_ARN.match(acting_as) else None
    caller = assumed_role(acting_as)
    return engine.start(env, region, found.name, str(found.number), doc, values, identity, caller, tags, role_arn)


def parameter_types(env: engine.Env, region: str, document_name: str, version: str | None) -> dict[str, str] | None:
    """The declared type of each parameter of a document version, or None when there is no such version."""
    name = library.name_of(env.account_id, region, document_name)
    _, found = library.find(env.conn, env.account_id, region, name, version) if name else (None, None)
    if found is None:
        return None
    doc = _stored(found.version)
    return {key: str(spec.get("type", "String")) for key, spec in doc.get("parameters", {}).items()}


def _stored(version: dict[str, Any]) -> dict[str, Any]:
    """A stored version's content, parsed; stored before today's limits, it may be refused now (a 4xx, not a 500)."""
    try:
        return document.parse(version["Content"], version["DocumentFormat"])
    except document.DocumentError as error:
        raise ServiceError(
            "InvalidAutomationExecutionParametersException", f"The document can't be run: {error.message}"
        ) from None
