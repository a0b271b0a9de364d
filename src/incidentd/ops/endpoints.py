"""The plain /readyz and /metrics endpoints of a node."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from incidentd.clock import Clock
from incidentd.ops import metrics
from incidentd.ops.readiness import Readiness
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.store.db import Database

Endpoint = Callable[[WireRequest], WireResponse]


def readyz(db: Database) -> Endpoint:
    """200 when the database answers in time at the newest schema, else 503 with the reason."""
    readiness = Readiness(db)

    def answer(request: WireRequest) -> WireResponse:
        problem = readiness.problem()
        body = {"status": "ok"} if problem is None else {"status": "unavailable", "reason": problem}
        return WireResponse(200 if problem is None else 503, json.dumps(body).encode(), list(_JSON))

    return answer


def metrics_endpoint(db: Database, clock: Clock, token: str | None = None) -> Endpoint:
    """The process's metrics in the Prometheus text format; with a token, only for requests that carry it."""
    registry = metrics.registry(db, clock)
    expected = None if token is None else token.encode()

    def answer(request: WireRequest) -> WireResponse:
        if expected is not None and not _carries(request, expected):
            # Refused before the scrape: its queries read the jobs table, which nobody unknown may make us do.
            challenge = 'Bearer realm="incidentd metrics"'
            if "authorization" in request.headers:
                challenge += ', error="invalid_token"'
            return WireResponse(401, b"/metrics needs Authorization: Bearer <[metrics] token>\n", _challenge(challenge))
        return WireResponse(200, metrics.exposition(registry), [("content-type", metrics.CONTENT_TYPE)])

    return answer


def _carries(request: WireRequest, expected: bytes) -> bool:
    """Whether the request's Authorization header is `Bearer <expected>`, compared in constant time."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    # Header values arrive decoded as latin-1: encoding them back gives the bytes as sent, whatever they are.
    offered = credentials.strip().encode("latin-1", "replace")
    return hmac.compare_digest(offered, expected) and scheme.lower() == "bearer"


def _challenge(value: str) -> list[tuple[str, str]]:
    return [("content-type", "text/plain; charset=utf-8"), ("www-authenticate", value)]


_JSON = [("content-type", "application/json")]
