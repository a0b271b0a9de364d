"""Tags on response plans, incident records and the replication set (aws-behaviour §3.11)."""

from __future__ import annotations

from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import SERVICE, plan_name_of
from incidentd.api.registry import handles
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.store import incidents, plans, replication, tags

MAX_TAGS = 50

# The ResourceNotFoundException resourceType for each taggable kind of ARN (model enum ResourceType).
_RESOURCE_TYPES = {
    "response-plan": "RESPONSE_PLAN",
    "incident-record": "INCIDENT_RECORD",
    "replication-set": "REPLICATION_SET",
}


def _check_taggable(ctx: CallContext, arn: str) -> None:
    """The resource must exist in the caller's account; anything else is ResourceNotFoundException."""
    name = plan_name_of(ctx, arn)
    if name is not None and plans.get(ctx.conn, ctx.account_id, name) is not None:
        return
    if incidents.get(ctx.conn, ctx.account_id, arn) is not None:
        return
    current = replication.get(ctx.conn, ctx.account_id)
    if current is not None and current["arn"] == arn:
        return
    parsed = arns.parse(arn)
    kind = _RESOURCE_TYPES.get(parsed.resource_type) if parsed is not None else None
    raise ServiceError(
        "ResourceNotFoundException",
        f"Resource {arn} does not exist.",
        resourceIdentifier=arn,
        resourceType=kind,
    )


@handles(SERVICE, "TagResource")
def tag_resource(ctx: CallContext, params: dict[str, Any]) -> None:
    """Add or overwrite tags, up to 50 per resource."""
    arn = params["resourceArn"]
    _check_taggable(ctx, arn)
    existing = tags.get(ctx.conn, ctx.account_id, arn)
    if len(set(existing) | set(params["tags"])) > MAX_TAGS:
        raise ServiceError(
            "ServiceQuotaExceededException",
            f"A resource can have at most {MAX_TAGS} tags.",
            resourceIdentifier=arn,
            serviceCode=SERVICE,
            quotaCode="tags-per-resource",
        )
    tags.put(ctx.conn, ctx.account_id, arn, params["tags"])
    return None


@handles(SERVICE, "UntagResource")
def untag_resource(ctx: CallContext, params: dict[str, Any]) -> None:
    """Remove tag keys; keys the resource doesn't have are ignored."""
    arn = params["resourceArn"]
    _check_taggable(ctx, arn)
    tags.remove(ctx.conn, ctx.account_id, arn, params["tagKeys"])
    return None


@handles(SERVICE, "ListTagsForResource")
def list_tags_for_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """All of a resource's tags."""
    arn = params["resourceArn"]
    _check_taggable(ctx, arn)
    return {"tags": tags.get(ctx.conn, ctx.account_id, arn)}
