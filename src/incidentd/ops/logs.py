"""Log set-up: text or JSON lines, with the id of the request being served."""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import sys
from typing import Any

from incidentd.config.logs import LogSettings

# The x-amzn-RequestId of the request whose handler is running; set by the dispatcher around each operation.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("incidentd_request_id", default=None)

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
    # httpx logs every request the console's single sign-on makes to the provider at INFO: noise, not news.
    logging.getLogger("httpx").setLevel(logging.WARNING)
