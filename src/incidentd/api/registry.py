"""The table from (service, operation) to handler, filled by the handler modules as they import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from incidentd.api.context import CallContext

Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any] | None]

_READ_PREFIXES = ("Get", "List", "BatchGet", "Describe")


@dataclass(frozen=True)
class Operation:
    """A handler and how it must run: in a write transaction or a read snapshot."""

    service: str
    name: str
    handler: Handler
    writes: bool
    needs_onboarding: bool
    # The answer depends on nothing but the request and the stored rows (no clock, no caller): a server may
    # answer the same request again from memory until the database changes (server/read_cache.py).
    cacheable: bool = False


HANDLERS: dict[tuple[str, str], Operation] = {}


def handles(
    service: str, name: str, *, needs_onboarding: bool = True, cacheable: bool = False
) -> Callable[[Handler], Handler]:
    """Register a function as the handler of one operation."""

    def register(handler: Handler) -> Handler:
        writes = not name.startswith(_READ_PREFIXES)
        if cacheable and writes:
            raise ValueError(f"{service} {name} writes, so its answer can't be cached")
        HANDLERS[(service, name)] = Operation(service, name, handler, writes, needs_onboarding, cacheable)
        return handler

    return register


def load_all() -> dict[tuple[str, str], Operation]:
    """Import every handler module so that the table is complete."""
    from incidentd.api import contacts, incidents, ssm  # noqa: F401  (imports register the handlers)

    return HANDLERS
