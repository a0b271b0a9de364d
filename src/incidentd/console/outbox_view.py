"""The development outbox: what the server kept instead of sending, for the signed-in person's account only.

It exists only in development mode (no credentials configured); otherwise the page is not found and the navigation
has no link to it. Entries carry accept and activation codes, so it takes a role that may accept pages.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console.app import Console, reader
from incidentd.console.sessions import SignedIn
from incidentd.store import outbox

SHOWN = 200  # the newest entries the page shows; `incidentd outbox` prints every one
# A line of a message that is a named link, as page e-mails end: "Acknowledge this page: https://…".
LINK_LINE = re.compile(r"^(?P<name>[^:\n]{1,60}): (?P<url>https?://\S+)$", re.MULTILINE)


def links_in(text: str) -> list[tuple[str, str]]:
    """The named links of a message's text, (name, URL), so that the page can make them clickable."""
    return [(found["name"], found["url"]) for found in LINK_LINE.finditer(text)]


def outbox_page(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/outbox."""
    if not console.settings.development:
        return PlainTextResponse("Not Found", status_code=404)
    if not who.may("ssm-contacts:AcceptPage"):
        return console.refused(request, who, "The outbox shows accept codes: it needs ssm-contacts:AcceptPage.")
    with console.db.read() as conn:
        entries = outbox.newest(conn, who.account_id, SHOWN)
    return console.page(request, who, "outbox.html", entries=entries, links_in=links_in, shown=SHOWN, section="outbox")


def routes(console: Console) -> list[BaseRoute]:
    """The outbox page; and, for the navigation of every page, whether it exists on this server."""
    console.templates.globals["outbox_link"] = console.settings.development
    return [Route("/outbox", reader(console, outbox_page), methods=["GET"])]
