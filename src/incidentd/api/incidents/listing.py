"""Keyset page tokens of (epoch milliseconds, identifier), and pages over lists that are read whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidentd.api.incidents.common import page_size, read_token
from incidentd.protocol.errors import validation_error
from incidentd.store import paging


def read_position(params: dict[str, Any]) -> list[Any] | None:
    """The (epoch ms, identifier) position in nextToken; ValidationException for anything else."""
    position = read_token(params, 2)
    # A token that decodes but holds other values would reach SQL or a comparison and fail there as a 500.
    if position is not None and not (
        type(position[0]) is int and -(2**63) <= position[0] < 2**63 and isinstance(position[1], str)
    ):
        raise validation_error("The nextToken is not valid.")
    return position


def paginate(
    items: list[dict[str, Any]],
    key: Callable[[dict[str, Any]], list[Any]],
    params: dict[str, Any],
    descending: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """The page after the token's position in a list sorted by key, an (epoch ms, identifier) pair."""
    position = read_position(params)
    if position is not None:
        items = [i for i in items if (key(i) < position if descending else key(i) > position)]
    limit = page_size(params)
    page = items[:limit]
    token = paging.encode(key(page[-1])) if len(items) > limit else None
    return page, token
