"""Start parameters: the wire's name -> [strings] map checked and typed against a document's parameters."""

from __future__ import annotations

import functools
import json
from typing import Any

import re2  # type: ignore[import-untyped]

# allowedPattern runs on RE2, whose matching time is linear in the value: a backtracking engine takes 2^n steps
# for ^(a+)+$ against n a's and a '!', holding the server for seconds from a 27-character value. RE2 has no
# backreferences or lookaround; a pattern that needs them is refused when the document is created.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is the tenant's error, answered, not a line in our log
_RE2_OPTIONS.max_mem = 1 << 20  # a compiled pattern and its matching cache stay within 1 MiB


class ParameterError(ValueError):
    """Parameters that don't fit the document (InvalidAutomationExecutionParametersException)."""


class PatternError(ValueError):
    """An allowedPattern the linear-time engine cannot run; the reason, in RE2's words."""


@functools.lru_cache(maxsize=64)
def compile_pattern(pattern: str) -> Any:
    """An allowedPattern compiled for RE2, or PatternError saying why it can't be."""
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else "not a regular expression"
        raise PatternError(reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) from None


def resolve(definitions: dict[str, Any], given: dict[str, list[str]]) -> dict[str, Any]:
    """Every parameter of the document with its typed value: the given one, else the default."""
    unknown = sorted(set(given) - set(definitions))
    if unknown:
        raise ParameterError(f"Parameter {unknown[0]} is not defined in the document.")
    values: dict[str, Any] = {}
    for name, spec in definitions.items():
        kind = str(spec.get("type", "String"))
        if name in given:
            value = _typed(name, kind, given[name])
        elif "default" in spec:
            value = _default(name, kind, spec["default"])
        else:
            raise ParameterError(f"Parameter {name} is required and has no default value.")
        _check_allowed(name, spec, value)
        values[name] = value
    return values


def to_wire(definitions: dict[str, Any], values: dict[str, Any]) -> dict[str, list[str]]:
    """Typed values as the wire's map of string lists (GetAutomationExecution Parameters)."""
    return {name: wire_values(value) for name, value in values.items() if name in definitions}


def wire_values(value: Any) -> list[str]:
    """One value as a list of strings: lists item by item, maps and numbers as their JSON text."""
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return [value if isinstance(value, str) else json.dumps(value)]


def _typed(name: str, kind: str, values: list[str]) -> Any:
    if kind == "StringList":
        return list(values)
    if kind == "MapList":
        return [_json_object(name, value) for value in values]
    if len(values) != 1:
        raise ParameterError(f"Parameter {name} of type {kind} takes exactly one value; {len(values)} were given.")
    value = values[0]
    if kind == "Integer":
        try:
            return int(value)
        except ValueError:
            raise ParameterError(f"Parameter {name} must be an Integer; '{value}' is not one.") from None
    if kind == "Boolean":
        if value.lower() not in ("true", "false"):
            raise ParameterError(f"Parameter {name} must be true or false; '{value}' is neither.")
        return value.lower() == "true"
    if kind == "StringMap":
        return _json_object(name, value)
    return value


def _default(name: str, kind: str, default: Any) -> Any:
    """A default as the document wrote it: YAML already gives lists, numbers and maps their types."""
    if kind == "StringList":
        return [str(item) for item in default] if isinstance(default, list) else [str(default)]
    if kind == "Integer" and isinstance(default, int) and not isinstance(default, bool):
        return default
    if kind == "Boolean" and isinstance(default, bool):
        return default
    if kind in ("StringMap", "MapList") and isinstance(default, dict | list):
        return default
    if kind in ("String",) or kind.startswith("AWS::"):
        return default if isinstance(default, str) else json.dumps(default)
    return _typed(name, kind, [str(default).lower() if isinstance(default, bool) else str(default)])


def _check_allowed(name: str, spec: dict[str, Any], value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    allowed = spec.get("allowedValues")
    if allowed is not None:
        allowed_text = [str(a) for a in allowed]
        for item in items:
            if str(item) not in allowed_text:
                raise ParameterError(f"Parameter {name} must be one of {', '.join(allowed_text)}; '{item}' is not.")
    pattern = spec.get("allowedPattern")
    if pattern is not None:
        try:
            compiled = compile_pattern(str(pattern))
        except PatternError as error:  # stored before patterns were checked with RE2
            raise ParameterError(f"allowedPattern of parameter {name} can't be used: {error}") from None
        for item in items:
            # An empty optional value passes, as AWS lets an empty default through its own pattern.
            if isinstance(item, str) and item and compiled.fullmatch(item) is None:
                raise ParameterError(f"Parameter {name} value '{item}' does not match the pattern {pattern}.")


def _json_object(name: str, value: str) -> Any:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ParameterError(f"Parameter {name} must hold a JSON object; '{value}' is not one.") from None
    if not isinstance(parsed, dict):
        raise ParameterError(f"Parameter {name} must hold a JSON object; '{value}' is not one.")
    return parsed
