"""Checks a parsed request against its input shape, reporting failures in AWS's (Coral's) message style."""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import math
import re
from typing import Any

from botocore.model import Shape

_INT_TYPES = ("integer", "long")
_FLOAT_TYPES = ("float", "double")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def check_input(shape: Shape | None, value: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validate a whole request; return the normalised input and Coral-style failure strings."""
    failures: list[str] = []
    if shape is None:
        return {}, failures
    cleaned = _structure(shape, value, "", failures)
    return cleaned if isinstance(cleaned, dict) else {}, failures


def render(value: Any) -> str:
    """Render a value the way Java's toString shows it in AWS validation messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fail(failures: list[str], value: Any, path: str, constraint: str) -> None:
    shown = "null" if value is None else f"'{render(value)}'"
    failures.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _value(shape: Shape, value: Any, path: str, failures: list[str]) -> Any:
    """Check one value of any shape type; return it normalised (timestamps as epoch floats, blobs as bytes)."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        return _structure(shape, value, path, failures)
    if kind == "list":
        return _list(shape, value, path, failures)
    if kind == "map":
        return _map(shape, value, path, failures)
    if kind == "string":
        return _string(shape, value, path, failures)
    if kind in _INT_TYPES or kind in _FLOAT_TYPES:
        return _number(shape, value, path, failures)
    if kind == "boolean":
        if not isinstance(value, bool):
            _fail(failures, value, path, "Member must be a boolean")
        return value
    if kind == "timestamp":
        return _timestamp(value, path, failures)
    if kind == "blob":
        return _blob(value, path, failures)
    return value


def _structure(shape: Shape, value: Any, path: str, failures: list[str]) -> Any:
    if not isinstance(value, dict):
        _fail(failures, value, path or "body", "Member must be an object")
        return None
    members = shape.members
    cleaned: dict[str, Any] = {}
    for name, member_shape in members.items():
        item = value.get(name)
        if item is None:
            continue
        cleaned[name] = _value(member_shape, item, _child(path, name), failures)
    for name in shape.required_members:
        if value.get(name) is None:  # a present value of the wrong type was reported already
            _fail(failures, None, _child(path, name), "Member must not be null")
    if shape.metadata.get("union") and len(cleaned) != 1:
        _fail(failures, value, path, "Member must have exactly one member set")
    return cleaned


def _list(shape: Shape, value: Any, path: str, failures: list[str]) -> Any:
    if not isinstance(value, list):
        _fail(failures, value, path, "Member must be a list")
        return None
    _check_size(shape, value, path, failures)
    member = shape.member
    return [_value(member, item, f"{path}.{index}.member", failures) for index, item in enumerate(value, 1)]


def _map(shape: Shape, value: Any, path: str, failures: list[str]) -> Any:
    if not isinstance(value, dict):
        _fail(failures, value, path, "Member must be a map")
        return None
    _check_size(shape, value, path, failures)
    cleaned = {}
    for key, item in value.items():
        key_failures: list[str] = []
        _value(shape.key, key, path, key_failures)
        if key_failures:
            _fail(
                failures,
                value,
                path,
                "Map keys must satisfy constraint: [" + _constraints(key_failures) + "]",
            )
        if item is None:
            continue
        if shape.value.type_name in ("structure", "list", "map"):
            cleaned[key] = _value(shape.value, item, f"{path}.{key}", failures)
            continue
        value_failures: list[str] = []
        cleaned[key] = _value(shape.value, item, path, value_failures)
        if value_failures:
            _fail(
                failures,
                value,
                path,
                "Map value must satisfy constraint: [" + _constraints(value_failures) + "]",
            )
    return cleaned


def _constraints(failures: list[str]) -> str:
    """The bare constraint texts of nested failures, as Coral lists them inside brackets."""
    return ", ".join(text.split("failed to satisfy constraint: ", 1)[-1] for text in failures)


def _check_size(shape: Shape, value: Any, path: str, failures: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        _fail(failures, value, path, f"Member must have length greater than or equal to {low}")
    if high is not None and len(value) > high:
        _fail(failures, value, path, f"Member must have length less than or equal to {high}")


def _string(shape: Shape, value: Any, path: str, failures: list[str]) -> Any:
    if not isinstance(value, str):
        _fail(failures, value, path, "Member must be a string")
        return None
    _check_size(shape, value, path, failures)
    if "\x00" in value:
        # PostgreSQL text can't hold NUL, so neither database may take one: the same request gets the same answer
        # on both. (Document members are stored as escaped JSON and keep theirs.)
        _fail(failures, value.replace("\x00", "\\u0000"), path, "Member must not contain the null character")
        return None
    pattern = shape.metadata.get("pattern")
    if pattern is not None:
        compiled = _compile(pattern)
        if compiled is not None and compiled.search(value) is None:
            _fail(failures, value, path, f"Member must satisfy regular expression pattern: {pattern}")
    enum = shape.enum
    if enum and value not in enum:
        _fail(failures, value, path, "Member must satisfy enum value set: [" + ", ".join(enum) + "]")
    return value


def _number(shape: Shape, value: Any, path: str, failures: list[str]) -> Any:
    integral = shape.type_name in _INT_TYPES
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(failures, value, path, "Member must be a number")
        return None
    if integral and not isinstance(value, int):
        if not (isinstance(value, float) and value.is_integer()):
            _fail(failures, value, path, "Member must be an integer")
            return None
        value = int(value)
    if isinstance(value, float) and not math.isfinite(value):
        _fail(failures, value, path, "Member must be a finite number")
        return None
    low, high = (_INT32_MIN, _INT32_MAX) if shape.type_name == "integer" else (_INT64_MIN, _INT64_MAX)
    if integral and not low <= value <= high:
        _fail(failures, value, path, f"Member must be within the range of a {shape.type_name}")
        return None
    low_bound, high_bound = shape.metadata.get("min"), shape.metadata.get("max")
    if low_bound is not None and value < low_bound:
        _fail(failures, value, path, f"Member must have value greater than or equal to {low_bound}")
    if high_bound is not None and value > high_bound:
        _fail(failures, value, path, f"Member must have value less than or equal to {high_bound}")
    return value


def _timestamp(value: Any, path: str, failures: list[str]) -> Any:
    """Epoch seconds as AWS's JSON protocols send them; ISO 8601 strings are accepted too."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        if abs(value) < 253402300800:  # before year 10000, as datetime can hold it
            return float(value)
    elif isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return parsed.timestamp()
    _fail(failures, value, path, "Member must be a timestamp in epoch seconds")
    return None


def _blob(value: Any, path: str, failures: list[str]) -> Any:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    _fail(failures, value, path, "Member must be base64-encoded binary data")
    return None


@functools.cache
def _compile(pattern: str) -> re.Pattern[str] | None:
    """Compile a model pattern once; the few Java-only constructs Python lacks are skipped, not guessed."""
    try:
        return re.compile(_end_anchors(pattern))
    except re.error:
        return None


def _end_anchors(pattern: str) -> str:
    """The pattern with each `$` anchor outside a character class written as `\\Z`."""
    # Model patterns are ECMAScript regexes (Smithy), whose `$` matches only at the very end; Python's also
    # matches before a final newline, so "name\n" would pass ^[a-z]*$.
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)
