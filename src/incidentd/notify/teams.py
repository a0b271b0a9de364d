"""A notice as a Microsoft Teams message: an Adaptive Card in the envelope incoming webhooks and Workflows accept."""

from __future__ import annotations

from typing import Any

from incidentd.notify.escape import teams as escape
from incidentd.notify.notice import Notice, shorten, utc

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# 1.4 is the newest version both the retiring Office 365 connectors and Power Automate's "post card" render.
CARD_VERSION = "1.4"
TEXT_LIMIT = 4000
# Adaptive Card text colours are named, not RGB: the host theme picks the shade.
COLORS = {1: "Attention", 2: "Attention", 3: "Warning"}


def message(notice: Notice) -> dict[str, Any]:
    """The JSON body a Teams incoming webhook or a Workflows "when a Teams webhook request is received" flow takes."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card(notice)}],
    }


def card(notice: Notice) -> dict[str, Any]:
    """The Adaptive Card: what happened, the incident's title, its facts and a button to open it."""
    color = "Good" if notice.resolved else COLORS.get(notice.impact, "Default")
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": notice.headline, "weight": "Bolder", "color": color, "wrap": True},
        {
            "type": "TextBlock",
            "text": shorten(escape(notice.title), TEXT_LIMIT),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
    ]
    # Titles, details, notes and summaries come from alerts: defused so they can't link or mention.
    changes = [escape(detail) for detail in notice.details]
    if notice.since:
        changes.append(f"**{notice.since}**")
    if changes:
        body.append({"type": "TextBlock", "text": "\n\n".join(changes), "wrap": True})
    facts = [
        {"title": "Impact", "value": notice.impact_label},
        {"title": "Status", "value": notice.status},
        {"title": "Started", "value": utc(notice.creation_time)},
    ]
    if notice.resolved_time:
        facts.append({"title": "Resolved", "value": utc(notice.resolved_time)})
    body.append({"type": "FactSet", "facts": facts})
    if notice.note is not None:
        body.append({"type": "TextBlock", "text": shorten(escape(notice.note), TEXT_LIMIT), "wrap": True})
    elif notice.summary and notice.event == "INCIDENT_STARTED":
        body.append({"type": "TextBlock", "text": shorten(escape(notice.summary), TEXT_LIMIT), "wrap": True})
    body.append({"type": "TextBlock", "text": notice.incident_arn, "isSubtle": True, "size": "Small", "wrap": True})
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "fallbackText": escape(notice.one_line()),
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open incident", "url": notice.link}],
        "msteams": {"width": "Full"},
    }
