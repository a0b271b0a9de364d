"""Related items: links, metrics, runbook runs and resources attached to an incident (aws-semantics §3.7)."""

from __future__ import annotations

import json
from typing import Any

from incidentd.api.context import RequestContext
from incidentd.api.incidents import events
from incidentd.api.incidents.common import PAGES, SERVICE, load_incident
from incidentd.api.registry import handles
from incidentd.domain.related_items import generated_id
from incidentd.protocol.errors import ServiceError
from incidentd.store import incidents, related


def add_item(ctx: RequestContext, incident_arn: str, item: dict[str, Any], log: bool = True) -> str:
    """Attach an item under its stable generated id; adding the same item twice is a ConflictException."""
    identifier = item["identifier"]
    item_id = generated_id(identifier["type"], identifier["value"])
    if related.exists(ctx.conn, ctx.account_id, incident_arn, item_id):
        if not log:
            return item_id  # StartIncident with a repeated item: keep one, as a set would
        raise ServiceError(
            "ConflictException",
            f"The incident already has the related item {item_id}.",
            resourceIdentifier=incident_arn,
            resourceType="INCIDENT_RECORD",
        )
    # _addedMs orders items for paging; the output shape drops it.
    doc = {
        "generatedId": item_id,
        "identifier": identifier,
        "title": item.get("title"),
        "_addedMs": ctx.now_ms,
    }
    related.insert(ctx.conn, ctx.account_id, incident_arn, {k: v for k, v in doc.items() if v is not None}, ctx.now_ms)
    return item_id


@handles(SERVICE, "UpdateRelatedItems")
def update_related_items(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Add one item or remove one, logging the change on the timeline with a reference to the item."""
    record = load_incident(ctx, params["incidentRecordArn"])
    update = params["relatedItemsUpdate"]
    if "itemToAdd" in update:
        item_id = add_item(ctx, record["arn"], update["itemToAdd"])
    else:
        identifier = update["itemToRemove"]
        item_id = generated_id(identifier["type"], identifier["value"])
        if not related.delete(ctx.conn, ctx.account_id, record["arn"], item_id):
            raise ServiceError(
                "ResourceNotFoundException",
                f"The incident has no related item {item_id}.",
                resourceIdentifier=item_id,
                resourceType="INCIDENT_RECORD",
            )
    # A related-item change is a change of the record: AWS moves lastModifiedTime with it (§3.8).
    record.update(lastModifiedTime=ctx.now, lastModifiedBy=ctx.caller_arn)
    incidents.save(ctx.conn, ctx.account_id, record)
    change = {"attributeName": "relatedItems", "newValue": json.dumps(update, separators=(",", ":"))}
    events.record_update(ctx, record, [change], references=[{"relatedItemId": item_id}])
    return None


@handles(SERVICE, "ListRelatedItems")
def list_related_items(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The incident's items in the order they were added."""
    incident_arn = params["incidentRecordArn"]
    load_incident(ctx, incident_arn)
    items = related.all_for(ctx.conn, ctx.account_id, incident_arn)
    page, token = PAGES.page_of(items, lambda d: [d["_addedMs"], d["generatedId"]], params, int, str)
    return {"relatedItems": page, "nextToken": token}
