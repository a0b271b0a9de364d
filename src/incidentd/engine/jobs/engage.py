"""StartIncident's engagements: each contact of the response plan is engaged with the incident's details."""

from __future__ import annotations

import logging
from typing import Any

from incidentd.domain import response
from incidentd.engine.jobs import JobContext, job_kind
from incidentd.services import engagements
from incidentd.store import contacts

log = logging.getLogger("incidentd.paging")

SENDER = "Incident Manager"


def incident_message(record: dict[str, Any]) -> dict[str, Any]:
    """The engagement's message: the incident's title and summary, and a short form for SMS."""
    title = record.get("title", "")
    impact = record.get("impact")
    lines = [title, f"Impact: {impact}", f"Status: {record.get('status', 'OPEN')}"]
    if record.get("summary"):
        lines += ["", record["summary"]]
    lines += ["", f"Incident: {record['arn']}"]
    return {
        "Sender": SENDER,
        "Subject": f"Incident (impact {impact}): {title}",
        "Content": "\n".join(lines),
        "PublicSubject": f"Incident (impact {impact})",
        "PublicContent": title[:140],
        "IncidentId": record["arn"],
    }


@job_kind(response.ENGAGE)
def engage_contact(ctx: JobContext) -> None:
    """Engage one contact of the plan, unless the incident was deleted or the contact does not exist."""
    account = ctx.job.account_id
    payload = ctx.job.payload
    record = ctx.incident(payload["incidentArn"])
    if record is None:
        return
    contact = contacts.get(ctx.conn, account, payload["contactArn"])
    if contact is None:
        # A plan may name a contact that was never created or was deleted: nothing to page, nothing to retry.
        log.warning("incident %s: contact %s does not exist; not engaged", record["arn"], payload["contactArn"])
        return
    engagements.start(ctx.unit, contact, incident_message(record))
