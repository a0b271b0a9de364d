"""Paging health: what `incidentd check-paging` finds for the signed-in person's account, each finding linked to
the contact, rotation or response plan it names. Only the person's own account's findings are ever shown."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from incidentd import channels
from incidentd.config.values import ConfigError
from incidentd.console.app import PREFIX, Console, reader
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.ops import paging_check

PROBLEMS = {
    "no-reachable-channel": "No activated channel",
    "no-transport": "No transport for the channel type",
    "inactive-target": "Plan targets an inactive channel",
    "unknown-contact": "Names a contact that does not exist",
    "empty-escalation": "Escalation plan with no stages",
    "unknown-rotation": "Names a rotation that does not exist",
}


@dataclass(frozen=True)
class Shown:
    """A finding as the page shows it: what it is about, where that is in the console, and what is wrong."""

    finding: paging_check.Finding
    title: str
    name: str
    link: str


def link_of(resource: str) -> tuple[str, str, str]:
    """What a finding's resource is, the name it goes by and its console page: a contact (or its channel), a
    rotation, an on-call schedule's page, or a response plan (named, not an ARN)."""
    parsed = arns.parse(resource)
    if parsed is None:  # check-paging names response plans by their name
        return "Response plan", resource, f"{PREFIX}/plans/{resource}"
    kind, _, rest = parsed.resource.partition("/")
    if kind == "contact-channel":
        alias, _, channel_id = rest.partition("/")
        return "Contact channel", f"{alias} (channel)", f"{PREFIX}/contacts/{alias}#channel-{channel_id}"
    if kind == "rotation":
        return "Rotation", rest, f"{PREFIX}/on-call/rotations/{rest}"
    return "Contact", rest, f"{PREFIX}/contacts/{rest}"


def findings_of(console: Console, account_id: str) -> list[paging_check.Finding]:
    """check-paging's findings for one account, with the transports the server's settings configure."""
    try:
        transports = channels.transports_for(console.settings, console.db)  # the outbox, in development mode
    except ConfigError:
        transports = channels.Transports()  # the worker refuses such settings at start; here: none configured
    with console.db.read() as conn:
        return paging_check.check(conn, transports, account_id)


def paging_health(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/paging-health."""
    if not who.may("ssm-contacts:ListContacts"):
        return console.refused(request, who, "Paging health needs ssm-contacts:ListContacts.")
    shown = []
    for finding in findings_of(console, who.account_id):
        # A schedule's link is its contact page, which sends the browser on to the On call page.
        title, name, link = link_of(finding.resource)
        shown.append(Shown(finding, title, name, link))
    return console.page(request, who, "paging_health.html", findings=shown, problems=PROBLEMS)


def routes(console: Console) -> list[BaseRoute]:
    """The paging-health endpoint."""
    return [Route("/paging-health", reader(console, paging_health), methods=["GET"])]
