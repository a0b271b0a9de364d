"""Engagements: StartEngagement, StopEngagement, DescribeEngagement, ListEngagements (aws-behaviour §4.4)."""

from __future__ import annotations

from typing import Any

from incidentd.api.contacts.common import PAGES, SERVICE, load_contact, not_found, own_arn
from incidentd.api.context import CallContext
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.domain import arns
from incidentd.services import engagements
from incidentd.store import engagements as store


def load_engagement(ctx: CallContext, arn: str) -> dict[str, Any]:
    """The caller's engagement with this ARN, or ResourceNotFoundException."""
    found = store.get_engagement(ctx.conn, ctx.account_id, arn) if own_arn(ctx, arn, "engagement") else None
    if found is None:
        raise not_found("ENGAGEMENT", arn, "Engagement")
    return found


def engagement_wire(engagement: dict[str, Any]) -> dict[str, Any]:
    """An engagement as DescribeEngagement and ListEngagements show it."""
    wire = {
        "EngagementArn": engagement["arn"],
        "ContactArn": engagement["contact_arn"],
        "StartTime": engagement["start_ms"] / 1000,
    }
    for name in engagements.MESSAGE_FIELDS:
        if engagement.get(name) is not None:
            wire[name] = engagement[name]
    if engagement["stop_ms"] is not None:
        wire["StopTime"] = engagement["stop_ms"] / 1000
    return wire


@handles(SERVICE, "StartEngagement")
def start_engagement(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Engage a contact, escalation plan or on-call schedule; the first stage's pages are queued at once."""
    contact = load_contact(ctx, params["ContactId"])
    return {"EngagementArn": engagements.start(ctx, contact, params)}


@handles(SERVICE, "StopEngagement")
def stop_engagement(ctx: CallContext, params: dict[str, Any]) -> None:
    """Stop paging: later stages and retries find the engagement stopped and do nothing."""
    engagement = load_engagement(ctx, params["EngagementId"])
    # Stopping a stopped engagement changes nothing and is not an error: the caller's intent already holds.
    reason = params.get("Reason")
    info = f"stopped: {reason}" if reason else "stopped"
    engagements.stop(ctx, engagement["arn"], reason, info)


@handles(SERVICE, "DescribeEngagement")
def describe_engagement(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One engagement."""
    return engagement_wire(load_engagement(ctx, params["EngagementId"]))


@handles(SERVICE, "ListEngagements")
def list_engagements(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Engagements newest first (as AWS's example lists them), by incident and start-time range."""
    window = params.get("TimeRangeValue") or {}
    start_range = (_ms(window.get("StartTime")), _ms(window.get("EndTime")))
    position = PAGES.position(params, int, str)
    after = (position[0], position[1]) if position is not None else None
    limit = PAGES.size(params)
    # Engagements are regional like their contacts: list the signing region's only
    # (docs/aws-behaviour.md, "In short: ssm-contacts").
    prefix = arns.contacts_arn(ctx.region, ctx.account_id, "engagement/")
    found = store.list_engagements(
        ctx.conn, ctx.account_id, prefix, params.get("IncidentId"), start_range, after, limit + 1
    )
    page = found[:limit]
    result: dict[str, Any] = {"Engagements": [_summary(e) for e in page]}
    if len(found) > limit:
        result["NextToken"] = next_token([page[-1]["start_ms"], page[-1]["arn"]])
    return result


def _summary(engagement: dict[str, Any]) -> dict[str, Any]:
    wire = engagement_wire(engagement)
    keep = ("EngagementArn", "ContactArn", "Sender", "IncidentId", "StartTime", "StopTime")
    return {name: wire[name] for name in keep if name in wire}


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)
