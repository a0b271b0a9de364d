"""The plain /readyz and /metrics endpoints of a node."""

from __future__ import annotations

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


def metrics_endpoint(db: Database, clock: Clock) -> Endpoint:
    """The process's metrics in the Prometheus text format."""
    registry = metrics.registry(db, clock)

    def answer(request: WireRequest) -> WireResponse:
        return WireResponse(200, metrics.exposition(registry), [("content-type", metrics.CONTENT_TYPE)])

    return answer


_JSON = [("content-type", "application/json")]
