"""Incident records: starting (with deduplication and the durable response), reading, listing, updating."""

from __future__ import annotations

import dataclasses
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import PAGES, SERVICE, load_incident, load_plan
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.domain import arns, filters, ids, response
from incidentd.protocol.errors import validation_error
from incidentd.services import incidents as service
from incidentd.services import sharing
from incidentd.store import incidents, related, tags, timeline

_FILTER_KEYS = {
    "creationTime": filters.TIME,
    "impact": filters.INTEGER,
    "status": filters.STRING,
    "createdBy": filters.STRING,
}
_SUMMARY_MEMBERS = (
    "arn",
    "creationTime",
    "impact",
    "incidentRecordSource",
    "resolvedTime",
    "status",
    "title",
)


@handles(SERVICE, "StartIncident")
def start_incident(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Open an incident from a plan, or deduplicate into the open incident with the same dedupe string."""
    plan = load_plan(ctx, params["responsePlanArn"])
    template = plan["incidentTemplate"]
    trigger = params.get("triggerDetails")
    dedupe = template.get("dedupeString") or (trigger or {}).get("triggerArn")
    if dedupe:
        existing = service.open_with_dedupe(ctx, dedupe)
        if existing is not None:
            # A resolved incident never absorbs a new start: only OPEN incidents match (model, §3.4).
            service.trigger(ctx, existing["arn"], trigger, created=False)
            return {"incidentRecordArn": existing["arn"]}
    incident_arn = arns.incident_record(ctx.account_id, plan["name"], ids.time_ordered())
    source = {"createdBy": ctx.caller_arn, "invokedBy": ctx.caller_arn, "source": service.CUSTOM_SOURCE}
    if trigger:
        source.update(source=trigger["source"], resourceArn=trigger.get("triggerArn"))
    record = {
        "arn": incident_arn,
        "title": params.get("title") or template["title"],
        "summary": template.get("summary"),
        "impact": params.get("impact") or template["impact"],
        "status": "OPEN",
        "creationTime": ctx.now,
        "lastModifiedTime": ctx.now,
        "lastModifiedBy": ctx.caller_arn,
        "incidentRecordSource": {k: v for k, v in source.items() if v},
        # AWS always reports a dedupe string, generating one when the plan has none (§3.3).
        "dedupeString": dedupe or ids.time_ordered(),
        "chatChannel": response.chat_channel(plan.get("chatChannel")),
        "notificationTargets": template.get("notificationTargets", []),
        "automationExecutions": [],
    }
    incidents.insert(ctx.conn, ctx.account_id, record)
    tags.put(ctx.conn, ctx.account_id, incident_arn, template.get("incidentTags") or {}, new=True)
    service.started(ctx, incident_arn)
    if trigger:
        service.trigger(ctx, incident_arn, trigger, created=True)
    for item in params.get("relatedItems", []):
        service.add_related_item(ctx, incident_arn, item, again_is_conflict=False)
    # The response is recorded with the incident, in its transaction: a crash can't lose it.
    ctx.enqueue_many(response.jobs_for(plan, record, params.get("relatedItems", [])))
    return {"incidentRecordArn": incident_arn}


@handles(SERVICE, "GetIncidentRecord", cacheable=True)
def get_incident_record(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The whole record."""
    return {"incidentRecord": load_incident(ctx, params["arn"])}


@handles(SERVICE, "ListIncidentRecords")
def list_incident_records(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Summaries newest first, filtered, in pages with keyset tokens."""
    try:
        criteria = filters.combine(params.get("filters", []), _FILTER_KEYS)
    except filters.FilterError as exc:
        raise validation_error(str(exc)) from None
    if any(not values for values in criteria.values.values()):
        return {"incidentRecordSummaries": []}
    query = incidents.IncidentQuery(
        created_after_ms=_ms(criteria.after.get("creationTime")),
        created_before_ms=_ms(criteria.before.get("creationTime")),
        statuses=criteria.values.get("status", []),
        impacts=criteria.values.get("impact", []),
        created_by=criteria.values.get("createdBy", []),
    )
    position = PAGES.position(params, int, str)
    limit = PAGES.size(params)
    after = (position[0], position[1]) if position else None
    rows = incidents.page(ctx.conn, ctx.account_id, query, after, limit + 1)
    # Incidents of plans other accounts share with the caller are listed too (aws-behaviour §3.10), merged in order.
    shared = sharing.shared_resources(ctx.conn, ctx.principal, "response-plan", "ssm-incidents:GetIncidentRecord")
    for owner, plan_arn in shared:
        prefix = arns.incident_record(owner, plan_arn.rsplit("/", 1)[1], "")
        rows += incidents.page(ctx.conn, owner, dataclasses.replace(query, arn_prefix=prefix), after, limit + 1)
    if shared:
        rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    result: dict[str, Any] = {
        "incidentRecordSummaries": [{k: doc.get(k) for k in _SUMMARY_MEMBERS} for _, _, doc in rows[:limit]]
    }
    if len(rows) > limit:
        last_ms, last_arn, _ = rows[limit - 1]
        result["nextToken"] = next_token([last_ms, last_arn])
    return result


@handles(SERVICE, "UpdateIncidentRecord")
def update_incident_record(ctx: CallContext, params: dict[str, Any]) -> None:
    """Change the given attributes; each change is logged as an "SSM Incident Record Update" event (§3.6)."""
    service.update(ctx, ctx.principal, load_incident(ctx, params["arn"]), params)
    return None


@handles(SERVICE, "DeleteIncidentRecord")
def delete_incident_record(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete an incident with its timeline, related items and tags; a missing one is not an error (model)."""
    arn = params["arn"]
    incidents.delete(ctx.conn, ctx.account_id, arn)
    timeline.delete(ctx.conn, ctx.account_id, arn)
    related.delete(ctx.conn, ctx.account_id, arn)
    tags.remove(ctx.conn, ctx.account_id, arn)
    return None


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)
