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
from incidentd.protocol.errors import RefusalAfterWrites, ServiceError
from incidentd.store import channels
from incidentd.store.channels import Guard

NOT_ACTIVATED, ACTIVATED = "NOT_ACTIVATED", "ACTIVATED"
SPENT_CODE = "too many wrong activation codes; the code is spent: send a new code (SendActivationCode)"

# The model: SMS and VOICE take '+' and the country code and number (E.164, at most 15 digits); EMAIL any address.
_PHONE = re.compile(r"^\+[0-9]{8,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _check_address(channel_type: str, address: dict[str, Any]) -> None:
    value = address.get("SimpleAddress", "")
    if channel_type == "EMAIL" and not _EMAIL.match(value):
        raise invalid(f"{value!r} is not an email address")
    if channel_type in ("SMS", "VOICE") and not _PHONE.match(value):
        raise invalid(f"{value!r} is not a phone number in E.164 form ('+' and 8 to 15 digits)")


def _send_code(ctx: CallContext, channel_arn: str, guard: Guard) -> tuple[str, Guard]:
    """A fresh 6-digit code, the job that delivers it (committed with the channel or not at all), and the guard
    that counts it; ThrottlingException once the channel had its codes for the hour ([paging])."""
    sent = guard.codes_in_hour(ctx.now_ms)
    per_hour = ctx.settings.paging.activation_codes_per_hour
    if len(sent) >= per_hour:
        # Every code is a text or a call on the operator's account: a loop must not turn it into a pump.
        retry_after = max(1, (min(sent) + channels.HOUR_MS - ctx.now_ms + 999) // 1000)
        raise ServiceError(
            "ThrottlingException",
            f"The contact channel was sent {per_hour} activation codes in the last hour; "
            f"try again in {retry_after} seconds.",
            RetryAfterSeconds=retry_after,
        )
    ctx.enqueue(SEND_ACTIVATION_CODE, {"channelArn": channel_arn})
    # A new code starts with no wrong guesses against it.
    return f"{secrets.randbelow(10**6):06d}", Guard(0, (*sent, ctx.now_ms), guard.pages_sent_ms)


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
    code, guard = (None, Guard()) if params.get("DeferActivation") else _send_code(ctx, arn, Guard())
    channels.insert(ctx.conn, ctx.account_id, doc, code, ctx.now_ms, guard)
    return {"ContactChannelArn": arn}


@handles(SERVICE, "GetContactChannel", cacheable=True)
def get_contact_channel(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One channel; the activation code never leaves the server."""
    return load_channel(ctx, params["ContactChannelId"]).doc


@handles(SERVICE, "UpdateContactChannel")
def update_contact_channel(ctx: CallContext, params: dict[str, Any]) -> None:
    """Rename a channel or move it to a new address; type and contact never change (aws-behaviour §4.3)."""
    channel = _locked(ctx, params["ContactChannelId"])
    doc, code, guard = copy.deepcopy(channel.doc), channel.activation_code, channel.guard
    if "Name" in params:
        doc["Name"] = params["Name"]
    address = params.get("DeliveryAddress")
    if address is not None and address != doc["DeliveryAddress"]:
        _check_address(doc["Type"], address)
        # A new address is a new device that has not proved it receives pages (aws-behaviour §4.3 [INF]).
        doc["DeliveryAddress"], doc["ActivationStatus"] = address, NOT_ACTIVATED
        code, guard = _send_code(ctx, doc["ContactChannelArn"], guard)
    channels.save(ctx.conn, ctx.account_id, doc, code, guard)
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
    """Activate a channel with the code sent to it last; the code is then spent, as it is by too many wrong ones."""
    channel = _locked(ctx, params["ContactChannelId"])
    expected, guard = channel.activation_code, channel.guard
    if expected is None:
        raise invalid("activation code")
    limit = ctx.settings.paging.wrong_code_limit
    if guard.wrong_codes >= limit:  # even the right code: else guessing would only have to go on until it hits
        raise invalid(SPENT_CODE)
    if not secrets.compare_digest(expected, params["ActivationCode"]):
        wrong = Guard(guard.wrong_codes + 1, guard.codes_sent_ms, guard.pages_sent_ms)
        channels.save(ctx.conn, ctx.account_id, channel.doc, expected, wrong)
        refusal = invalid(SPENT_CODE if wrong.wrong_codes >= limit else "activation code")
        raise RefusalAfterWrites(refusal.code, refusal.message, **refusal.members)  # the count is kept
    doc = dict(channel.doc, ActivationStatus=ACTIVATED)
    channels.save(ctx.conn, ctx.account_id, doc, None, Guard(0, guard.codes_sent_ms, guard.pages_sent_ms))
    return None


@handles(SERVICE, "DeactivateContactChannel")
def deactivate_contact_channel(ctx: CallContext, params: dict[str, Any]) -> None:
    """Stop engaging a channel until it is activated again with a new code."""
    channel = _locked(ctx, params["ContactChannelId"])
    doc = dict(channel.doc, ActivationStatus=NOT_ACTIVATED)
    channels.save(ctx.conn, ctx.account_id, doc, channel.activation_code, channel.guard)
    return None


@handles(SERVICE, "SendActivationCode")
def send_activation_code(ctx: CallContext, params: dict[str, Any]) -> None:
    """Send a new code (the old one stops working); an active channel needs none."""
    channel = _locked(ctx, params["ContactChannelId"])
    if channel.doc["ActivationStatus"] == ACTIVATED:
        raise invalid("the contact channel is already activated")
    code, guard = _send_code(ctx, channel.doc["ContactChannelArn"], channel.guard)
    channels.save(ctx.conn, ctx.account_id, channel.doc, code, guard)
    return None


def _locked(ctx: CallContext, channel_id: str) -> channels.Channel:
    """The caller's channel, its row locked until the call commits, so that concurrent guesses all count."""
    # One locked read: on PostgreSQL a plain read then a locked one could see a channel that a concurrent
    # DeleteContactChannel removed in between, and find nothing the second time.
    return load_channel(ctx, channel_id, for_update=True)
