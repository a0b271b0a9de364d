"""Step outputs: `$.a.b[0]` selectors over an action's response, and the output Types they are coerced to."""

from __future__ import annotations

import json
import re
from typing import Any

_SEGMENT = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")
OUTPUT_TYPES = ("String", "Integer", "Boolean", "StringList", "StringMap", "MapList")
_MISSING = object()


class SelectorError(ValueError):
    """A selector that is not one, or a value that can't take the output's Type."""


def select(data: Any, selector: str) -> Any:
    """The value a selector points at, or None when the path leads nowhere."""
    if not selector.startswith("$"):
        raise SelectorError(f"Selector {selector!r} must start with '$'.")
    position, value = 1, data
    while position < len(selector):
        match = _SEGMENT.match(selector, position)
        if match is None:
            raise SelectorError(f"Selector {selector!r} can't be read at character {position + 1}.")
        key, index, quoted = match.groups()
        value = _step(value, key if key is not None else quoted, index)
        if value is _MISSING:
            return None
        position = match.end()
    return value


def _step(value: Any, key: str | None, index: str | None) -> Any:
    if index is not None:
        number = int(index)
        return value[number] if isinstance(value, list) and number < len(value) else _MISSING
    if isinstance(value, dict) and key in value:
        return value[key]
    return _MISSING


def coerce(value: Any, kind: str) -> Any:
    """A selected value as the output's Type."""
    try:
        if kind == "String":
            return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        if kind == "Integer":
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind == "Boolean":
            if isinstance(value, str):
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                return value.lower() == "true"
            return bool(value)
        if kind == "StringList":
            items = value if isinstance(value, list) else [value]
            return [item if isinstance(item, str) else json.dumps(item, separators=(",", ":")) for item in items]
        if kind == "StringMap":
            if not isinstance(value, dict):
                raise ValueError(value)
            return value
        if kind == "MapList":
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise ValueError(value)
            return value
    except (TypeError, ValueError):
        raise SelectorError(f"The selected value {str(value)[:100]!r} is not of Type {kind}.") from None
    raise SelectorError(f"Output Type {kind!r} is not one of {', '.join(OUTPUT_TYPES)}.")


def outputs(step_outputs: list[dict[str, Any]], response: Any) -> dict[str, Any]:
    """Every declared output of a step that its selector finds in the response, typed."""
    found: dict[str, Any] = {}
    for output in step_outputs:
        value = select(response, str(output.get("Selector", "$")))
        if value is not None:
            found[str(output["Name"])] = coerce(value, str(output.get("Type", "String")))
    return found
