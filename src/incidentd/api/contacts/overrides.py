"""Rotation overrides: other members take over part of the shifts for a while (aws-behaviour §4.5)."""

from __future__ import annotations

import uuid
from typing import Any

from incidentd.api.contacts.common import PAGES, SERVICE, contact_arn_of, invalid, load_rotation, not_found
from incidentd.api.context import CallContext
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.store import rotations

MIN_OVERRIDE_SECONDS = 30 * 60  # "must be at least 30 minutes" (user guide, aws-behaviour §4.5)
# "Only for shifts up to 6 months in the future" (aws-behaviour §4.5): we read six months as 183 days.
MAX_OVERRIDE_LEAD_SECONDS = 183 * 24 * 3600


def _load(ctx: CallContext, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The rotation's ARN and the override of it the request names, or ResourceNotFoundException."""
    arn = load_rotation(ctx, params["RotationId"])["RotationArn"]
    override_id = params["RotationOverrideId"]
    doc = rotations.get_override(ctx.conn, ctx.account_id, arn, override_id.lower())
    if doc is None:
        raise not_found("ROTATION_OVERRIDE", override_id, "Rotation override")
    return arn, doc


@handles(SERVICE, "CreateRotationOverride")
def create_rotation_override(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Hand [StartTime, EndTime) of a rotation to some of its members; the id is a bare UUID (aws-behaviour §2)."""
    rotation = load_rotation(ctx, params["RotationId"])
    start, end = params["StartTime"], params["EndTime"]
    if end - start < MIN_OVERRIDE_SECONDS:
        raise invalid("an override must end at least 30 minutes after it starts")
    if start < ctx.now:
        raise invalid("an override must start in the future")
    if start - ctx.now > MAX_OVERRIDE_LEAD_SECONDS:
        raise invalid("an override must start within 6 months from now")
    members = set(rotation["ContactIds"])
    new_contact_ids = []
    for contact_id in params["NewContactIds"]:
        # The console only offers the rotation's own members (aws-behaviour §4.5); so do we.
        arn = contact_arn_of(ctx, contact_id)
        if arn not in members:
            raise invalid(f"contact {contact_id} is not a member of the rotation")
        new_contact_ids.append(arn)
    override_id = str(uuid.uuid4())
    doc = {
        "RotationOverrideId": override_id,
        "RotationArn": rotation["RotationArn"],
        "NewContactIds": new_contact_ids,
        "StartTime": start,
        "EndTime": end,
        "CreateTime": ctx.now,
    }
    rotations.insert_override(ctx.conn, ctx.account_id, doc, ctx.now_ms)
    return {"RotationOverrideId": override_id}


@handles(SERVICE, "GetRotationOverride")
def get_rotation_override(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One override, with the ARN of its rotation."""
    return _load(ctx, params)[1]


@handles(SERVICE, "DeleteRotationOverride")
def delete_rotation_override(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete an override: the original holders take the time back."""
    arn, doc = _load(ctx, params)
    rotations.delete_override(ctx.conn, ctx.account_id, arn, doc["RotationOverrideId"])
    return None


@handles(SERVICE, "ListRotationOverrides")
def list_rotation_overrides(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The overrides overlapping [StartTime, EndTime), by start time."""
    arn = load_rotation(ctx, params["RotationId"])["RotationArn"]
    position = PAGES.position(params, int, str)
    limit = PAGES.size(params)
    start_ms, end_ms = round(params["StartTime"] * 1000), round(params["EndTime"] * 1000)
    after = (position[0], position[1]) if position else None
    docs = rotations.overrides(ctx.conn, ctx.account_id, arn, start_ms, end_ms, after, limit + 1)
    result: dict[str, Any] = {"RotationOverrides": docs[:limit]}
    if len(docs) > limit:
        last = docs[limit - 1]
        result["NextToken"] = next_token([round(last["StartTime"] * 1000), last["RotationOverrideId"]])
    return result
