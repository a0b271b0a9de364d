"""A notice as a Mattermost incoming-webhook message: one attachment coloured by impact."""

from __future__ import annotations

from typing import Any

from incidentd.notify.escape import mattermost as escape
from incidentd.notify.notice import Notice, shorten, utc

# Red to grey from most to least impact; a resolved incident is green whatever its impact was.
COLORS = {1: "#d50000", 2: "#f4511e", 3: "#f6bf26", 4: "#039be5", 5: "#9e9e9e"}
RESOLVED_COLOR = "#2eb67d"
TEXT_LIMIT = 4000


def message(notice: Notice) -> dict[str, Any]:
    """The JSON body Mattermost's incoming webhooks accept (Slack-compatible attachments)."""
    # Titles, details, notes and summaries come from alerts: defused so they can't link, embed or mention.
    lines = [escape(detail) for detail in notice.details]
    if notice.since:
        lines.append(f"**{notice.since}**")
    if notice.note is not None:
        # The pretext already says "New note": the note is quoted under it without a label of its own.
        lines.append("\n".join(f"> {escape(line)}" for line in notice.note.splitlines() or [""]))
    elif notice.summary and notice.event == "INCIDENT_STARTED":
        lines.append(escape(notice.summary))
    fields = [
        {"short": True, "title": "Impact", "value": notice.impact_label},
        {"short": True, "title": "Status", "value": notice.status},
        {"short": True, "title": "Started", "value": utc(notice.creation_time)},
    ]
    if notice.resolved_time:
        fields.append({"short": True, "title": "Resolved", "value": utc(notice.resolved_time)})
    attachment = {
        "fallback": escape(notice.one_line()),
        "color": RESOLVED_COLOR if notice.resolved else COLORS.get(notice.impact, COLORS[5]),
        "pretext": notice.headline,
        "title": escape(notice.title),
        "title_link": notice.link,
        "text": shorten("\n\n".join(lines), TEXT_LIMIT),
        "fields": fields,
        "footer": notice.incident_arn,
    }
    return {"attachments": [attachment]}
