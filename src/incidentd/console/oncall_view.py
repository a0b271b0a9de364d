"""On call: every rotation of the account with who is on call now, until when, and who comes next."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from incidentd.console.app import Console, reader
from incidentd.console.sessions import SignedIn
from incidentd.protocol.errors import ServiceError

CONTACTS = "ssm-contacts"
LOOK_AHEAD_S = 30 * 86_400  # "next" is found within the coming 30 days


def on_call(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call."""
    now = console.clock.now_ms() / 1000
    try:
        rotations = console.call(who, CONTACTS, "ListRotations", {"MaxResults": 100}).get("Rotations", [])
        names = _contact_names(console, who)
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=403, message=error.message)
    rows = []
    for rotation in rotations:
        params = {
            "RotationId": rotation["RotationArn"],
            "StartTime": now,
            "EndTime": now + LOOK_AHEAD_S,
            "MaxResults": 3,
        }
        try:
            shifts = console.call(who, CONTACTS, "ListRotationShifts", params).get("RotationShifts", [])
        except ServiceError:
            shifts = []
        current = [s for s in shifts if _seconds(s["StartTime"]) <= now]
        coming = [s for s in shifts if _seconds(s["StartTime"]) > now]
        rows.append(
            {"rotation": rotation, "now": current[0] if current else None, "next": coming[0] if coming else None}
        )
    return console.page(request, who, "on_call.html", rows=rows, names=names)


def _seconds(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _contact_names(console: Console, who: SignedIn) -> dict[str, str]:
    """Each contact's ARN with the name people know it by (display name, else alias)."""
    contacts = console.call(who, CONTACTS, "ListContacts", {"MaxResults": 100}).get("Contacts", [])
    return {c["ContactArn"]: c.get("DisplayName") or c["Alias"] for c in contacts}


def routes(console: Console) -> list[BaseRoute]:
    """The on-call endpoint."""
    return [Route("/on-call", reader(console, on_call), methods=["GET"])]
