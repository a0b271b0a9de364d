"""[automation]: the per-account quotas on automation executions, with AWS's figures as defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentd.config.values import ConfigError, no_unknown, number, section

_WHERE = "[automation]"
AUTOMATION_KEYS = frozenset({"concurrent_executions", "queued_executions", "max_depth"})


@dataclass(frozen=True)
class AutomationSettings:
    """How many executions an account may have running and queued in a region, and how deep runs may nest."""

    # AWS: "Each AWS account can run 100 automations simultaneously", child automations included.
    concurrent_executions: int = 100
    # AWS: beyond them "Each AWS account can queue 1,000 automations"; later starts are refused.
    queued_executions: int = 1000
    # AWS documents no figure for runs started by runs; 5 keeps a runbook that starts itself twice to 63 runs.
    max_depth: int = 5

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> AutomationSettings:
        """The section from the file; counts are whole numbers, at least 1 running and 0 queued or deep."""
        found = section(raw, "automation")
        no_unknown(found, AUTOMATION_KEYS, _WHERE)
        return cls(
            concurrent_executions=_count(found, "concurrent_executions", cls.concurrent_executions, 1),
            queued_executions=_count(found, "queued_executions", cls.queued_executions, 0),
            max_depth=_count(found, "max_depth", cls.max_depth, 0),
        )


def _count(found: Mapping[str, Any], key: str, default: int, minimum: int) -> int:
    value = number(found.get(key, default), f"{_WHERE} {key}", minimum=minimum)
    if value != int(value):
        raise ConfigError(f"{_WHERE} {key} must be a whole number, not {value!r}")
    return int(value)
