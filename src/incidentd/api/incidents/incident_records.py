"""Incident records: starting (with deduplication and the durable response), reading, listing, updating."""

from __future__ import annotations

import copy
import json
from typing import Any

from incidentd.api.context import RequestContext
from incidentd.api.incidents import events
from incidentd.api.incidents.common import PAGES, SERVICE, load_incident, load_plan, new_id
from incidentd.api.incidents.related_items import add_item
from incidentd.api.paging import next_token
from incidentd.api.registry import handles
from incidentd.domain import arns, filters, response
from incidentd.protocol.errors import validation_error
from incidentd.store import incidents, queue, related, tags, timeline

CUSTOM_SOURCE = "aws.ssm-incidents.custom"  # incidentRecordSource.source of a direct StartIncident (§3.3)

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
def start_incident(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Open an incident from a plan, or deduplicate into the open incident with the same dedupe string."""
    plan = load_plan(ctx, params["responsePlanArn"])
    template = plan["incidentTemplate"]
    trigger = params.get("triggerDetails")
    dedupe = template.get("dedupeString") or (trigger or {}).get("triggerArn")
    if dedupe:
        # Two starts with one dedupe string must not both open an incident (PostgreSQL; SQLite serialises writers).
        ctx.db.lock(ctx.conn, f"dedupe:{ctx.account_id}:{dedupe}")
        existing = incidents.open_with_dedupe(ctx.conn, ctx.account_id, dedupe)
        if existing is not None:
            # A resolved incident never absorbs a new start: only OPEN incidents match (model, §3.4).
            events.trigger(ctx, existing["arn"], trigger, created=False)
            return {"incidentRecordArn": existing["arn"]}
    incident_arn = arns.incident_record(ctx.account_id, plan["name"], new_id())
    source = {"createdBy": ctx.caller_arn, "invokedBy": ctx.caller_arn, "source": CUSTOM_SOURCE}
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
        "dedupeString": dedupe or new_id(),
        "chatChannel": _chat_channel(plan.get("chatChannel")),
        "notificationTargets": template.get("notificationTargets", []),
        "automationExecutions": [],
    }
    incidents.insert(ctx.conn, ctx.account_id, record)
    tags.put(ctx.conn, ctx.account_id, incident_arn, template.get("incidentTags") or {}, new=True)
    events.started(ctx, incident_arn)
    if trigger:
        events.trigger(ctx, incident_arn, trigger, created=True)
    for item in params.get("relatedItems", []):
        add_item(ctx, incident_arn, item, log=False)
    # The response is recorded with the incident, in its transaction: a crash can't lose it (DESIGN §3).
    jobs = response.jobs_for(plan, record, params.get("relatedItems", []))
    queue.enqueue_many(ctx.conn, ctx.account_id, jobs, ctx.now_ms, ctx.now_ms)
    return {"incidentRecordArn": incident_arn}


@handles(SERVICE, "GetIncidentRecord", cacheable=True)
def get_incident_record(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The whole record."""
    return {"incidentRecord": load_incident(ctx, params["arn"])}


@handles(SERVICE, "ListIncidentRecords")
def list_incident_records(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
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
    rows = incidents.page(ctx.conn, ctx.account_id, query, tuple(position) if position else None, limit + 1)
    result: dict[str, Any] = {
        "incidentRecordSummaries": [{k: doc.get(k) for k in _SUMMARY_MEMBERS} for _, _, doc in rows[:limit]]
    }
    if len(rows) > limit:
        last_ms, last_arn, _ = rows[limit - 1]
        result["nextToken"] = next_token([last_ms, last_arn])
    return result


@handles(SERVICE, "UpdateIncidentRecord")
def update_incident_record(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Change the given attributes; each change is logged as an "SSM Incident Record Update" event (§3.6)."""
    apply_update(ctx, load_incident(ctx, params["arn"]), params)
    return None


def apply_update(ctx: RequestContext, current: dict[str, Any], params: dict[str, Any]) -> list[dict[str, str]]:
    """Change an incident's attributes as UpdateIncidentRecord does (alerts resolve through here too); the changes."""
    record = copy.deepcopy(current)
    changed = []
    for member in ("title", "summary", "impact", "status", "chatChannel", "notificationTargets"):
        if member not in params:
            continue
        value = _chat_channel(params[member]) if member == "chatChannel" else params[member]
        if value != current.get(member):
            record[member] = value
            changed.append({"attributeName": member, "newValue": _as_text(params[member])})
    if not changed:
        return changed
    if record["status"] == "RESOLVED" and current["status"] != "RESOLVED":
        record["resolvedTime"] = ctx.now
    elif record["status"] == "OPEN":
        # Reopening is allowed (AWS's behaviour is not documented, §7.5): the incident is unresolved again.
        record.pop("resolvedTime", None)
    record.update(lastModifiedTime=ctx.now, lastModifiedBy=ctx.caller_arn)
    incidents.save(ctx.conn, ctx.account_id, record)
    events.record_update(ctx, record, changed)
    # The channels hear of the change, and PagerDuty of a resolution, through jobs in this transaction.
    queue.enqueue_many(
        ctx.conn, ctx.account_id, response.jobs_for_update(current, record, changed), ctx.now_ms, ctx.now_ms
    )
    return changed


@handles(SERVICE, "DeleteIncidentRecord")
def delete_incident_record(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Delete an incident with its timeline, related items and tags; a missing one is not an error (model)."""
    arn = params["arn"]
    incidents.delete(ctx.conn, ctx.account_id, arn)
    timeline.delete(ctx.conn, ctx.account_id, arn)
    related.delete(ctx.conn, ctx.account_id, arn)
    tags.remove(ctx.conn, ctx.account_id, arn)
    return None


def _chat_channel(channel: dict[str, Any] | None) -> dict[str, Any] | None:
    """The channel, or None for none: {"empty": {}} and an absent channel mean the same (§1.8)."""
    return None if not channel or "empty" in channel else channel


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
