"""Contact channels and their activation (aws-behaviour §4.3)."""

from __future__ import annotations

import copy
import re
import secrets
import uuid
from typing import Any

from incidentd.api.contacts.common import PAGES, SERVICE, invalid, load_channel, load_contact
from incidentd.api.context import CallContext
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.domain import arns
from incidentd.domain.jobs import SEND_ACTIVATION_CODE
from incidentd.store import channels

NOT_ACTIVATED, ACTIVATED = "NOT_ACTIVATED", "ACTIVATED"

# The model: SMS and VOICE take '+' and the country code and number (E.164, at most 15 digits); EMAIL any address.
_PHONE = re.compile(r"^\+[0-9]{8,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _check_address(channel_type: str, address: dict[str, Any]) -> None:
    value = address.get("SimpleAddress", "")
    if channel_type == "EMAIL" and not _EMAIL.match(value):
        raise invalid(f"{value!r} is not an email address")
    if channel_type in ("SMS", "VOICE") and not _PHONE.match(value):
        raise invalid(f"{value!r} is not a phone number in E.164 form ('+' and 8 to 15 digits)")


def _send_code(ctx: CallContext, channel_arn: str) -> str:
    """A fresh 6-digit code, and the job that delivers it, committed with the channel or not at all."""
    ctx.enqueue(SEND_ACTIVATION_CODE, {"channelArn": channel_arn})
    return f"{secrets.randbelow(10**6):06d}"


@handles(SERVICE, "CreateContactChannel")
def create_contact_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Add a channel to a personal contact; it starts NOT_ACTIVATED and is sent a code unless deferred."""
    contact = load_contact(ctx, params["ContactId"])
    if contact["Type"] != "PERSONAL":
        raise invalid(f"only PERSONAL contacts have contact channels, not {contact['Type']} contacts")
    _check_address(params["Type"], params["DeliveryAddress"])
    arn = arns.contact_channel(ctx.region, ctx.account_id, contact["Alias"], str(uuid.uuid4()))
    doc = {
        "ContactChannelArn": arn,
        "ContactArn": contact["ContactArn"],
        "Name": params["Name"],
        "Type": params["Type"],
        "DeliveryAddress": params["DeliveryAddress"],
        "ActivationStatus": NOT_ACTIVATED,
    }
    code = None if params.get("DeferActivation") else _send_code(ctx, arn)
    channels.insert(ctx.conn, ctx.account_id, doc, code, ctx.now_ms)
    return {"ContactChannelArn": arn}


@handles(SERVICE, "GetContactChannel", cacheable=True)
def get_contact_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One channel; the activation code never leaves the server."""
    return load_channel(ctx, params["ContactChannelId"]).doc


@handles(SERVICE, "UpdateContactChannel")
def update_contact_channel(ctx: CallContext, params: dict[str, Any]) -> None:
    """Rename a channel or move it to a new address; type and contact never change (aws-behaviour §4.3)."""
    channel = load_channel(ctx, params["ContactChannelId"])
    doc, code = copy.deepcopy(channel.doc), channel.activation_code
    if "Name" in params:
        doc["Name"] = params["Name"]
    address = params.get("DeliveryAddress")
    if address is not None and address != doc["DeliveryAddress"]:
        _check_address(doc["Type"], address)
        # A new address is a new device that has not proved it receives pages (aws-behaviour §4.3 [INF]).
        doc["DeliveryAddress"], doc["ActivationStatus"] = address, NOT_ACTIVATED
        code = _send_code(ctx, doc["ContactChannelArn"])
    channels.save(ctx.conn, ctx.account_id, doc, code)
    return None


@handles(SERVICE, "DeleteContactChannel")
def delete_contact_channel(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete a channel; plan stages naming it stay and are ignored (model DeleteContactChannel)."""
    channel = load_channel(ctx, params["ContactChannelId"])
    channels.delete(ctx.conn, ctx.account_id, channel.doc["ContactChannelArn"])
    return None


@handles(SERVICE, "ListContactChannels")
def list_contact_channels(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A contact's channels, oldest first."""
    contact = load_contact(ctx, params["ContactId"])
    position = PAGES.position(params, int, str)
    limit = PAGES.size(params)
    after = (position[0], position[1]) if position else None
    found = channels.of_contact(ctx.conn, ctx.account_id, contact["ContactArn"], after, limit + 1)
    result: dict[str, Any] = {"ContactChannels": [channel.doc for channel in found[:limit]]}
    if len(found) > limit:
        last = found[limit - 1]
        result["NextToken"] = next_token([last.created_ms, last.doc["ContactChannelArn"]])
    return result


@handles(SERVICE, "ActivateContactChannel")
def activate_contact_channel(ctx: CallContext, params: dict[str, Any]) -> None:
    """Activate a channel with the code sent to it last; the code is then spent."""
    channel = load_channel(ctx, params["ContactChannelId"])
    expected = channel.activation_code
    if expected is None or not secrets.compare_digest(expected, params["ActivationCode"]):
        raise invalid("activation code")
    doc = dict(channel.doc, ActivationStatus=ACTIVATED)
    channels.save(ctx.conn, ctx.account_id, doc, None)
    return None


@handles(SERVICE, "DeactivateContactChannel")
def deactivate_contact_channel(ctx: CallContext, params: dict[str, Any]) -> None:
    """Stop engaging a channel until it is activated again with a new code."""
    channel = load_channel(ctx, params["ContactChannelId"])
    doc = dict(channel.doc, ActivationStatus=NOT_ACTIVATED)
    channels.save(ctx.conn, ctx.account_id, doc, channel.activation_code)
    return None


@handles(SERVICE, "SendActivationCode")
def send_activation_code(ctx: CallContext, params: dict[str, Any]) -> None:
    """Send a new code (the old one stops working); an active channel needs none."""
    channel = load_channel(ctx, params["ContactChannelId"])
    if channel.doc["ActivationStatus"] == ACTIVATED:
        raise invalid("the contact channel is already activated")
    channels.save(ctx.conn, ctx.account_id, channel.doc, _send_code(ctx, channel.doc["ContactChannelArn"]))
    return None
