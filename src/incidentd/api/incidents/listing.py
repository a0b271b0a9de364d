"""Keyset page tokens of (epoch milliseconds, identifier), and pages over lists that are read whole."""

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
    """The page after the token's position in a list sorted by key, an (epoch ms, identifier) pair."""
    return paging.page_of(items, key, read_token(params, int, str), page_size(params), descending)
