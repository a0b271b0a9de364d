"""What every alert source turns its payload into, and the helpers they share."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

START, RESOLVE, IGNORE = "start", "resolve", "ignore"
MAX_RAW_DATA = 10000  # TriggerDetails.rawData max length (model)
MAX_TITLE = 200  # IncidentTitle max length (model)
MAX_SUMMARY = 8000  # IncidentSummary max length (model)


class PayloadError(ValueError):
    """A payload that is not what the source sends: answered with 400."""


class Refused(Exception):
    """A request that must not be acted on, with the status and message to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Signal:
    """One notification from a source: start (or deduplicate into) an incident, resolve one, or nothing."""

    action: str  # START | RESOLVE | IGNORE
    source: str  # triggerDetails.source: reverse-domain style, not "aws." unless AWS sent it (model)
    timestamp: float  # triggerDetails.timestamp, epoch seconds
    raw_data: str  # triggerDetails.rawData, already within MAX_RAW_DATA
    group: str | None = None  # what identifies the alert group in the source; None: no deduplication
    trigger_arn: str | None = None  # a real ARN for the group (a CloudWatch alarm's); else one is made up
    alert: str | None = None  # appended to the plan's title (aws-behaviour §3.3)
    title: str | None = None  # the whole title, when the sender gives one (generic webhook)
    impact: int | None = None
    summary: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # for the answer, e.g. an SNS confirmation


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or PayloadError."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise PayloadError("the body must be a JSON object")
    return value


def raw_data(value: Any, shrink: list[Any] | None = None) -> str:
    """Compact JSON within the model's limit: first drop items from `shrink` (a list inside value), then cut.

    Cutting keeps the result JSON: the text is cut and wrapped as {"truncated": true, "text": …}.
    """
    text = _compact(value)
    while len(text) > MAX_RAW_DATA and shrink:
        shrink.pop()
        text = _compact(value)
    if len(text) <= MAX_RAW_DATA:
        return text
    head = text[: MAX_RAW_DATA - 64]
    while len(_compact({"truncated": True, "text": head})) > MAX_RAW_DATA:  # escapes can grow the text
        head = head[: len(head) - 256]
    return _compact({"truncated": True, "text": head})


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def clip(text: str, limit: int) -> str:
    """Text within a length limit, marked with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def full_title(prefix: str, alert: str | None) -> str:
    """The plan's title as a prefix with the alert appended, within the model's limit (aws-behaviour §3.3)."""
    if not alert:
        return clip(prefix, MAX_TITLE)
    return clip(f"{prefix}: {alert}" if prefix else alert, MAX_TITLE)


def impact_of(*candidates: Any) -> int | None:
    """The first candidate that is an impact 1–5 (as a number or a numeric string)."""
    for value in candidates:
        if isinstance(value, bool):
            continue
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            continue
        if 1 <= number <= 5:
            return number
    return None


def epoch(text: Any, default: float) -> float:
    """An RFC 3339 / ISO 8601 time as epoch seconds; the default for a missing, zero or unreadable one."""
    if not isinstance(text, str) or not text or text.startswith("0001-"):
        return default
    cleaned = text.replace("Z", "+00:00")
    # Go writes up to nine fractional digits; Python reads six.
    if "." in cleaned:
        head, _, rest = cleaned.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        cleaned = head + "." + rest[: min(digits, 6)] + rest[digits:]
    try:
        parsed = datetime.datetime.fromisoformat(cleaned)
    except ValueError:
        return default
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()
