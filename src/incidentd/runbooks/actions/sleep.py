"""aws:sleep: wait for an ISO 8601 Duration or until a Timestamp, as a job due at the wake-up time."""

from __future__ import annotations

import datetime
import re

from incidentd.runbooks.actions import SLEEPING, SUCCESS, Outcome, StepCall, failed

# AWS caps a sleep at seven days.
MAX_SLEEP_MS = 7 * 24 * 3600 * 1000
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def duration_ms(text: str) -> int:
    """An ISO 8601 duration (PnWnDTnHnMnS) in milliseconds; ValueError for anything else."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(text)
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    seconds = (
        parts.get("weeks", 0) * 604800
        + parts.get("days", 0) * 86400
        + parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )
    return round(seconds * 1000)


def timestamp_ms(text: str) -> int:
    """An ISO 8601 UTC timestamp such as 2024-01-01T00:00:00Z in epoch milliseconds."""
    moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return round(moment.timestamp() * 1000)


def run(call: StepCall) -> Outcome:
    """Sleep until the wake-up time (at once when it has passed)."""
    now = call.env.now_ms
    try:
        if "Duration" in call.inputs:
            wake = now + duration_ms(str(call.inputs["Duration"]))
        else:
            wake = timestamp_ms(str(call.inputs["Timestamp"]))
    except ValueError:
        return failed(
            "Duration must be an ISO 8601 duration such as PT10M; Timestamp a time such as 2024-01-01T00:00:00Z."
        )
    if wake - now > MAX_SLEEP_MS:
        return failed("aws:sleep can wait at most 7 days.")
    if wake <= now:
        return Outcome(SUCCESS)
    return Outcome(SLEEPING, wake_ms=wake)
