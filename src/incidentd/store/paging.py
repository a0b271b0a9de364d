"""Opaque page tokens: the keyset position of the last item, URL-safe so every model's token pattern admits it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class BadToken(ValueError):
    """A page token this server did not issue."""


def encode(position: list[Any]) -> str:
    """A token for the page that starts after this keyset position."""
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, *types: type) -> list[Any]:
    """The keyset position inside a token, one value of each given type; BadToken when it is not one of ours.

    A token that decodes but holds other values (a number for a name, an integer past 64 bits) would otherwise
    reach SQL or a comparison and fail there as a 500.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadToken(token) from None
    if not isinstance(position, list) or len(position) != len(types):
        raise BadToken(token)
    for value, kind in zip(position, types, strict=True):
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BadToken(token)
        if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
            raise BadToken(token)
    return position


def page_of(
    items: list[T], key: Callable[[T], list[Any]], after: list[Any] | None, limit: int, descending: bool = False
) -> tuple[list[T], str | None]:
    """The page of `limit` items after a keyset position in a list sorted by key, and the token of the next."""
    if after is not None:
        items = [item for item in items if (key(item) < after if descending else key(item) > after)]
    page = items[:limit]
    return page, encode(key(page[-1])) if len(items) > limit else None
