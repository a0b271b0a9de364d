"""Tags on contacts of every type and on rotations, as a list of {Key, Value} on the wire (aws-behaviour §4.6)."""

from __future__ import annotations

from typing import Any

from incidentd.api.contacts.common import SERVICE, contact_arn_of, invalid, not_found, rotation_arn_of
from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.store import contacts, rotations, tags

MAX_TAGS = 50  # per resource (model TagsList; aws-behaviour §5)
# Our Service Quotas code for that limit: AWS's is not published (aws-behaviour §5, §7.9).
TAGS_QUOTA_CODE = "tags-per-resource"
_RESOURCE_TYPES = {"contact": "CONTACT", "rotation": "ROTATION"}


def as_dict(tag_list: list[dict[str, Any]] | None) -> dict[str, str]:
    """Wire tags as a mapping; a key given twice keeps its last value."""
    return {tag.get("Key", ""): tag.get("Value", "") for tag in tag_list or []}


def as_list(mapping: dict[str, str]) -> list[dict[str, str]]:
    """Stored tags as the wire's list, in key order."""
    return [{"Key": key, "Value": value} for key, value in sorted(mapping.items())]


def _taggable(ctx: CallContext, resource_arn: str) -> tuple[str, str]:
    """The canonical ARN and ResourceType of an existing contact or rotation of the caller's account and region."""
    contact = contact_arn_of(ctx, resource_arn)
    if contact is not None and contacts.get(ctx.conn, ctx.account_id, contact) is not None:
        return contact, "CONTACT"
    rotation = rotation_arn_of(ctx, resource_arn)
    if rotation is not None and rotations.get(ctx.conn, ctx.account_id, rotation) is not None:
        return rotation, "ROTATION"
    parsed = arns.parse(resource_arn)
    kind = _RESOURCE_TYPES.get(parsed.resource_type) if parsed and parsed.service == SERVICE else None
    if kind is not None:
        raise not_found(kind, resource_arn, "Resource")
    # Channels, engagements, pages and other services' ARNs can't carry tags (model ListTagsForResource doc).
    raise invalid(f"resource {resource_arn}: only contacts and rotations can be tagged")


@handles(SERVICE, "TagResource")
def tag_resource(ctx: CallContext, params: dict[str, Any]) -> None:
    """Add or overwrite tags, up to 50 per resource."""
    arn, resource_type = _taggable(ctx, params["ResourceARN"])
    new = as_dict(params["Tags"])
    if len(set(tags.get(ctx.conn, ctx.account_id, arn)) | set(new)) > MAX_TAGS:
        raise ServiceError(
            "ServiceQuotaExceededException",
            f"A resource can have at most {MAX_TAGS} tags.",
            ResourceId=arn,
            ResourceType=resource_type,
            QuotaCode=TAGS_QUOTA_CODE,
            ServiceCode=SERVICE,
        )
    tags.put(ctx.conn, ctx.account_id, arn, new)
    return None


@handles(SERVICE, "UntagResource")
def untag_resource(ctx: CallContext, params: dict[str, Any]) -> None:
    """Remove tag keys; keys the resource doesn't have are ignored."""
    arn, _ = _taggable(ctx, params["ResourceARN"])
    tags.remove(ctx.conn, ctx.account_id, arn, params["TagKeys"])
    return None


@handles(SERVICE, "ListTagsForResource")
def list_tags_for_resource(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """All of a resource's tags."""
    arn, _ = _taggable(ctx, params["ResourceARN"])
    return {"Tags": as_list(tags.get(ctx.conn, ctx.account_id, arn))}
