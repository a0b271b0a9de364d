"""Example values for any botocore shape: every member filled, one member of each union."""

from __future__ import annotations

from typing import Any

from botocore.model import Shape


def example(shape: Shape, depth: int = 0) -> Any:
    """A value of the shape, within its length and range limits (patterns are not attempted)."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 6:
            return {}
        members = list(shape.members.items())
        if shape.metadata.get("union"):
            members = members[:1]
        return {
            name: example(member, depth + 1)
            for name, member in members
            if not member.serialization.get("location") == "header" or member.type_name == "string"
        }
    if kind == "list":
        return [example(shape.member, depth + 1)]
    if kind == "map":
        return {"key1": example(shape.value, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        low = shape.metadata.get("min", 0)
        return "v" * max(low, 5)
    if kind in ("integer", "long"):
        return max(int(shape.metadata.get("min", 1)), 1)
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1700000000.5
    if kind == "blob":
        return b"bytes"
    raise AssertionError(f"no example for shape type {kind}")
