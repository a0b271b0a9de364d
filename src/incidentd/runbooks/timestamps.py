"""Timestamps in aws:executeAwsApi inputs, written as a runbook writes them, turned into the wire's epoch seconds."""

from __future__ import annotations

import datetime
from typing import Any

from botocore.model import Shape

# {{ global:DATE_TIME }} renders as 2026-11-26_10.27.22 (UTC), the format AWS Automation uses.
_AUTOMATION_DATE_TIME = "%Y-%m-%d_%H.%M.%S"


def to_wire(shape: Shape | None, value: Any) -> Any:
    """The value with every timestamp member an epoch-seconds number, as boto3 would send it; the rest untouched."""
    if shape is None:
        return value
    if shape.type_name == "timestamp":
        return _epoch_seconds(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {key: to_wire(members.get(key), item) for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [to_wire(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: to_wire(shape.value, item) for key, item in value.items()}
    return value


def _epoch_seconds(value: Any) -> Any:
    """ISO 8601, AWS Automation's DATE_TIME, or a number (possibly as text) as epoch seconds; else as given."""
    if not isinstance(value, str):
        return value  # a number already, or something validation will refuse with its own message
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    for parse in (_iso, _automation):
        try:
            moment = parse(text)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)  # AWS renders and reads naive times as UTC
        return moment.timestamp()
    return value


def _iso(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _automation(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, _AUTOMATION_DATE_TIME)
