"""aws:branch choices: the comparison operators and And/Or/Not over resolved values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda a, b: a == b,
    "EqualsIgnoreCase": lambda a, b: a.lower() == b.lower(),
    "StartsWith": lambda a, b: a.startswith(b),
    "EndsWith": lambda a, b: a.endswith(b),
    "Contains": lambda a, b: b in a,
}
_NUMERIC_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "NumericEquals": lambda a, b: a == b,
    "NumericGreater": lambda a, b: a > b,
    "NumericLesser": lambda a, b: a < b,
    "NumericGreaterOrEquals": lambda a, b: a >= b,
    "NumericLesserOrEquals": lambda a, b: a <= b,
}
OPERATORS = (*_STRING_OPERATORS, *_NUMERIC_OPERATORS, "BooleanEquals")


class ChoiceError(ValueError):
    """A choice that can't be evaluated: no operator, or a value of the wrong kind."""


def next_step(choices: list[dict[str, Any]], default: str | None) -> str | None:
    """The NextStep of the first true choice, else the Default (None: go on with the following step)."""
    for choice in choices:
        if holds(choice):
            return str(choice["NextStep"])
    return default


def holds(condition: dict[str, Any]) -> bool:
    """Whether one (already resolved) condition is true."""
    if "And" in condition:
        return all(holds(part) for part in _parts(condition["And"], "And"))
    if "Or" in condition:
        return any(holds(part) for part in _parts(condition["Or"], "Or"))
    if "Not" in condition:
        inner = condition["Not"]
        parts = inner if isinstance(inner, list) else [inner]
        if len(parts) != 1 or not isinstance(parts[0], dict):
            raise ChoiceError("Not takes exactly one condition.")
        return not holds(parts[0])
    if "Variable" not in condition:
        raise ChoiceError("A choice needs a Variable (or And, Or, Not).")
    variable = condition["Variable"]
    operators = [name for name in OPERATORS if name in condition]
    if len(operators) != 1:
        raise ChoiceError(f"A choice needs exactly one operator of {', '.join(OPERATORS)}.")
    operator = operators[0]
    expected = condition[operator]
    if operator in _STRING_OPERATORS:
        return _STRING_OPERATORS[operator](_text(variable), _text(expected))
    if operator in _NUMERIC_OPERATORS:
        return _NUMERIC_OPERATORS[operator](_number(variable), _number(expected))
    return _boolean(variable) == _boolean(expected)


def _parts(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(part, dict) for part in value):
        raise ChoiceError(f"{name} takes a non-empty list of conditions.")
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    except (TypeError, ValueError):
        raise ChoiceError(f"{value!r} is not a number.") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ChoiceError(f"{value!r} is not a boolean.")
