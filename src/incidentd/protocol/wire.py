"""The HTTP request and response as the protocol layer sees them, and the parts both JSON protocols share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from botocore.model import ServiceModel, Shape

from incidentd.protocol.errors import ServiceError, validation_error

MAX_BODY_BYTES = 1024 * 1024
# No input shape of the services served nests deeper than 7 levels; deeper bodies are refused before anything
# walks them recursively (validation messages render values, and 900 levels overflowed the stack there).
MAX_BODY_DEPTH = 32
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_STEP = [1 if byte in b"[{" else -1 if byte in b"]}" else 0 for byte in range(256)]


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond per request
class WireRequest:
    """One HTTP request: the raw path and query exactly as sent, lower-case header names."""

    method: str
    raw_path: bytes
    query_string: bytes
    headers: dict[str, str]
    body: bytes
    oversize: bool = False  # the body passed MAX_BODY_BYTES and was not kept


@dataclass
class WireResponse:
    """One HTTP response ready to send."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # (service, operation) that answered, for metrics and the access log; never sent. Operation names come
    # from the service model only ("unknown" before routing), so they are safe as metric labels.
    operation: tuple[str, str] | None = None


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Decode a JSON request body that must be an object; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        # Decoded here, strictly: json.loads(bytes) decodes with "surrogatepass", which lets UTF-8-encoded
        # surrogates (b"\xed\xa0\x80") through as lone surrogates that nothing downstream can encode.
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise validation_error(f"Could not parse the request body as JSON: {exc}") from None
    except RecursionError:
        # The standard decoder recurses once per nesting level; no model shape nests anywhere near this deep.
        raise validation_error("Could not parse the request body as JSON: it is nested too deeply.") from None
    if not isinstance(value, dict):
        raise validation_error("The request body must be a JSON object.")
    if body.count(b"[") + body.count(b"{") > MAX_BODY_DEPTH and _deeper_than(body, value, MAX_BODY_DEPTH):
        raise validation_error(
            f"Could not parse the request body as JSON: it is nested too deeply (more than {MAX_BODY_DEPTH} levels)."
        )
    if b"\\u" in body and not _is_unicode(value):
        raise validation_error("The request body is not valid Unicode: it escapes an unpaired surrogate.")
    return value


def _deeper_than(body: bytes, value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than limit levels in a decoded JSON value; never recursing.

    Most bodies are settled by their brackets alone, counted in C (those inside strings too, so the count can only
    overstate the depth): walking the decoded value costs four times as much, and runs only when the count says
    the body may be too deep.
    """
    if max(accumulate(map(_BRACKET_STEP.__getitem__, body.translate(None, _NOT_BRACKETS)))) <= limit:
        return False
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _is_unicode(value: Any) -> bool:
    """False when an escape like "\\ud800" became a lone surrogate, which no database or response can hold."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ErrorShapes:
    """The modelled error shapes of one service, looked up by code."""

    def __init__(self, service_model: ServiceModel) -> None:
        self._shapes: dict[str, Shape] = {shape.name: shape for shape in service_model.error_shapes}

    def get(self, code: str) -> Shape | None:
        """The error shape for a code, if the model has one."""
        return self._shapes.get(code)

    def body(self, error: ServiceError, default_message_key: str) -> dict[str, Any]:
        """The error's JSON members: its message and whichever extra members its shape models."""
        shape = self._shapes.get(error.code)
        members = shape.members if shape is not None else {}
        message_key = next((name for name in members if name.lower() == "message"), default_message_key)
        body: dict[str, Any] = {message_key: error.message}
        for name, value in error.members.items():
            if name in members and value is not None:
                body[name] = value
        return body
