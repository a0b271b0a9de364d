"""Pages over lists that are read whole (one incident's events or items), with keyset tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidentd.api.incidents.common import page_size, read_token
from incidentd.store import paging


def paginate(
    items: list[dict[str, Any]],
    key: Callable[[dict[str, Any]], list[Any]],
    params: dict[str, Any],
    descending: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """The page after the token's position in an already sorted list, and the token for the next page."""
    position = read_token(params, len(key(items[0])) if items else 2)
    if position is not None:
        items = [i for i in items if (key(i) < position if descending else key(i) > position)]
    limit = page_size(params)
    page = items[:limit]
    token = paging.encode(key(page[-1])) if len(items) > limit else None
    return page, token
