"""Turns handler results into the JSON values an output shape describes."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from typing import Any

from botocore.model import OperationModel, Shape

from incidentd import compact_json

# Converts one value of a shape; None where the value goes out unchanged (strings, numbers, booleans, documents).
Convert = Callable[[Any], Any] | None
_ABSENT = object()  # not a member of the structure, or one bound to a header: left out


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


class Outputs:
    """Each operation's output converter, compiled from its shape on first use: to_wire without the walk."""

    def __init__(self) -> None:
        self._converters: dict[str, Convert] = {}

    def to_wire(self, op: OperationModel, result: dict[str, Any]) -> Any:
        """What to_wire(op.output_shape, result) returns ({} for an operation without output)."""
        try:
            convert = self._converters[op.name]
        except KeyError:
            shape = op.output_shape
            convert = self._converters[op.name] = _Compiler().build(shape) if shape is not None else _empty
        return result if convert is None else convert(result)


def _empty(_: Any) -> dict[str, Any]:
    return {}


class _Compiler:
    """Builds converters for one shape tree; structures are remembered by name, so recursive shapes terminate."""

    def __init__(self) -> None:
        self._structures: dict[str, Convert] = {}

    def build(self, shape: Shape) -> Convert:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            member = self.build(shape.member)
            return list if member is None else _each(member)
        if kind == "map":
            value = self.build(shape.value)
            return dict if value is None else _each_value(value)
        if kind == "timestamp":
            return epoch_seconds
        if kind == "blob":
            return _base64
        return None

    def _structure(self, shape: Shape) -> Convert:
        if shape.metadata.get("document"):
            return None
        if shape.name in self._structures:
            return self._structures[shape.name]
        members: dict[str, Convert] = {}
        get = members.get

        def convert(value: dict[str, Any]) -> dict[str, Any]:
            out = {}
            for name, item in value.items():
                if item is None:
                    continue
                member = get(name, _ABSENT)
                if member is None:
                    out[name] = item
                elif member is not _ABSENT:
                    out[name] = member(item)  # type: ignore[operator]
            return out

        self._structures[shape.name] = convert  # before the members: a member may be this structure again
        for name, member_shape in shape.members.items():
            if not member_shape.serialization.get("location"):
                members[name] = self.build(member_shape)
        return convert


def _each(member: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    return lambda value: [member(item) for item in value]


def _each_value(member: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    return lambda value: {key: member(item) for key, item in value.items()}


def _base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def epoch_seconds(value: float | int | datetime.datetime) -> float | int:
    """A timestamp as AWS's JSON protocols send it: seconds, with milliseconds when there are any."""
    if isinstance(value, datetime.datetime):
        value = value.timestamp()
    rounded = round(float(value), 3)
    return int(rounded) if rounded.is_integer() else rounded


def dumps(value: Any) -> bytes:
    """Compact JSON bytes."""
    return compact_json.dumps(value)
