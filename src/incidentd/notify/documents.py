"""A notice as the plain formats: the JSON document HTTPS subscribers get, and an e-mail's subject and text."""

from __future__ import annotations

from typing import Any

from incidentd.notify.notice import IMPACT_NAMES, Notice, iso, shorten, utc

DOCUMENT_VERSION = "1"
SUBJECT_LIMIT = 200  # long subjects are folded and cut by mail clients anyway


def document(notice: Notice) -> dict[str, Any]:
    """The JSON body of an HTTPS delivery: the event and the incident, for a program to act on."""
    return {
        "version": DOCUMENT_VERSION,
        "messageId": notice.message_id,  # the same on every retry: receivers can drop repeats
        "topicArn": notice.topic_arn,
        "timestamp": iso(notice.sent_at),
        "event": notice.event,
        "headline": notice.headline,
        "details": notice.details,
        "changes": notice.changes,
        "note": notice.note,
        # The incident below is as the event left it; `since` says what became of it before the message went out.
        "since": notice.since,
        "incident": {
            "arn": notice.incident_arn,
            "title": notice.title,
            "impact": notice.impact,
            "impactName": IMPACT_NAMES.get(notice.impact),
            "status": notice.status,
            "summary": notice.summary,
            "creationTime": iso(notice.creation_time),
            "resolvedTime": iso(notice.resolved_time) if notice.resolved_time else None,
            "link": notice.link,
        },
    }


def email_subject(notice: Notice) -> str:
    """What happened and to which incident, short enough for an inbox's list."""
    what = notice.what_happened()
    if what == notice.headline:
        what = f"{what}, impact {notice.impact_label}"
    status = notice.status if notice.status_now is None else f"{notice.status}, now {notice.status_now}"
    return shorten(f"[{status}] {notice.title}: {what}", SUBJECT_LIMIT)


def email_text(notice: Notice) -> str:
    """The body of a notification e-mail."""
    lines = [notice.headline, *([notice.since] if notice.since else []), ""]
    lines += notice.details + ([""] if notice.details else [])
    if notice.note is not None:
        # Under the headline "New note", quoted: not a second "New note:" label.
        lines += [*(f"  {line}" for line in notice.note.splitlines() or [""]), ""]
    lines += [
        f"Title:   {notice.title}",
        f"Impact:  {notice.impact_label}",
        f"Status:  {notice.status}",
        f"Started: {utc(notice.creation_time)}",
    ]
    if notice.resolved_time:
        lines.append(f"Resolved: {utc(notice.resolved_time)}")
    if notice.summary:
        lines += ["", "Summary:", notice.summary]
    lines += ["", f"Open the incident: {notice.link}", f"Incident: {notice.incident_arn}", ""]
    lines.append(f"You get this because {notice.topic_arn} lists this address in incidentd's configuration.")
    return "\n".join(lines)
