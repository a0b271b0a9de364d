"""On call: every on-call schedule of the account and every rotation in none, with who is on call now and next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from incidentd.console import calendar_grid as grid
from incidentd.console import oncall_data
from incidentd.console.app import Console, reader
from incidentd.console.schedule_view import NEXT_WITHIN_S, People, people, pieces_of
from incidentd.console.sessions import SignedIn
from incidentd.protocol.errors import ServiceError


@dataclass
class Row:
    """A schedule or a lone rotation with the piece in force now and the one after."""

    name: str
    current: grid.Piece | None
    coming: grid.Piece | None
    alias: str = ""  # a schedule's, for its link
    detail: str = ""  # a schedule's rotations, a rotation's zone


def _now_next(pieces: list[list[grid.Piece]], now: float) -> tuple[grid.Piece | None, grid.Piece | None]:
    return grid.now_and_next(grid.final(pieces), now)


def on_call(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call."""
    now = console.clock.now_ms() / 1000
    try:
        known: People = people(console, who)
        found = oncall_data.schedules(console, who)
        rotations: list[dict[str, Any]] = oncall_data.every(console, who, "ListRotations", {}, "Rotations")
    except ServiceError as error:
        return console.page(request, who, "not_found.html", status=403, message=error.message)
    pieces: dict[str, list[grid.Piece]] = {}
    for rotation in rotations:
        arn = rotation["RotationArn"]
        try:
            pieces[arn] = pieces_of(oncall_data.shifts(console, who, arn, now, now + NEXT_WITHIN_S))
        except ServiceError:
            pieces[arn] = []
    names = {r["RotationArn"]: r["Name"] for r in rotations}
    schedules = []
    for schedule in sorted(found, key=lambda s: s.title.lower()):
        current, coming = _now_next([pieces.get(arn, []) for arn in schedule.rotation_ids], now)
        detail = ", ".join(names.get(arn, arn.rsplit("/", 1)[-1]) for arn in schedule.rotation_ids)
        schedules.append(Row(schedule.title, current, coming, schedule.alias, detail))
    in_schedules = {arn for schedule in found for arn in schedule.rotation_ids}
    lone = [
        Row(r["Name"], *_now_next([pieces[r["RotationArn"]]], now), detail=r.get("TimeZoneId", ""))
        for r in sorted(rotations, key=lambda r: str(r["Name"]).lower())
        if r["RotationArn"] not in in_schedules
    ]
    return console.page(
        request,
        who,
        "on_call.html",
        schedules=schedules,
        lone=lone,
        people=known,
        may_create_rotation=who.may("ssm-contacts:CreateRotation"),
        may_create_schedule=who.may("ssm-contacts:CreateContact"),
    )


def routes(console: Console) -> list[BaseRoute]:
    """The on-call endpoint."""
    return [Route("/on-call", reader(console, on_call), methods=["GET"])]
