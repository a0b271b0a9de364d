"""A notice as a Slack incoming-webhook message: Block Kit blocks with a plain-text fallback."""

from __future__ import annotations

from typing import Any

from incidentd.notify.escape import slack as escape
from incidentd.notify.notice import Notice, shorten, utc

# Block Kit limits (api.slack.com/reference/block-kit/blocks): header text 150, section text 3000, field 2000.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
EMOJI = {1: ":red_circle:", 2: ":large_orange_circle:", 3: ":large_yellow_circle:", 4: ":large_blue_circle:"}


def message(notice: Notice) -> dict[str, Any]:
    """The JSON body Slack's incoming webhooks (and chat.postMessage) accept."""
    icon = ":white_check_mark:" if notice.resolved else EMOJI.get(notice.impact, ":white_circle:")
    lines = [f"*<{notice.link}|{escape(notice.title)}>*"]
    lines += [escape(detail) for detail in notice.details]
    if notice.since:
        lines.append(f"*{notice.since}*")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": shorten(notice.headline, HEADER_LIMIT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": shorten("\n".join(lines), SECTION_LIMIT)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Impact*\n{icon} {notice.impact_label}"},
                {"type": "mrkdwn", "text": f"*Status*\n{notice.status}"},
                {"type": "mrkdwn", "text": f"*Started*\n{utc(notice.creation_time)}"},
            ]
            + (
                [{"type": "mrkdwn", "text": f"*Resolved*\n{utc(notice.resolved_time)}"}] if notice.resolved_time else []
            ),
        },
    ]
    if notice.note is not None:
        quoted = "\n".join(f">{escape(line)}" for line in notice.note.splitlines() or [""])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": shorten(quoted, SECTION_LIMIT)}})
    elif notice.summary and notice.event == "INCIDENT_STARTED":
        summary = shorten(escape(notice.summary), SECTION_LIMIT)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary}})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open incident"}, "url": notice.link}
            ],
        }
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(notice.incident_arn)}]})
    # `text` is what notifications, screen readers and clients without Block Kit show.
    return {"text": escape(shorten(notice.one_line(), SECTION_LIMIT)), "blocks": blocks}
