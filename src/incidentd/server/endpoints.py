"""Which plain endpoints a server offers beside the AWS APIs: the one place each feature adds its own."""

from __future__ import annotations

import json
from collections.abc import Callable

from incidentd.api.invoke import Invoker
from incidentd.channels.twilio import VOICE_PATH
from incidentd.inbound import twilio
from incidentd.ingest.endpoint import IngestEndpoint
from incidentd.ops import endpoints
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.server.accept_page import add_acknowledge_routes
from incidentd.server.incident_page import incident_page
from incidentd.server.plain import PlainRoutes


def plain_routes(invoker: Invoker, on_write: Callable[[], None]) -> PlainRoutes:
    """The plain endpoints of a server: alerts start incidents through invoke and wake the worker with on_write."""
    db, clock, settings = invoker.db, invoker.clock, invoker.settings
    routes = PlainRoutes()
    routes.add("GET", "/healthz", _healthz)
    routes.add("POST", "/ingest/", IngestEndpoint(invoker, on_write))
    replies = twilio.TwilioReplies(db, clock, settings.delivery.twilio_callbacks())
    routes.add("POST", twilio.SMS_PATH, replies.sms)
    routes.add("POST", VOICE_PATH, replies.voice)
    routes.add("GET", "/incidents/", incident_page(db, settings.notifications))
    add_acknowledge_routes(routes, invoker)  # a page's one-click acknowledgement: GET shows, only POST accepts
    routes.add("GET", "/readyz", endpoints.readyz(db))
    routes.add("GET", "/metrics", endpoints.metrics_endpoint(db, clock, settings.metrics.token))
    return routes


def _healthz(request: WireRequest) -> WireResponse:
    """The process is up and answering."""
    return WireResponse(200, json.dumps({"status": "ok"}).encode(), [("content-type", "application/json")])
