"""Contacts, escalation plans and on-call schedules, and the plan each carries (aws-behaviour §4.2)."""

from __future__ import annotations

import copy
from typing import Any

from incidentd.api.contacts import tags as contact_tags
from incidentd.api.contacts.common import (
    PAGES,
    SERVICE,
    channel_arn_of,
    contact_arn_of,
    invalid,
    load_contact,
    rotation_arn_of,
)
from incidentd.api.context import CallContext
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.services import sharing
from incidentd.store import channels, contact_policies, contacts, rotations, tags

# The user guide's "up to eight rotations" per on-call schedule (aws-behaviour §4.5); the model admits 25.
MAX_SCHEDULE_ROTATIONS = 8
# Escalation plans engage people and schedules, never other escalation plans (aws-behaviour §4.2).
ESCALATION_TARGET_TYPES = ("PERSONAL", "ONCALL_SCHEDULE")
# Our name for the DependentEntity relation of a rotation to its member (aws-behaviour §4.2, §7.5: AWS's is unknown).
ROTATION_MEMBER = "ROTATION_MEMBER"


def _check_rotations(ctx: CallContext, rotation_ids: list[str]) -> None:
    if len(rotation_ids) > MAX_SCHEDULE_ROTATIONS:
        raise invalid(f"an on-call schedule can have at most {MAX_SCHEDULE_ROTATIONS} rotations")
    wanted = {rotation_id: rotation_arn_of(ctx, rotation_id) for rotation_id in rotation_ids}
    found = rotations.many(ctx.conn, ctx.account_id, [arn for arn in wanted.values() if arn])
    for rotation_id, arn in wanted.items():
        # CreateContact models no ResourceNotFoundException: a plan naming a missing rotation is an invalid value.
        if arn not in found:
            raise invalid(f"rotation {rotation_id} does not exist")


def _check_channel_targets(ctx: CallContext, contact_arn: str, targets: list[dict[str, Any]]) -> None:
    own = {channel.doc["ContactChannelArn"] for channel in channels.of_contact(ctx.conn, ctx.account_id, contact_arn)}
    for target in targets:
        info = target.get("ChannelTargetInfo")
        if info is None:
            raise invalid("a personal contact's plan can only engage its contact channels (ChannelTargetInfo)")
        if channel_arn_of(ctx, info["ContactChannelId"]) not in own:
            raise invalid(f"contact channel {info['ContactChannelId']} is not a channel of this contact")


def _check_contact_targets(ctx: CallContext, targets: list[dict[str, Any]]) -> None:
    infos = [target.get("ContactTargetInfo") for target in targets]
    if any(info is None or "ContactId" not in info for info in infos):
        raise invalid("an escalation plan can only engage contacts (ContactTargetInfo with a ContactId)")
    wanted = {info["ContactId"]: contact_arn_of(ctx, info["ContactId"]) for info in infos if info}
    found = contacts.many(ctx.conn, ctx.account_id, [arn for arn in wanted.values() if arn])
    for contact_id, arn in wanted.items():
        # Only contacts of the plan's own account can be added (aws-behaviour §4.2).
        target = found.get(arn) if arn else None
        if target is None:
            raise invalid(f"contact {contact_id} does not exist")
        if target["Type"] not in ESCALATION_TARGET_TYPES:
            raise invalid(f"an escalation plan can't engage the {target['Type']} contact {contact_id}")


def check_plan(ctx: CallContext, contact_type: str, contact_arn: str, plan: dict[str, Any]) -> None:
    """Refuse a plan the contact's type can't have, or one that names resources it can't engage."""
    stages = plan.get("Stages") or []
    rotation_ids = plan.get("RotationIds") or []
    if contact_type == "ONCALL_SCHEDULE":
        if stages:  # AWS's own wording (aws-behaviour §1.5, TF issue #39758)
            raise invalid("ONCALL SCHEDULE contact cannot have stages in plan")
        _check_rotations(ctx, rotation_ids)
        return
    if rotation_ids:
        raise invalid("only an ONCALL_SCHEDULE contact can have RotationIds in its plan")
    targets: list[dict[str, Any]] = []
    for number, stage in enumerate(stages, 1):
        # The model: "The duration can only be set to 0 if a target is specified."
        if stage["DurationInMinutes"] == 0 and not stage["Targets"]:
            raise invalid(f"stage {number} has a DurationInMinutes of 0 and no target")
        if any(len(target) != 1 for target in stage["Targets"]):
            raise invalid(f"each target of stage {number} must set exactly one of ChannelTargetInfo, ContactTargetInfo")
        targets.extend(stage["Targets"])
    if contact_type == "PERSONAL":
        _check_channel_targets(ctx, contact_arn, targets)
    else:
        _check_contact_targets(ctx, targets)


@handles(SERVICE, "CreateContact")
def create_contact(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store a contact under an alias unique in the account's region."""
    alias, contact_type = params["Alias"], params["Type"]
    arn = arns.contact(ctx.region, ctx.account_id, alias)
    if contacts.get(ctx.conn, ctx.account_id, arn) is not None:
        # ConflictException is the only candidate CreateContact models for a taken alias (aws-behaviour §4.2, §7.5).
        raise ServiceError(
            "ConflictException", f"A contact with alias {alias} already exists.", ResourceId=arn, ResourceType="CONTACT"
        )
    check_plan(ctx, contact_type, arn, params["Plan"])
    doc = {"ContactArn": arn, "Alias": alias, "Type": contact_type, "Plan": params["Plan"]}
    if "DisplayName" in params:
        doc["DisplayName"] = params["DisplayName"]
    contacts.insert(ctx.conn, ctx.account_id, ctx.region, doc, ctx.now_ms)
    tags.put(ctx.conn, ctx.account_id, arn, contact_tags.as_dict(params.get("Tags")), new=True)
    return {"ContactArn": arn}


@handles(SERVICE, "GetContact", cacheable=True)
def get_contact(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The contact with its plan as stored."""
    return load_contact(ctx, params["ContactId"])


@handles(SERVICE, "UpdateContact")
def update_contact(ctx: CallContext, params: dict[str, Any]) -> None:
    """Change DisplayName and Plan; alias and type never change, omitted members stay (aws-behaviour §4.2)."""
    doc = copy.deepcopy(load_contact(ctx, params["ContactId"]))
    if "Plan" in params:
        check_plan(ctx, doc["Type"], doc["ContactArn"], params["Plan"])
        doc["Plan"] = params["Plan"]
    if "DisplayName" in params:
        doc["DisplayName"] = params["DisplayName"]
    contacts.save(ctx.conn, ctx.account_id, doc)
    return None


@handles(SERVICE, "DeleteContact")
def delete_contact(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete a contact with its channels, policy and tags; refused while a rotation has it as a member."""
    arn = load_contact(ctx, params["ContactId"])["ContactArn"]
    members_of = [
        r["RotationArn"] for r in rotations.in_region(ctx.conn, ctx.account_id, ctx.region) if arn in r["ContactIds"]
    ]
    if members_of:
        # The model's DependentEntity example: "if a contact is a member of a rotation, the rotation is a dependent".
        raise ServiceError(
            "ConflictException",
            f"Contact {arn} is a member of {len(members_of)} rotation(s); remove it from them first.",
            ResourceId=arn,
            ResourceType="CONTACT",
            DependentEntities=[{"RelationType": ROTATION_MEMBER, "DependentResourceIds": members_of}],
        )
    # Escalation plans and response plans that name the contact keep the reference (model DeleteContact).
    channels.delete_of_contact(ctx.conn, ctx.account_id, arn)
    contact_policies.delete(ctx.conn, ctx.account_id, arn)
    sharing.unshare_contact(ctx, arn)
    tags.remove(ctx.conn, ctx.account_id, arn)
    contacts.delete(ctx.conn, ctx.account_id, arn)
    return None


@handles(SERVICE, "ListContacts")
def list_contacts(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The region's contacts in alias order (the order AWS's example shows, aws-behaviour §1.7), ARN order among
    equal aliases: the account's own and those other accounts share with the caller (§4.4)."""
    position = PAGES.position(params, str, str)
    limit = PAGES.size(params)
    after = (position[0], position[1]) if position else None
    prefix, contact_type = params.get("AliasPrefix"), params.get("Type")
    # Own aliases are unique in a region, so at most one own contact shares the position's alias.
    docs = [
        doc
        for doc in contacts.page(
            ctx.conn,
            ctx.account_id,
            ctx.region,
            prefix=prefix,
            contact_type=contact_type,
            after=after[0] if after else None,
            limit=limit + 2,
            inclusive=True,
        )
        if after is None or (doc["Alias"], doc["ContactArn"]) > after
    ]
    for owner, arn in sharing.shared_resources(ctx.conn, ctx.principal, "contact", "ssm-contacts:GetContact"):
        doc = contacts.get(ctx.conn, owner, arn)
        if (
            doc is not None
            and arn.split(":")[3] == ctx.region
            and doc["Alias"].startswith(prefix or "")
            and contact_type in (None, doc["Type"])
            and (after is None or (doc["Alias"], doc["ContactArn"]) > after)
        ):
            docs.append(doc)
    docs.sort(key=lambda doc: (doc["Alias"], doc["ContactArn"]))
    result: dict[str, Any] = {"Contacts": docs[:limit]}
    if len(docs) > limit:
        result["NextToken"] = next_token([docs[limit - 1]["Alias"], docs[limit - 1]["ContactArn"]])
    return result
