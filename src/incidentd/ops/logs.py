"""Log set-up: text or JSON lines, with the id of the request being served."""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The x-amzn-RequestId of the request whose handler is running; set by the dispatcher around each operation.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("incidentd_request_id", default=None)

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# One line per answered AWS API request, at INFO on this logger; off unless asked for (see configure).
ACCESS_LOGGER = "incidentd.access"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id when there is one, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for name in ("operation", "status", "duration_ms", "method", "path"):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _RequestIdText(logging.Formatter):
    """The text format, with [request id] after the logger name when a request is being served."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            prefix, sep, rest = text.partition(": ")
            text = f"{prefix} [{request_id}]{sep}{rest}"
        return text


class LogSettingsError(ValueError):
    """A logging setting that can't be used."""


@dataclass(frozen=True)
class LogSettings:
    """How a process logs."""

    format: str = "text"
    level: str = "info"
    access: bool = False

    @classmethod
    def resolve(
        cls,
        section: Mapping[str, Any],
        environ: Mapping[str, str],
        format: str | None = None,
        level: str | None = None,
        access: bool | None = None,
    ) -> LogSettings:
        """Command-line values over INCIDENTD_LOG_* over the config file's [logging] section over defaults."""
        chosen_format = format or environ.get("INCIDENTD_LOG_FORMAT") or section.get("format") or cls.format
        chosen_level = level or environ.get("INCIDENTD_LOG_LEVEL") or section.get("level") or cls.level
        if access is None:
            text = environ.get("INCIDENTD_ACCESS_LOG")
            access = _flag(text) if text else bool(section.get("access", cls.access))
        chosen_format, chosen_level = str(chosen_format).lower(), str(chosen_level).lower()
        if chosen_format not in FORMATS:
            raise LogSettingsError(f"log format must be one of {', '.join(FORMATS)}, not {chosen_format!r}")
        if chosen_level not in LEVELS:
            raise LogSettingsError(f"log level must be one of {', '.join(LEVELS)}, not {chosen_level!r}")
        return cls(chosen_format, chosen_level, access)


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise LogSettingsError(f"INCIDENTD_ACCESS_LOG must be true or false, not {text!r}")


def configure(settings: LogSettings, stream: Any = None) -> None:
    """Send every log record of the process to stderr in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else _RequestIdText(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level.upper())
    # The access log costs a formatted line per request: the server checks isEnabledFor before building one.
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO if settings.access else logging.WARNING)
