"""The response a plan describes, as the jobs StartIncident and later changes record with the incident."""

from __future__ import annotations

from typing import Any

ENGAGE = "response.engage_contact"
CHAT = "response.notify_chat_channel"
NOTIFY = "response.notify_target"
RUNBOOK = "response.start_runbook"
PAGERDUTY = "response.open_pagerduty_incident"
PAGERDUTY_RESOLVE = "response.resolve_pagerduty_incident"
# One job that runs the parts of a StartIncident's response that work inside the database (engagements, chat,
# notification targets, runbooks) together, in one transaction; a part that fails becomes a job of its own.
RESPOND = "response.respond"

# What chat channels and notification targets hear about (the `event` member of their jobs' payloads).
STARTED = "INCIDENT_STARTED"
UPDATED = "INCIDENT_UPDATED"  # title, impact or status changed (a reopening included); payload has "changes"
RESOLVED = "INCIDENT_RESOLVED"  # payload has "changes"
NOTE_ADDED = "NOTE_ADDED"  # payload has "eventId" of the Note timeline event

# The attributes whose change is news to the channels; a new summary or new targets are not.
ANNOUNCED_ATTRIBUTES = ("title", "impact", "status")
# What of the record the news carries (its `incident` member), so messages show the incident as the event left it.
SNAPSHOT = ("title", "impact", "status", "summary", "creationTime", "resolvedTime")

Job = tuple[str, dict[str, Any]]


def jobs_for(plan: dict[str, Any], record: dict[str, Any], related_items: list[dict[str, Any]]) -> list[Job]:
    """A new incident's response: one RESPOND job with its parts, and a job per PagerDuty integration.

    The parts (an engagement per contact, the chat channel, each notification target, each runbook) are what
    earlier versions queued as a job each. Run as one job they cost one row, one claim and one completion
    instead of four or more. PagerDuty waits on the network, so it stays a job of its own, run beside the others.
    """
    parts = response_parts(plan, record, related_items)
    jobs: list[Job] = []
    if parts:
        jobs.append((RESPOND, {"incidentArn": record["arn"], "parts": [[kind, payload] for kind, payload in parts]}))
    for integration in plan.get("integrations", []):
        if "pagerDutyConfiguration" in integration:
            jobs.append((PAGERDUTY, {"incidentArn": record["arn"], "pagerDuty": integration["pagerDutyConfiguration"]}))
    return jobs


def response_parts(plan: dict[str, Any], record: dict[str, Any], related_items: list[dict[str, Any]]) -> list[Job]:
    """One part per engagement, chat channel, notification target and runbook, in that order."""
    incident = record["arn"]
    jobs: list[Job] = []
    for contact_arn in plan.get("engagements", []):
        jobs.append((ENGAGE, {"incidentArn": incident, "contactArn": contact_arn}))
    jobs += announcements(record, {"event": STARTED})
    involved = [
        item["identifier"]["value"].get("arn")
        for item in related_items
        if item["identifier"]["type"] == "INVOLVED_RESOURCE"
    ]
    for action in plan.get("actions", []):
        if "ssmAutomation" in action:
            payload = {
                "incidentArn": incident,
                "ssmAutomation": action["ssmAutomation"],
                "involvedResources": [arn for arn in involved if arn],
            }
            jobs.append((RUNBOOK, payload))
    return jobs


def jobs_for_update(before: dict[str, Any], after: dict[str, Any], changes: list[dict[str, str]]) -> list[Job]:
    """What an UpdateIncidentRecord (or an alert's resolution) sets off: news to the channels, PagerDuty's resolve."""
    announced = [change for change in changes if change["attributeName"] in ANNOUNCED_ATTRIBUTES]
    resolved = after["status"] == "RESOLVED" and before["status"] != "RESOLVED"
    jobs: list[Job] = []
    if announced:
        jobs += announcements(after, {"event": RESOLVED if resolved else UPDATED, "changes": announced})
    if resolved:
        # The handler looks for the PagerDuty incident opened for this one and resolves it if autoResolve is set.
        jobs.append((PAGERDUTY_RESOLVE, {"incidentArn": after["arn"]}))
    return jobs


def jobs_for_note(record: dict[str, Any], event_id: str) -> list[Job]:
    """A new Note on the timeline is news to the channels."""
    return announcements(record, {"event": NOTE_ADDED, "eventId": event_id})


def announcements(record: dict[str, Any], news: dict[str, Any]) -> list[Job]:
    """One job for the chat channel's topics (if any) and one per notification target, all with the same news."""
    incident = record["arn"]
    # The incident as this news left it: the message describes the event, not what happened before its job ran.
    news = {**news, "incident": {name: record.get(name) for name in SNAPSHOT}}
    jobs: list[Job] = []
    topics = (record.get("chatChannel") or {}).get("chatbotSns", [])
    if topics:
        jobs.append((CHAT, {"incidentArn": incident, "topicArns": topics, **news}))
    for target in record.get("notificationTargets", []):
        jobs.append((NOTIFY, {"incidentArn": incident, "target": target, **news}))
    return jobs


def chat_channel(channel: dict[str, Any] | None) -> dict[str, Any] | None:
    """The channel, or None for none: {"empty": {}} and an absent channel mean the same (§1.8)."""
    return None if not channel or "empty" in channel else channel
