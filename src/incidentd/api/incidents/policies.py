"""Resource policies: the RAM-style sharing documents attached to response plans (aws-behaviour §3.10)."""

from __future__ import annotations

import secrets
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import PAGES, SERVICE, load_plan, not_found
from incidentd.api.registry import handles
from incidentd.protocol.errors import validation_error
from incidentd.services import sharing
from incidentd.store import policies


def _position(doc: dict[str, Any]) -> list[Any]:
    """A policy's place in the list: oldest first."""
    return [doc.get("_putMs", 0), doc["policyId"]]


@handles(SERVICE, "PutResourcePolicy")
def put_resource_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Attach a policy to a response plan; its id is 32 lower-case hex characters like AWS's."""
    plan = load_plan(ctx, params["resourceArn"])
    policy_id = secrets.token_hex(16)
    try:
        # Only a sharing incidentd can honour is accepted, and whom it shares with is recorded (services/sharing.py).
        sharing.share_plan(ctx, plan["arn"], policy_id, params["policy"])
    except sharing.ShareError as error:
        raise validation_error(str(error)) from None
    # _putMs is internal (the output shape drops it): pages are keyed by (time, id) like every other list.
    doc = {
        "policyId": policy_id,
        "policyDocument": params["policy"],
        "ramResourceShareRegion": ctx.region,
        "_putMs": ctx.now_ms,
    }
    policies.insert(ctx.conn, ctx.account_id, plan["arn"], policy_id, doc)
    return {"policyId": policy_id}


@handles(SERVICE, "GetResourcePolicies")
def get_resource_policies(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The policies on a response plan."""
    plan = load_plan(ctx, params["resourceArn"])
    docs = sorted(policies.for_resource(ctx.conn, ctx.account_id, plan["arn"]), key=_position)
    page, token = PAGES.page_of(docs, _position, params, int, str)
    return {"resourcePolicies": page, "nextToken": token}


@handles(SERVICE, "DeleteResourcePolicy")
def delete_resource_policy(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Detach one policy."""
    plan = load_plan(ctx, params["resourceArn"])
    if not policies.delete(ctx.conn, ctx.account_id, plan["arn"], params["policyId"]):
        raise not_found("RESOURCE_POLICY", params["policyId"], "Resource policy")
    sharing.unshare_plan(ctx, plan["arn"], params["policyId"])
    return {}
