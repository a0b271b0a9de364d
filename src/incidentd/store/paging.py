"""Opaque page tokens: the keyset position of the last item, URL-safe so every model's token pattern admits it."""

from __future__ import annotations

import base64
import json
from typing import Any


class BadToken(ValueError):
    """A page token this server did not issue."""


def encode(position: list[Any]) -> str:
    """A token for the page that starts after this keyset position."""
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, length: int) -> list[Any]:
    """The keyset position inside a token; BadToken when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadToken(token) from None
    if not isinstance(position, list) or len(position) != length:
        raise BadToken(token)
    return position
