"""What one notification says: what just happened to an incident, the incident as that left it, and whether it has
been resolved (or reopened) since (no format yet)."""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from incidentd.domain import response

IMPACT_NAMES = {1: "Critical", 2: "High", 3: "Medium", 4: "Low", 5: "No impact"}
HEADLINES = {
    response.STARTED: "Incident started",
    response.UPDATED: "Incident updated",
    response.RESOLVED: "Incident resolved",
    response.NOTE_ADDED: "New note",
}
NOTE_LINE_LIMIT = 300  # how much of a note one-line forms (fallbacks, subjects) quote


def impact_label(impact: int) -> str:
    """`1 (Critical)`: the number responders use and the name newcomers understand."""
    name = IMPACT_NAMES.get(impact)
    return f"{impact} ({name})" if name else str(impact)


@dataclass(frozen=True)
class Notice:
    """One notification, composed once when the news fans out and delivered to every subscriber as is."""

    message_id: str
    event: str
    headline: str  # "Incident started", "Incident resolved", ...
    details: list[str]  # "Status changed to RESOLVED", "Impact is now 1 (Critical)", "New note: …"
    incident_arn: str
    title: str
    impact: int
    status: str
    summary: str | None
    creation_time: float  # epoch seconds, as in the record
    resolved_time: float | None
    link: str
    topic_arn: str
    sent_at: float  # epoch seconds of the fan-out
    changes: list[dict[str, str]] = field(default_factory=list)
    note: str | None = None
    # The status when the message was composed, if it is no longer the one the event left (None in older notices).
    status_now: str | None = None
    resolved_time_now: float | None = None

    @property
    def impact_label(self) -> str:
        """The impact with its name."""
        return impact_label(self.impact)

    @property
    def resolved(self) -> bool:
        """Whether the event left the incident resolved."""
        return self.status == "RESOLVED"

    @property
    def since(self) -> str | None:
        """What became of the incident between the event and the message: `Resolved since, at …`, or None."""
        if self.status_now is None or self.status_now == self.status:
            return None
        if self.status_now == "RESOLVED":
            when = f", at {utc(self.resolved_time_now)}" if self.resolved_time_now else ""
            return f"Resolved since{when}."
        return "Reopened since." if self.status_now == "OPEN" else f"Status {self.status_now} since."

    def what_happened(self) -> str:
        """The event in a few words: its changes (`Impact is now 1 (Critical)`), `New note: …`, or the headline."""
        if self.details:
            return "; ".join(self.details)
        if self.note is not None:
            return f"{self.headline}: {shorten(' '.join(self.note.split()), NOTE_LINE_LIMIT)}"
        return self.headline

    def one_line(self) -> str:
        """A plain-text line for notifications and previews: what happened, to which incident."""
        what = self.what_happened()
        if not what.startswith(self.headline):  # the headline once: never `New note: New note: …`
            what = f"{self.headline}: {what}"
        parts = [what, self.title, f"Impact {self.impact_label}", self.status]
        if self.since:
            parts.append(self.since)
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The notice as a job payload member."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        """A notice back from a job payload (one queued by an older version lacks the newer members)."""
        return cls(**data)


def compose(
    record: dict[str, Any],
    news: dict[str, Any],
    *,
    message_id: str,
    link: str,
    topic_arn: str,
    sent_at: float,
    note: str | None = None,
) -> Notice:
    """The notice for some news (a notify job's payload) about an incident (its record as it is now).

    The news carries the incident as its event left it (`incident`); news queued before it did is told from the
    record as it is now. A status that changed since is told too.
    """
    event = news["event"]
    snapshot = news.get("incident")
    then = {**record, **snapshot} if isinstance(snapshot, dict) else record
    changes = [c for c in news.get("changes", []) if c.get("attributeName") in response.ANNOUNCED_ATTRIBUTES]
    # A note is the notice's `note`, which each format shows under its headline: not a detail too.
    details = [] if event == response.NOTE_ADDED else [describe_change(change) for change in changes]
    changed_since = record["status"] != then["status"]
    return Notice(
        message_id=message_id,
        event=event,
        headline=HEADLINES.get(event, "Incident updated"),
        details=details,
        incident_arn=record["arn"],
        title=then["title"],
        impact=int(then["impact"]),
        status=then["status"],
        summary=then.get("summary") or None,
        creation_time=float(then["creationTime"]),
        resolved_time=then.get("resolvedTime"),
        link=link,
        topic_arn=topic_arn,
        sent_at=sent_at,
        changes=changes,
        note=note,
        status_now=record["status"] if changed_since else None,
        resolved_time_now=record.get("resolvedTime") if changed_since else None,
    )


def describe_change(change: dict[str, str]) -> str:
    """One change as a sentence; the old value is not kept with the news, so only the new one is told."""
    name, value = change["attributeName"], change["newValue"]
    if name == "status":
        return f"Status changed to {value}"
    if name == "impact":
        try:
            return f"Impact is now {impact_label(int(value))}"
        except ValueError:
            return f"Impact is now {value}"
    if name == "title":
        return f"Title changed to “{value}”"
    return f"{name} changed to {value}"


def note_text(event_data: str) -> str:
    """A note's text: the console stores a JSON-encoded string (aws-behaviour §3.8); anything else is shown as is."""
    try:
        decoded = json.loads(event_data)
    except ValueError:
        return event_data
    if isinstance(decoded, str):
        return decoded
    if isinstance(decoded, dict):
        for key in ("content", "text", "note", "message"):
            if isinstance(decoded.get(key), str):
                return str(decoded[key])
    return event_data


def shorten(text: str, limit: int) -> str:
    """The text, cut to at most `limit` characters with an ellipsis: chat products refuse overlong fields."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def utc(seconds: float) -> str:
    """An epoch time as readers want it: `2024-05-01 12:03:04 UTC`."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(seconds: float) -> str:
    """An epoch time for machines: ISO 8601 in UTC with milliseconds."""
    return (
        datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
