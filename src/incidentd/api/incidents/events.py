"""The timeline events Incident Manager writes by itself (aws-semantics §3.8)."""

from __future__ import annotations

import json
from typing import Any

from incidentd.api.context import RequestContext
from incidentd.api.incidents.common import new_id
from incidentd.store import timeline

STARTED_DATA = json.dumps("Incident Started")  # the console's start marker is a JSON-encoded string


def write(
    ctx: RequestContext,
    incident_arn: str,
    event_type: str,
    data: str,
    references: list[dict[str, str]],
    event_time: float | None = None,
) -> str:
    """Append one event, at the request's time unless another is given; its id."""
    event_id = new_id()
    timeline.insert(
        ctx.conn,
        ctx.account_id,
        {
            "incidentRecordArn": incident_arn,
            "eventId": event_id,
            "eventTime": ctx.now if event_time is None else event_time,
            "eventUpdatedTime": ctx.now,
            "eventType": event_type,
            "eventData": data,
            "eventReferences": references,
        },
    )
    return event_id


def started(ctx: RequestContext, incident_arn: str) -> None:
    """The "Incident Started" marker every incident's timeline begins with."""
    write(ctx, incident_arn, "Custom Event", STARTED_DATA, [{"resource": incident_arn}])


def trigger(ctx: RequestContext, incident_arn: str, details: dict[str, Any] | None, created: bool) -> None:
    """An "SSM Incident Trigger" event: the trigger that opened the incident or was deduplicated into it."""
    details = details or {}
    data = {
        "createdIncident": created,
        "incidentSource": details.get("source", "aws.ssm-incidents.custom"),
        "triggerArn": details.get("triggerArn"),
        "rawData": details.get("rawData"),
        "timestamp": details.get("timestamp"),
    }
    write(ctx, incident_arn, "SSM Incident Trigger", _json(data), [{"resource": incident_arn}])


def record_update(
    ctx: RequestContext,
    record: dict[str, Any],
    changes: list[dict[str, str]],
    references: list[dict[str, str]] | None = None,
) -> None:
    """An "SSM Incident Record Update" event listing the attributes that changed."""
    data = {"modifiedBy": ctx.caller_arn, "modifiedAttributes": changes, "incidentTitle": record["title"]}
    write(
        ctx,
        record["arn"],
        "SSM Incident Record Update",
        _json(data),
        (references or []) + [{"resource": record["arn"]}],
    )


def _json(value: Any) -> str:
    return json.dumps({k: v for k, v in value.items() if v is not None}, separators=(",", ":"))
