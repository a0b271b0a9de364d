"""[logging]: how a process logs, from the file, INCIDENTD_LOG_* and the command line's flags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentd.config.values import ConfigError, boolean, no_unknown, section

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
LOGGING_KEYS = frozenset({"format", "level", "access"})


@dataclass(frozen=True)
class LogSettings:
    """The format of log lines, the lowest level logged, and whether each AWS API request gets a line."""

    format: str = "text"
    level: str = "info"
    access: bool = False

    @classmethod
    def read(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> LogSettings:
        """INCIDENTD_LOG_* over the file's [logging] section over the defaults."""
        found = section(raw, "logging")
        no_unknown(found, LOGGING_KEYS, "[logging]")
        for key in ("format", "level"):
            if key in found and not isinstance(found[key], str):
                raise ConfigError(f"[logging] {key} must be a string, not {found[key]!r}")
        access = env.get("INCIDENTD_ACCESS_LOG")
        return cls(
            format=env.get("INCIDENTD_LOG_FORMAT") or found.get("format") or cls.format,
            level=env.get("INCIDENTD_LOG_LEVEL") or found.get("level") or cls.level,
            access=boolean(access, "INCIDENTD_ACCESS_LOG")
            if access
            else boolean(found.get("access", cls.access), "[logging] access"),
        ).checked()

    def overridden(self, format: str | None, level: str | None, access: bool | None) -> LogSettings:
        """These settings with the command line's flags over them."""
        changed = dataclasses.replace(
            self,
            format=format or self.format,
            level=level or self.level,
            access=self.access if access is None else access,
        )
        return changed.checked()

    def checked(self) -> LogSettings:
        """The settings in lower case, or ConfigError for a format or level that does not exist."""
        chosen = dataclasses.replace(self, format=str(self.format).lower(), level=str(self.level).lower())
        if chosen.format not in FORMATS:
            raise ConfigError(
                f"log format (--log-format, INCIDENTD_LOG_FORMAT or [logging] format) must be one of "
                f"{', '.join(FORMATS)}, not {chosen.format!r}"
            )
        if chosen.level not in LEVELS:
            raise ConfigError(
                f"log level (--log-level, INCIDENTD_LOG_LEVEL or [logging] level) must be one of "
                f"{', '.join(LEVELS)}, not {chosen.level!r}"
            )
        return chosen
