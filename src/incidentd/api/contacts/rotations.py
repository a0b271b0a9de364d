"""On-call rotations: who takes turns, in which time zone, on what recurrence (aws-behaviour §4.5)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from incidentd.api.contacts import tags as contact_tags
from incidentd.api.contacts.common import (
    PAGES,
    SERVICE,
    contact_arn_of,
    invalid,
    load_rotation,
    not_found,
    rotation_arn_of,
)
from incidentd.api.context import CallContext
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.domain import arns
from incidentd.domain import rotations as rules
from incidentd.store import contacts, rotations, tags


def check_schedule(time_zone_id: str, recurrence: dict[str, Any], members: int) -> None:
    """Refuse a time zone or recurrence the service can't run, or more people on call than members."""
    message = rules.check_time_zone(time_zone_id) or rules.check_recurrence(recurrence)
    if message:
        raise invalid(message)
    if recurrence["NumberOfOnCalls"] > members:
        raise invalid(f"NumberOfOnCalls ({recurrence['NumberOfOnCalls']}) is more than the {members} contacts")


def _members(ctx: CallContext, contact_ids: list[str]) -> list[str]:
    """The canonical ARNs of the rotation's contacts, which must be existing PERSONAL contacts of the caller."""
    canonical = [contact_arn_of(ctx, contact_id) for contact_id in contact_ids]
    found = contacts.many(ctx.conn, ctx.account_id, [arn for arn in canonical if arn])
    for contact_id, arn in zip(contact_ids, canonical, strict=True):
        contact = found.get(arn) if arn else None
        if contact is None:  # CreateRotation and UpdateRotation model ResourceNotFoundException
            raise not_found("CONTACT", contact_id, "Contact")
        if contact["Type"] != "PERSONAL":  # the model: only PERSONAL contacts can be rotation members
            raise invalid(f"only PERSONAL contacts can be members of a rotation, not {contact_id}")
    return [arn for arn in canonical if arn]


@handles(SERVICE, "CreateRotation")
def create_rotation(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store a rotation; it starts at StartTime, or now when the caller gives none."""
    members = _members(ctx, params["ContactIds"])
    check_schedule(params["TimeZoneId"], params["Recurrence"], len(members))
    arn = arns.rotation(ctx.region, ctx.account_id, str(uuid.uuid4()))  # a UUID id (aws-behaviour §2 [INF])
    doc = {
        "RotationArn": arn,
        "Name": params["Name"],
        "ContactIds": members,
        # GetRotation must return a StartTime; AWS's default is unknown, ours is the creation time (§4.5, §7.6).
        "StartTime": params.get("StartTime", ctx.now),
        "TimeZoneId": params["TimeZoneId"],
        "Recurrence": params["Recurrence"],
    }
    rotations.insert(ctx.conn, ctx.account_id, ctx.region, doc, ctx.now_ms)
    tags.put(ctx.conn, ctx.account_id, arn, contact_tags.as_dict(params.get("Tags")), new=True)
    return {"RotationArn": arn}


@handles(SERVICE, "GetRotation", cacheable=True)
def get_rotation(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The whole rotation."""
    return load_rotation(ctx, params["RotationId"])


@handles(SERVICE, "UpdateRotation")
def update_rotation(ctx: CallContext, params: dict[str, Any]) -> None:
    """Replace the members the request carries (Recurrence always); the name never changes."""
    doc = copy.deepcopy(load_rotation(ctx, params["RotationId"]))
    if "ContactIds" in params:
        doc["ContactIds"] = _members(ctx, params["ContactIds"])
    for member in ("StartTime", "TimeZoneId", "Recurrence"):
        if member in params:
            doc[member] = params[member]
    check_schedule(doc["TimeZoneId"], doc["Recurrence"], len(doc["ContactIds"]))
    # Existing overrides stay as they are, even if they name former members (aws-behaviour §4.5: edits "can affect").
    rotations.save(ctx.conn, ctx.account_id, doc)
    return None


@handles(SERVICE, "DeleteRotation")
def delete_rotation(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete a rotation with its overrides and tags, and take it out of every on-call schedule (model)."""
    arn = load_rotation(ctx, params["RotationId"])["RotationArn"]
    for schedule in contacts.of_type(ctx.conn, ctx.account_id, ctx.region, "ONCALL_SCHEDULE"):
        rotation_ids = schedule["Plan"].get("RotationIds") or []
        # Plans may name a rotation by any ARN spelling that resolves to it (another partition): compare canonically.
        kept = [rotation_id for rotation_id in rotation_ids if rotation_arn_of(ctx, rotation_id) != arn]
        if len(kept) != len(rotation_ids):
            schedule["Plan"]["RotationIds"] = kept
            contacts.save(ctx.conn, ctx.account_id, schedule)
    tags.remove(ctx.conn, ctx.account_id, arn)
    rotations.delete(ctx.conn, ctx.account_id, arn)
    return None


@handles(SERVICE, "ListRotations")
def list_rotations(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The region's rotations in name order (AWS's order is unknown, aws-behaviour §7.4)."""
    position = PAGES.position(params, str, str)
    limit = PAGES.size(params)
    after = (position[0], position[1]) if position else None
    docs = rotations.page(ctx.conn, ctx.account_id, ctx.region, params.get("RotationNamePrefix"), after, limit + 1)
    result: dict[str, Any] = {"Rotations": docs[:limit]}
    if len(docs) > limit:
        last = docs[limit - 1]
        result["NextToken"] = next_token([last["Name"], last["RotationArn"]])
    return result
