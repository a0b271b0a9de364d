"""What every caller does to an incident the same way: timeline events, related items, updates, runbook starts.

The API's handlers, the engine's jobs (PagerDuty, runbooks) and alert ingestion all change incidents through
these functions, in the unit of work they were given and as the principal they name, so an incident changed
by an alert, a runbook or a person reads the same on its timeline (aws-behaviour §3.6, §3.7, §3.8).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from incidentd.auth.principals import Principal
from incidentd.domain import ids, response
from incidentd.domain.related_items import generated_id
from incidentd.protocol.errors import ServiceError
from incidentd.store import incidents, related, timeline
from incidentd.store.unit import Unit

STARTED_DATA = json.dumps("Incident Started")  # the console's start marker is a JSON-encoded string
UPDATE_EVENT = "SSM Incident Record Update"
TRIGGER_EVENT = "SSM Incident Trigger"
RUNBOOK_START_FAILURE = "SSM Automation Execution Start Failure for Incident"  # aws-behaviour §3.8
CUSTOM_SOURCE = "aws.ssm-incidents.custom"  # incidentRecordSource.source of a direct StartIncident (§3.3)
# The attributes UpdateIncidentRecord may change, in the order their changes are listed.
UPDATABLE = ("title", "summary", "impact", "status", "chatChannel", "notificationTargets")


# --- Timeline events ----------------------------------------------------------------------------------------------


def write_event(
    unit: Unit,
    incident_arn: str,
    event_type: str,
    data: str,
    references: list[dict[str, str]],
    event_time: float | None = None,
) -> str:
    """Append one timeline event, at the unit's moment unless another time is given; its id."""
    event_id = ids.time_ordered()
    timeline.insert(
        unit.conn,
        unit.account_id,
        {
            "incidentRecordArn": incident_arn,
            "eventId": event_id,
            "eventTime": unit.now if event_time is None else event_time,
            "eventUpdatedTime": unit.now,
            "eventType": event_type,
            "eventData": data,
            "eventReferences": references,
        },
    )
    return event_id


def started(unit: Unit, incident_arn: str) -> None:
    """The "Incident Started" marker every incident's timeline begins with."""
    write_event(unit, incident_arn, "Custom Event", STARTED_DATA, [{"resource": incident_arn}])


def trigger(unit: Unit, incident_arn: str, details: dict[str, Any] | None, created: bool) -> None:
    """An "SSM Incident Trigger" event: the trigger that opened the incident or was deduplicated into it."""
    details = details or {}
    data = {
        "createdIncident": created,
        "incidentSource": details.get("source", CUSTOM_SOURCE),
        "triggerArn": details.get("triggerArn"),
        "rawData": details.get("rawData"),
        "timestamp": details.get("timestamp"),
    }
    write_event(unit, incident_arn, TRIGGER_EVENT, _json(data), [{"resource": incident_arn}])


def record_update(
    unit: Unit,
    by: Principal,
    record: dict[str, Any],
    changes: list[dict[str, str]],
    references: list[dict[str, str]] | None = None,
) -> None:
    """An "SSM Incident Record Update" event listing the attributes that changed, and who changed them."""
    data = {"modifiedBy": by.arn, "modifiedAttributes": changes, "incidentTitle": record["title"]}
    references = (references or []) + [{"resource": record["arn"]}]
    write_event(unit, record["arn"], UPDATE_EVENT, _json(data), references)


# --- Related items ------------------------------------------------------------------------------------------------


def related_item_id(item: dict[str, Any]) -> str:
    """The stable id an item is stored under (aws-behaviour §3.7)."""
    identifier = item["identifier"]
    return generated_id(identifier["type"], identifier["value"])


def has_related_item(unit: Unit, incident_arn: str, item: dict[str, Any]) -> bool:
    """Whether the incident already has this item."""
    return related.exists(unit.conn, unit.account_id, incident_arn, related_item_id(item))


def add_related_item(unit: Unit, incident_arn: str, item: dict[str, Any], *, again_is_conflict: bool = True) -> str:
    """Attach an item under its stable id; its id. Adding it twice is a ConflictException unless told otherwise."""
    item_id = related_item_id(item)
    if related.exists(unit.conn, unit.account_id, incident_arn, item_id):
        if not again_is_conflict:
            return item_id  # StartIncident with a repeated item keeps one, as a set would
        raise ServiceError(
            "ConflictException",
            f"The incident already has the related item {item_id}.",
            resourceIdentifier=incident_arn,
            resourceType="INCIDENT_RECORD",
        )
    # _addedMs orders items for paging; the output shape drops it.
    doc = {
        "generatedId": item_id,
        "identifier": item["identifier"],
        "title": item.get("title"),
        "_addedMs": unit.now_ms,
    }
    kept = {k: v for k, v in doc.items() if v is not None}
    related.insert(unit.conn, unit.account_id, incident_arn, kept, unit.now_ms)
    return item_id


def change_related_items(unit: Unit, by: Principal, record: dict[str, Any], update: dict[str, Any]) -> str:
    """UpdateRelatedItems: add one item or remove one, and record the change on the incident; the item's id."""
    if "itemToAdd" in update:
        item_id = add_related_item(unit, record["arn"], update["itemToAdd"])
    else:
        item_id = related_item_id({"identifier": update["itemToRemove"]})
        if not related.delete(unit.conn, unit.account_id, record["arn"], item_id):
            raise ServiceError(
                "ResourceNotFoundException",
                f"The incident has no related item {item_id}.",
                resourceIdentifier=item_id,
                resourceType="INCIDENT_RECORD",
            )
    # A related-item change is a change of the record: AWS moves lastModifiedTime with it (§3.8).
    changed = dict(record, lastModifiedTime=unit.now, lastModifiedBy=by.arn)
    incidents.save(unit.conn, unit.account_id, changed)
    change = {"attributeName": "relatedItems", "newValue": _compact(update)}
    record_update(unit, by, changed, [change], references=[{"relatedItemId": item_id}])
    return item_id


# --- The record itself --------------------------------------------------------------------------------------------


def open_with_dedupe(unit: Unit, dedupe: str) -> dict[str, Any] | None:
    """The open incident a start with this dedupe string joins, found under a lock that orders such starts."""
    # Two starts with one dedupe string must not both open an incident (PostgreSQL; SQLite serialises writers).
    unit.lock(f"dedupe:{unit.account_id}:{dedupe}")
    return incidents.open_with_dedupe(unit.conn, unit.account_id, dedupe)


def update(unit: Unit, by: Principal, current: dict[str, Any], params: dict[str, Any]) -> list[dict[str, str]]:
    """Change an incident's attributes as UpdateIncidentRecord does, and tell its channels; the changes."""
    record = copy.deepcopy(current)
    changed = []
    for member in UPDATABLE:
        if member not in params:
            continue
        value = response.chat_channel(params[member]) if member == "chatChannel" else params[member]
        if value != current.get(member):
            record[member] = value
            changed.append({"attributeName": member, "newValue": _as_text(params[member])})
    if not changed:
        return changed
    if record["status"] == "RESOLVED" and current["status"] != "RESOLVED":
        record["resolvedTime"] = unit.now
    elif record["status"] == "OPEN":
        # Reopening is allowed (AWS's behaviour is not documented, §7.5): the incident is unresolved again.
        record.pop("resolvedTime", None)
    record.update(lastModifiedTime=unit.now, lastModifiedBy=by.arn)
    incidents.save(unit.conn, unit.account_id, record)
    record_update(unit, by, record, changed)
    # The channels hear of the change, and PagerDuty of a resolution, through jobs in this transaction.
    unit.enqueue_many(response.jobs_for_update(current, record, changed))
    return changed


# --- Runbooks a response plan starts --------------------------------------------------------------------------------


def runbook_started(unit: Unit, by: Principal, record: dict[str, Any], name: str, execution_arn: str) -> None:
    """automationExecutions, an AUTOMATION related item and an "SSM Incident Record Update" event, together."""
    updated = copy.deepcopy(record)
    updated["automationExecutions"] = [*record.get("automationExecutions", []), {"ssmExecutionArn": execution_arn}]
    item = {"identifier": {"type": "AUTOMATION", "value": {"arn": execution_arn}}, "title": name}
    item_id = add_related_item(unit, record["arn"], item, again_is_conflict=False)
    updated.update(lastModifiedTime=unit.now, lastModifiedBy=by.arn)
    incidents.save(unit.conn, unit.account_id, updated)
    changes = [
        {"attributeName": "automationExecutions", "newValue": _compact(updated["automationExecutions"])},
        {"attributeName": "relatedItems", "newValue": _compact({"itemToAdd": item})},
    ]
    record_update(unit, by, updated, changes, references=[{"relatedItemId": item_id}])


def runbook_failed_to_start(
    unit: Unit, record: dict[str, Any], automation: dict[str, Any], document_arn: str, reason: str
) -> None:
    """The "SSM Automation Execution Start Failure for Incident" event, referring to an AUTOMATION item."""
    name = str(automation["documentName"])
    item = {"identifier": {"type": "AUTOMATION", "value": {"arn": document_arn}}, "title": name}
    item_id = add_related_item(unit, record["arn"], item, again_is_conflict=False)
    data = {
        "documentName": name,
        "documentVersion": automation.get("documentVersion"),
        "roleArn": automation.get("roleArn"),
        "failureReason": reason,
    }
    references = [{"relatedItemId": item_id}, {"resource": record["arn"]}]
    write_event(unit, record["arn"], RUNBOOK_START_FAILURE, _compact({k: v for k, v in data.items() if v}), references)


def _json(value: dict[str, Any]) -> str:
    """Event data as AWS writes it: compact, without the members that have no value."""
    return _compact({k: v for k, v in value.items() if v is not None})


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else _compact(value)
