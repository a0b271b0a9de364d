"""/acknowledge/{region}/{account}/{alias}/{page}?exp=…&sig=…: the one-click acknowledgement a page's e-mail links to.

A GET only shows which page and incident the link is for, and a button: mail scanners and link previews open links,
so opening one must change nothing. The button POSTs the same URL, and that runs AcceptPage (READ) through invoke,
as Incident Manager acting for the account, exactly as an API caller's acknowledgement would: a READ receipt, the
engagement stopped, the incident's timeline told. The signed link is the credential, as the accept code is in the
e-mail it came with; a link that was changed, made by another server or key, or has expired acknowledges nothing.
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from incidentd.api.invoke import Invoker
from incidentd.auth.principals import Principal
from incidentd.notify import links
from incidentd.notify.notice import utc
from incidentd.notify.page import STYLE
from incidentd.protocol.errors import ServiceError
from incidentd.protocol.model import CONTACTS
from incidentd.protocol.wire import WireRequest, WireResponse
from incidentd.server.plain import PlainRoutes
from incidentd.store import engagements, incidents

NOTE = "Acknowledged with the link in the page's e-mail"
HEADERS = [
    ("content-type", "text/html; charset=utf-8"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    # No script, no outside resource, a form that posts only here; no Referer that would carry the signed link.
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("referrer-policy", "no-referrer"),
]
BUTTON_STYLE = (
    "button{font-size:1.1rem;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#2e7d32;color:#fff}"
    "dd{overflow-wrap:anywhere}"  # an ARN has no space to break at: on a phone it would widen the page
)
_NOTHING_DONE = "Nothing was acknowledged. Acknowledge the page with the accept code in its message instead."


class AcknowledgePage:
    """The GET and POST handlers of acknowledge links, for one server's database, settings and invoke."""

    def __init__(self, invoker: Invoker) -> None:
        self.invoker = invoker
        self.settings = invoker.settings.notifications

    def show(self, request: WireRequest) -> WireResponse:
        """GET: which page and incident, and the button; writes nothing."""
        checked = self._checked(request)
        if isinstance(checked, WireResponse):
            return checked
        with self.invoker.db.read() as conn:
            page = engagements.get_page(conn, _account(checked), checked)
            record = _incident(conn, page)
        if page is None:
            return _gone()
        if page["read_ms"] is not None:
            return _html(200, "Already acknowledged", self._facts(page, record), _already(page))
        button = '<form method="post"><button type="submit">Acknowledge this page</button></form>'
        what = "<p>Acknowledging stops the engagement's further pages and tells the incident's timeline.</p>"
        return _html(200, "Acknowledge this page?", self._facts(page, record), what + button)

    def accept(self, request: WireRequest) -> WireResponse:
        """POST: AcceptPage (READ) for the page, unless it was acknowledged already."""
        checked = self._checked(request)
        if isinstance(checked, WireResponse):
            return checked
        account = _account(checked)
        db = self.invoker.db
        with db.write() as conn:
            db.lock(conn, f"acknowledge:{checked}")  # two clicks at once: one acknowledges, the other hears so
            page = engagements.get_page(conn, account, checked)
            record = _incident(conn, page)
            if page is None:
                return _gone()
            if page["read_ms"] is not None:
                return _html(200, "Already acknowledged", self._facts(page, record), _already(page))
            params = {
                "PageId": checked,
                "AcceptType": "READ",
                "AcceptCode": page["accept_code"],
                # The signed link proves the reader got the e-mail, as the code does; codes spent by someone
                # guessing them must not disable it.
                "AcceptCodeValidation": "IGNORE",
                "Note": NOTE,
            }
            region = links.page_parts(checked)
            assert region is not None  # check_acknowledge built the ARN from these parts
            try:
                self.invoker.invoke(
                    CONTACTS, "AcceptPage", params, Principal.service(account), region=region[0], conn=conn
                )
            except ServiceError as error:
                return _html(409, "Not acknowledged", self._facts(page, record), f"<p>{escape(error.message)}</p>")
            page = engagements.get_page(conn, account, checked) or page
        done = "<p>The page is acknowledged: its engagement stops, and the incident's timeline says so.</p>"
        return _html(200, "Acknowledged", self._facts(page, record), done)

    def _checked(self, request: WireRequest) -> str | WireResponse:
        """The page ARN a genuine, unexpired link names; else the refusal to answer with."""
        checked = links.check_acknowledge(request.raw_path, request.query_string, self.settings.link_keys, time.time())
        if checked is None:
            body = (
                "<p>It was changed, or it was not made by this incidentd (or the key that signs links changed "
                f"since it was sent). {_NOTHING_DONE}</p>"
            )
            return _html(403, "This acknowledge link is not valid", None, body)
        if checked.expired:
            body = (
                "<p>Links in messages work for a limited time ([notifications] link_lifetime_days). "
                f"{_NOTHING_DONE}</p>"
            )
            return _html(410, "This acknowledge link has expired", None, body)
        return checked.arn

    def _facts(self, page: dict[str, Any], record: dict[str, Any] | None) -> list[tuple[str, str, str | None]]:
        """What the page was: (name, value, link) rows; the incident's title links to its page."""
        found = links.page_parts(page["arn"])
        facts: list[tuple[str, str, str | None]] = [("Page", str(page.get("Subject") or page["arn"]), None)]
        if found is not None:
            facts.append(("Contact", found[2], None))
        if page.get("sent_ms"):
            facts.append(("Sent", utc(page["sent_ms"] / 1000), None))
        if record is not None:
            link = links.link(self.settings, record["arn"], found[0] if found else self.invoker.settings.region)
            facts.append(("Incident", str(record["title"]), link))
            facts.append(("Incident status", str(record["status"]), None))
        facts.append(("Page ARN", page["arn"], None))
        return facts


def add_acknowledge_routes(routes: PlainRoutes, invoker: Invoker) -> None:
    """Serve a server's acknowledge links: GET shows the confirmation page, POST acknowledges."""
    page = AcknowledgePage(invoker)
    routes.add("GET", links.ACKNOWLEDGE_PREFIX, page.show)
    routes.add("POST", links.ACKNOWLEDGE_PREFIX, page.accept)


def _account(page_arn: str) -> str:
    return page_arn.split(":")[4]


def _incident(conn: Any, page: dict[str, Any] | None) -> dict[str, Any] | None:
    """The incident the page was sent for, if it has one in the page's account that still exists."""
    incident_arn = (page or {}).get("IncidentId")
    found = links.parts(incident_arn) if isinstance(incident_arn, str) else None
    if page is None or found is None or found[0] != _account(page["arn"]):
        return None
    return incidents.get(conn, found[0], str(incident_arn))


def _already(page: dict[str, Any]) -> str:
    return f"<p>This page was acknowledged at {escape(utc(page['read_ms'] / 1000))}. Nothing more to do.</p>"


def _gone() -> WireResponse:
    return _html(404, "This page no longer exists", None, "<p>Its contact or engagement was deleted.</p>")


def _html(status: int, heading: str, facts: list[tuple[str, str, str | None]] | None, body: str) -> WireResponse:
    """A small HTML page; every value from the database is escaped here, `body` is markup built by this module."""
    rows = ""
    for name, value, link in facts or []:
        shown = f'<a href="{escape(link)}">{escape(value)}</a>' if link else escape(value)
        rows += f"<dt>{escape(name)}</dt><dd>{shown}</dd>"
    listing = f"<dl>{rows}</dl>" if rows else ""
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{escape(heading)} · incidentd</title>
<style>{STYLE}{BUTTON_STYLE}</style>
</head>
<body>
<h1>{escape(heading)}</h1>
{listing}
{body}
</body>
</html>
"""
    return WireResponse(status, html.encode(), list(HEADERS))
