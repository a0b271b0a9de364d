"""[metrics]: the bearer token /metrics asks for, if any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.config.values import ConfigError, no_unknown, section, text

# A token short enough to guess is no protection; 16 characters of a password generator are plenty.
MIN_TOKEN_LENGTH = 16
METRICS_KEYS = frozenset({"token"})


@dataclass(frozen=True)
class MetricsSettings:
    """[metrics]: without a token /metrics answers anyone; with one, only requests that carry it."""

    token: str | None = field(default=None, repr=False)

    @classmethod
    def read(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> MetricsSettings:
        """The section from the file, INCIDENTD_METRICS_TOKEN over it."""
        found = section(raw, "metrics")
        no_unknown(found, METRICS_KEYS, "[metrics]")
        value = env.get("INCIDENTD_METRICS_TOKEN") or found.get("token")
        if value is None:
            return cls()
        token = text(value, "[metrics] token (INCIDENTD_METRICS_TOKEN)")
        if len(token) < MIN_TOKEN_LENGTH or token != token.strip() or not (token.isascii() and token.isprintable()):
            raise ConfigError(
                f"[metrics] token (INCIDENTD_METRICS_TOKEN) must be at least {MIN_TOKEN_LENGTH} printable ASCII "
                "characters without spaces at either end"
            )
        return cls(token=token)
