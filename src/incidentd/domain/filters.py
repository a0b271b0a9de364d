"""The filters of ListIncidentRecords and ListTimelineEvents: AND across filters, OR within one filter's values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIME, INTEGER, STRING = "time", "integer", "string"


class FilterError(ValueError):
    """A filter that names an unknown key or uses a condition its key does not take."""


@dataclass
class Criteria:
    """What a list of filters asks for, per key."""

    after: dict[str, float] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    values: dict[str, list[Any]] = field(default_factory=dict)


def combine(filters: list[dict[str, Any]], keys: dict[str, str]) -> Criteria:
    """Fold the filters into one set of criteria; repeated keys narrow each other (AND)."""
    criteria = Criteria()
    for item in filters:
        key, condition = item["key"], item["condition"]
        kind = keys.get(key)
        if kind is None:
            raise FilterError(f"Filter key '{key}' is not supported; use one of: {', '.join(keys)}.")
        if "after" in condition or "before" in condition:
            if kind != TIME:
                raise FilterError(f"Filter key '{key}' takes an 'equals' condition, not 'before' or 'after'.")
            if "after" in condition:
                criteria.after[key] = max(condition["after"], criteria.after.get(key, condition["after"]))
            if "before" in condition:
                criteria.before[key] = min(condition["before"], criteria.before.get(key, condition["before"]))
            continue
        values = _values(key, kind, condition["equals"])
        if key in criteria.values:
            values = [v for v in criteria.values[key] if v in values]
        criteria.values[key] = values
    return criteria


def _values(key: str, kind: str, equals: dict[str, Any]) -> list[Any]:
    if kind == TIME:
        raise FilterError(f"Filter key '{key}' takes a 'before' or 'after' condition.")
    wanted = "integerValues" if kind == INTEGER else "stringValues"
    if wanted not in equals:
        raise FilterError(f"Filter key '{key}' takes '{wanted}' in its 'equals' condition.")
    return list(equals[wanted])
