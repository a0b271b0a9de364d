"""Timeline events: responders' notes and custom events beside the ones Incident Manager writes (§3.8)."""

from __future__ import annotations

import copy
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import PAGES, SERVICE, load_incident, not_found
from incidentd.api.registry import handles
from incidentd.domain import filters, response
from incidentd.protocol.errors import validation_error
from incidentd.services import incidents as service
from incidentd.store import timeline

# The model: "You can create timeline events of type Custom Event and Note"; only those can be edited.
USER_EVENT_TYPES = ("Custom Event", "Note")

_FILTER_KEYS = {"eventTime": filters.TIME, "eventType": filters.STRING, "eventReference": filters.STRING}


def _check_type(event_type: str) -> None:
    if event_type not in USER_EVENT_TYPES:
        raise validation_error(
            f"Timeline events of type '{event_type}' can't be created or changed; use 'Custom Event' or 'Note'."
        )


def _load(ctx: CallContext, incident_arn: str, event_id: str) -> dict[str, Any]:
    load_incident(ctx, incident_arn)
    doc = timeline.get(ctx.conn, ctx.account_id, incident_arn, event_id)
    if doc is None:
        raise not_found("TIMELINE_EVENT", event_id, "Timeline event")
    return doc


@handles(SERVICE, "CreateTimelineEvent")
def create_timeline_event(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Add a Custom Event or Note at the given time."""
    incident_arn = params["incidentRecordArn"]
    record = load_incident(ctx, incident_arn)
    _check_type(params["eventType"])
    event_id = service.write_event(
        ctx,
        incident_arn,
        params["eventType"],
        params["eventData"],
        params.get("eventReferences", []),
        event_time=params["eventTime"],
    )
    if params["eventType"] == "Note":
        # Responders' notes reach the chat channel and notification targets, in this transaction.
        ctx.enqueue_many(response.jobs_for_note(record, event_id))
    return {"eventId": event_id, "incidentRecordArn": incident_arn}


@handles(SERVICE, "GetTimelineEvent", cacheable=True)
def get_timeline_event(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """One event."""
    return {"event": _load(ctx, params["incidentRecordArn"], params["eventId"])}


@handles(SERVICE, "UpdateTimelineEvent")
def update_timeline_event(ctx: CallContext, params: dict[str, Any]) -> None:
    """Change a user event; eventReferences, when given, replace the old ones (model)."""
    doc = copy.deepcopy(_load(ctx, params["incidentRecordArn"], params["eventId"]))
    _check_type(doc["eventType"])
    if "eventType" in params:
        _check_type(params["eventType"])
    for member in ("eventType", "eventData", "eventTime", "eventReferences"):
        if member in params:
            doc[member] = params[member]
    doc["eventUpdatedTime"] = ctx.now
    timeline.save(ctx.conn, ctx.account_id, doc)
    return None


@handles(SERVICE, "DeleteTimelineEvent")
def delete_timeline_event(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete a user event; a missing one is not an error (the model lists no ResourceNotFoundException)."""
    incident_arn, event_id = params["incidentRecordArn"], params["eventId"]
    doc = timeline.get(ctx.conn, ctx.account_id, incident_arn, event_id)
    if doc is not None:
        _check_type(doc["eventType"])
        timeline.delete(ctx.conn, ctx.account_id, incident_arn, event_id)
    return None


@handles(SERVICE, "ListTimelineEvents")
def list_timeline_events(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Events filtered by time, type and reference; newest first unless ASCENDING is asked for (§1.7)."""
    incident_arn = params["incidentRecordArn"]
    load_incident(ctx, incident_arn)
    try:
        criteria = filters.combine(params.get("filters", []), _FILTER_KEYS)
    except filters.FilterError as exc:
        raise validation_error(str(exc)) from None
    descending = params.get("sortOrder", "DESCENDING") == "DESCENDING"
    query = timeline.EventQuery(
        after_ms=_ms(criteria.after.get("eventTime")),
        before_ms=_ms(criteria.before.get("eventTime")),
        event_types=criteria.values.get("eventType", []),
        newest_first=descending,
    )
    if any(not values for values in criteria.values.values()):
        return {"eventSummaries": []}
    docs = timeline.all_for(ctx.conn, ctx.account_id, incident_arn, query)
    references = criteria.values.get("eventReference")
    if references:
        # A reference filter matches a resource ARN or a related item id (aws-behaviour §3.8).
        docs = [d for d in docs if any(set(ref.values()) & set(references) for ref in d.get("eventReferences", []))]
    page, token = PAGES.page_of(
        docs, lambda d: [round(d["eventTime"] * 1000), d["eventId"]], params, int, str, descending=descending
    )
    summaries = [{k: v for k, v in d.items() if k != "eventData"} for d in page]
    return {"eventSummaries": summaries, "nextToken": token}


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)
