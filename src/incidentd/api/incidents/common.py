"""Look-ups and errors that several ssm-incidents handlers share."""

from __future__ import annotations

from typing import Any

from incidentd.api import paging
from incidentd.api.context import CallContext
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.store import incidents, plans

SERVICE = "ssm-incidents"
PAGES = paging.INCIDENTS


def not_found(resource_type: str, identifier: str, what: str) -> ServiceError:
    """A ResourceNotFoundException naming the resource."""
    return ServiceError(
        "ResourceNotFoundException",
        f"{what} {identifier} does not exist.",
        resourceIdentifier=identifier,
        resourceType=resource_type,
    )


def plan_name_of(ctx: CallContext, arn: str) -> str | None:
    """The plan name inside a response-plan ARN of the caller's own account, else None."""
    parsed = arns.parse(arn)
    if parsed is None or parsed.service != SERVICE or parsed.account != ctx.account_id:
        return None
    kind, _, name = parsed.resource.partition("/")
    return name if kind == "response-plan" and name and "/" not in name else None


def load_plan(ctx: CallContext, arn: str) -> dict[str, Any]:
    """The caller's response plan with this ARN, or ResourceNotFoundException (also for other accounts' ARNs)."""
    name = plan_name_of(ctx, arn)
    plan = plans.get(ctx.conn, ctx.account_id, name) if name else None
    if plan is None:
        raise not_found("RESPONSE_PLAN", arn, "Response plan")
    return plan


def load_incident(ctx: CallContext, arn: str) -> dict[str, Any]:
    """The caller's incident record with this ARN, or ResourceNotFoundException."""
    record = incidents.get(ctx.conn, ctx.account_id, arn)
    if record is None:
        raise not_found("INCIDENT_RECORD", arn, "Incident record")
    return record
