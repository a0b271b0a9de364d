"""Which plain endpoints a server offers beside the AWS APIs: the one place each feature adds its own."""

from __future__ import annotations

import json

from incidentd.channels.twilio import VOICE_PATH
from incidentd.inbound import twilio
from incidentd.ingest.endpoint import IngestEndpoint
from incidentd.ops import endpoints
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.server.dispatch import Dispatcher
from incidentd.server.incident_page import incident_page
from incidentd.server.plain import PlainRoutes


def plain_routes(dispatcher: Dispatcher) -> PlainRoutes:
    """The plain endpoints of a server built on this dispatcher."""
    routes = PlainRoutes()
    routes.add("GET", "/healthz", _healthz)
    routes.add("POST", "/ingest/", IngestEndpoint(dispatcher.invoker, dispatcher.on_write))
    replies = twilio.TwilioReplies(dispatcher.db, dispatcher.clock, dispatcher.settings.delivery.twilio_callbacks())
    routes.add("POST", twilio.SMS_PATH, replies.sms)
    routes.add("POST", VOICE_PATH, replies.voice)
    routes.add("GET", "/incidents/", incident_page(dispatcher))
    routes.add("GET", "/readyz", endpoints.readyz(dispatcher.db))
    routes.add("GET", "/metrics", endpoints.metrics_endpoint(dispatcher.db, dispatcher.clock))
    return routes


def json_response(status: int, body: object) -> WireResponse:
    """A JSON answer for a plain endpoint."""
    return WireResponse(status, json.dumps(body).encode(), [("content-type", "application/json")])


def _healthz(request: WireRequest) -> WireResponse:
    """The process is up and answering."""
    return json_response(200, {"status": "ok"})
