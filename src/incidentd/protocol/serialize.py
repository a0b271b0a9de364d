"""Turns handler results into the JSON values an output shape describes."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from botocore.model import Shape


def to_wire(shape: Shape, value: Any) -> Any:
    """Keep only modelled members, drop nulls, timestamps as epoch-second numbers, blobs as base64."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        members = shape.members
        return {
            name: to_wire(members[name], item)
            for name, item in value.items()
            if item is not None and name in members and not members[name].serialization.get("location")
        }
    if kind == "list":
        member = shape.member
        return [to_wire(member, item) for item in value]
    if kind == "map":
        value_shape = shape.value
        return {key: to_wire(value_shape, item) for key, item in value.items()}
    if kind == "timestamp":
        return epoch_seconds(value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def epoch_seconds(value: float | int | datetime.datetime) -> float | int:
    """A timestamp as AWS's JSON protocols send it: seconds, with milliseconds when there are any."""
    if isinstance(value, datetime.datetime):
        value = value.timestamp()
    rounded = round(float(value), 3)
    return int(rounded) if rounded.is_integer() else rounded


def dumps(value: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
