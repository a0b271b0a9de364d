"""Related items: links, metrics, runbook runs and resources attached to an incident (aws-behaviour §3.7)."""

from __future__ import annotations

from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import PAGES, SERVICE, load_incident
from incidentd.api.registry import handles
from incidentd.services import incidents
from incidentd.store import related


@handles(SERVICE, "UpdateRelatedItems")
def update_related_items(ctx: CallContext, params: dict[str, Any]) -> None:
    """Add one item or remove one, logging the change on the timeline with a reference to the item."""
    record = load_incident(ctx, params["incidentRecordArn"])
    incidents.change_related_items(ctx, ctx.principal, record, params["relatedItemsUpdate"])
    return None


@handles(SERVICE, "ListRelatedItems")
def list_related_items(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The incident's items in the order they were added."""
    incident_arn = params["incidentRecordArn"]
    load_incident(ctx, incident_arn)
    items = related.all_for(ctx.conn, ctx.account_id, incident_arn)
    page, token = PAGES.page_of(items, lambda d: [d["_addedMs"], d["generatedId"]], params, int, str)
    return {"relatedItems": page, "nextToken": token}
