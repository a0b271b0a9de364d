"""The generic JSON webhook: {"title", "impact", "summary", "dedupeString", "rawData"}, all but title optional."""

from __future__ import annotations

from typing import Any

from incidentd.ingest.common import MAX_RAW_DATA, MAX_SUMMARY, RESOLVE, START, PayloadError, Signal, clip, raw_data

SOURCE = "incidentd.webhook"
MAX_DEDUPE = 1000  # DedupeString max length (model)


def parse(payload: dict[str, Any], now: float) -> Signal:
    """Start an incident with the sender's title; `"status": "resolved"` (an incidentd addition) resolves it."""
    status = payload.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise PayloadError("status must be 'firing' (the default) or 'resolved'")
    dedupe = _optional_string(payload, "dedupeString", MAX_DEDUPE)
    title = payload.get("title")
    if status == "resolved":
        if dedupe is None:
            raise PayloadError("a resolution needs the dedupeString of the incident it resolves")
    elif not isinstance(title, str) or not title.strip():
        raise PayloadError("title must be a non-empty string")
    impact = payload.get("impact")
    if impact is not None and (isinstance(impact, bool) or not isinstance(impact, int) or not 1 <= impact <= 5):
        raise PayloadError("impact must be an integer from 1 to 5")
    summary = _optional_string(payload, "summary", MAX_SUMMARY)
    given = payload.get("rawData")
    if isinstance(given, str) and len(given) <= MAX_RAW_DATA:
        data = given  # the sender's own text, kept as sent
    else:
        data = raw_data(given if given is not None else payload)
    return Signal(
        action=RESOLVE if status == "resolved" else START,
        source=SOURCE,
        timestamp=now,
        raw_data=data,
        group=dedupe,
        title=clip(title, 200) if isinstance(title, str) and title.strip() else None,
        impact=impact,
        summary=summary,
    )


def _optional_string(payload: dict[str, Any], name: str, limit: int) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise PayloadError(f"{name} must be a string of at most {limit} characters")
    return value
