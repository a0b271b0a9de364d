"""Plain HTTP endpoints beside the AWS APIs (alert ingestion, health): matched by method and path prefix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from incidentd.protocol.wire import WireRequest, WireResponse

PlainHandler = Callable[[WireRequest], WireResponse]


@dataclass(frozen=True)
class PlainRoute:
    """One endpoint: requests whose method matches and whose raw path starts with the prefix."""

    method: str
    prefix: bytes
    handler: PlainHandler


class PlainRoutes:
    """The plain endpoints of one server; anything they don't match is an AWS API request."""

    def __init__(self, routes: list[PlainRoute] | None = None) -> None:
        self.routes: list[PlainRoute] = []
        # Every prefix per method, for one C call that clears the AWS API requests (all but a few) at once.
        self._prefixes: dict[str, tuple[bytes, ...]] = {}
        for route in routes or []:
            self._append(route)

    def add(self, method: str, prefix: str, handler: PlainHandler) -> None:
        """Serve requests under a path prefix with a handler (it runs on a worker thread and may block)."""
        self._append(PlainRoute(method, prefix.encode(), handler))

    def find(self, request: WireRequest) -> PlainHandler | None:
        """The handler for a request, or None when it is an AWS API request."""
        # AWS API requests are signed POSTs to / or to restJson paths; none of them lives under these prefixes.
        prefixes = self._prefixes.get(request.method)
        if prefixes is None or not request.raw_path.startswith(prefixes):
            return None
        for route in self.routes:
            if request.method == route.method and request.raw_path.startswith(route.prefix):
                return route.handler
        return None

    def _append(self, route: PlainRoute) -> None:
        self.routes.append(route)
        self._prefixes[route.method] = (*self._prefixes.get(route.method, ()), route.prefix)
