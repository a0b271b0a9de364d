"""GET /incidents/{account}/{plan}/{id}?sig=…: the read-only page that notification links open."""

from __future__ import annotations

import time

from incidentd.config.notifications import NotifySettings
from incidentd.notify import links, page
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.server.plain import PlainHandler
from incidentd.store import incidents, timeline
from incidentd.store.db import Database

# The page is reached without AWS credentials, so it says as little as possible to whoever guesses:
# any bad path, bad signature or missing incident is the same bare 404.
NOT_FOUND = WireResponse(404, b"Not Found", [("content-type", "text/plain; charset=utf-8")])
HEADERS = [
    ("content-type", "text/html; charset=utf-8"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    # No script, no outside resource; and no Referer that would carry the signed link elsewhere.
    ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ("referrer-policy", "no-referrer"),
]
# A link that was genuine once: saying so helps whoever was sent it, and tells nobody else anything.
EXPIRED = WireResponse(
    410,
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Link expired \xc2\xb7 incidentd</title>"
    b"<h1>This link has expired</h1><p>Links to incidents in messages open the incident for a limited time "
    b"([notifications] link_lifetime_days). Open the incident from the console, or ask for a new link.</p></html>",
    list(HEADERS),
)


def incident_page(db: Database, settings: NotifySettings) -> PlainHandler:
    """The page handler for a server: links are checked against the settings' keys and expire."""

    def handle(request: WireRequest) -> WireResponse:
        checked = links.check(request.raw_path, request.query_string, settings.link_keys, time.time())
        if checked is None:
            return NOT_FOUND
        if checked.expired:
            return EXPIRED
        arn = checked.arn
        found = links.parts(arn)
        assert found is not None  # verified_arn built it
        account = found[0]
        with db.read() as conn:
            record = incidents.get(conn, account, arn)
            if record is None:
                return NOT_FOUND
            # The newest events when there are very many, shown oldest first as a timeline reads.
            newest = timeline.all_for(conn, account, arn, timeline.EventQuery(newest_first=True))
        events = newest[: page.MAX_EVENTS][::-1]
        return WireResponse(200, page.render(record, events).encode(), list(HEADERS))

    return handle
