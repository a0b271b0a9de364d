"""The response a plan describes, as the jobs StartIncident records with the incident."""

from __future__ import annotations

from typing import Any

ENGAGE = "response.engage_contact"
CHAT = "response.notify_chat_channel"
NOTIFY = "response.notify_target"
RUNBOOK = "response.start_runbook"
PAGERDUTY = "response.open_pagerduty_incident"


def jobs_for(
    plan: dict[str, Any], record: dict[str, Any], related_items: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """One job per engagement, chat channel, notification target, runbook and PagerDuty integration."""
    incident = record["arn"]
    jobs: list[tuple[str, dict[str, Any]]] = []
    for contact_arn in plan.get("engagements", []):
        jobs.append((ENGAGE, {"incidentArn": incident, "contactArn": contact_arn}))
    topics = (record.get("chatChannel") or {}).get("chatbotSns", [])
    if topics:
        jobs.append((CHAT, {"incidentArn": incident, "topicArns": topics, "event": "INCIDENT_STARTED"}))
    for target in record.get("notificationTargets", []):
        jobs.append((NOTIFY, {"incidentArn": incident, "target": target, "event": "INCIDENT_STARTED"}))
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
    for integration in plan.get("integrations", []):
        if "pagerDutyConfiguration" in integration:
            jobs.append((PAGERDUTY, {"incidentArn": incident, "pagerDuty": integration["pagerDutyConfiguration"]}))
    return jobs
