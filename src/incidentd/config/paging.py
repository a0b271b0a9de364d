"""[paging]: how many wrong codes a code survives, and how often one channel may be texted, called or mailed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentd.config.values import ConfigError, no_unknown, section

PAGING_KEYS = {"wrong_code_limit", "activation_codes_per_hour", "pages_per_channel_per_hour"}


@dataclass(frozen=True)
class PagingLimits:
    """Limits that keep codes unguessable and the operator's SMS and voice account from being pumped."""

    # After this many wrong codes an activation code, or a page's accept code, is spent.
    wrong_code_limit: int = 5
    # Activation codes sent to one channel in any hour (CreateContactChannel, a new address, SendActivationCode).
    activation_codes_per_hour: int = 5
    # Pages delivered to one channel in any hour; beyond it a page is not sent and gets an ERROR receipt saying so.
    pages_per_channel_per_hour: int = 60

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> PagingLimits:
        """The section from the file."""
        found = section(raw, "paging")
        no_unknown(found, PAGING_KEYS, "[paging]")
        return cls(**{key: _count(found.get(key, getattr(cls, key)), f"[paging] {key}") for key in sorted(PAGING_KEYS)})


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a whole number of at least 1, not {value!r}")
    return value
