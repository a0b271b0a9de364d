"""The read-only incident page that message links open: an HTML document built from the record and its timeline."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from incidentd.notify.notice import impact_label, note_text, utc

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;
color:#1d1d1f;line-height:1.45}
h1{margin:.2rem 0 1rem;font-size:1.6rem}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:1rem;font-size:.85rem;font-weight:600;color:#fff}
.impact-1{background:#d50000}.impact-2{background:#f4511e}.impact-3{background:#b8860b}.impact-4{background:#039be5}
.impact-5{background:#757575}.status-OPEN{background:#6a1b9a}.status-RESOLVED{background:#2e7d32}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.4rem;
border-bottom:1px solid #ddd}td.data{white-space:pre-wrap;word-break:break-word}
.arn{color:#666;font-size:.85rem;word-break:break-all}
"""
MAX_EVENTS = 1000


def render(record: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The page: title, status, impact, summary, times and the timeline, every value HTML-escaped."""
    impact = int(record["impact"])
    status = str(record["status"])
    facts = [("Status", status), ("Impact", impact_label(impact)), ("Started", utc(record["creationTime"]))]
    if record.get("resolvedTime"):
        facts.append(("Resolved", utc(record["resolvedTime"])))
    facts.append(("Last modified", utc(record["lastModifiedTime"])))
    rows = "".join(_event_row(event) for event in events)
    summary = escape(record.get("summary") or "No summary.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{escape(record["title"])} · incidentd</title>
<style>{STYLE}</style>
</head>
<body>
<p><span class="badge status-{escape(status)}">{escape(status)}</span>
<span class="badge impact-{impact}">Impact {escape(impact_label(impact))}</span></p>
<h1>{escape(record["title"])}</h1>
<p class="arn">{escape(record["arn"])}</p>
<dl>{"".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in facts)}</dl>
<h2>Summary</h2>
<p style="white-space:pre-wrap">{summary}</p>
<h2>Timeline</h2>
<table>
<thead><tr><th>Time</th><th>Event</th><th>Details</th></tr></thead>
<tbody>{rows or '<tr><td colspan="3">No events.</td></tr>'}</tbody>
</table>
</body>
</html>
"""


def _event_row(event: dict[str, Any]) -> str:
    data = _readable(event["eventType"], event.get("eventData", ""))
    return (
        f"<tr><td>{escape(utc(event['eventTime']))}</td><td>{escape(event['eventType'])}</td>"
        f'<td class="data">{escape(data)}</td></tr>'
    )


def _readable(event_type: str, data: str) -> str:
    """An event's data as people read it: JSON-encoded strings decoded, objects indented."""
    if event_type in ("Note", "Custom Event"):
        return note_text(data)
    try:
        decoded = json.loads(data)
    except ValueError:
        return data
    return decoded if isinstance(decoded, str) else json.dumps(decoded, indent=2, ensure_ascii=False)
