"""The resource policy that shares a contact through RAM (aws-behaviour §4.4, §3.10)."""

from __future__ import annotations

from typing import Any

from incidentd.api.contacts.common import SERVICE, invalid, load_contact
from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.services import sharing
from incidentd.store import contact_policies


@handles(SERVICE, "PutContactPolicy")
def put_contact_policy(ctx: CallContext, params: dict[str, Any]) -> None:
    """Attach a policy document to a contact, replacing the one it had."""
    arn = load_contact(ctx, params["ContactArn"])["ContactArn"]
    try:
        # Only a sharing incidentd can honour is accepted, and whom it shares with is recorded (services/sharing.py).
        sharing.share_contact(ctx, arn, params["Policy"])
    except sharing.ShareError as error:
        raise invalid(str(error)) from None
    # Stored as sent: GetContactPolicy hands back the caller's own text (model example).
    contact_policies.put(ctx.conn, ctx.account_id, arn, params["Policy"])
    return None


@handles(SERVICE, "GetContactPolicy")
def get_contact_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The contact's policy; a contact without one answers without Policy (aws-behaviour §7, our decision)."""
    arn = load_contact(ctx, params["ContactArn"])["ContactArn"]
    # The model makes Policy optional, and ResourceNotFoundException would read as "no such contact".
    return {"ContactArn": arn, "Policy": contact_policies.get(ctx.conn, ctx.account_id, arn)}
