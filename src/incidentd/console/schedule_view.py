"""A schedule's page: who is on call now and next, its calendar (week or month, in any zone), and its overrides."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import calendar_grid as grid
from incidentd.console import oncall_data
from incidentd.console.app import PREFIX, Console, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError

CONTACTS = "ssm-contacts"
NEXT_WITHIN_S = 14 * 86_400  # "Next" is looked for within two weeks of now
MAX_WINDOW_S = 366 * 86_400  # ListRotationShifts' longest window
OVERRIDE_FIELDS = {"NewContactIds": "covered_by", "StartTime": "start", "EndTime": "end"}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what a datetime-local input holds


@functools.cache
def zones() -> list[str]:
    """Every IANA zone, sorted: the zone picker's options."""
    return sorted(available_timezones())


@dataclass
class Rotation:
    """A rotation of the schedule with its shifts over the fetched span, as pieces."""

    doc: dict[str, Any]
    pieces: list[grid.Piece]
    overrides: list[dict[str, Any]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        """The rotation's ARN."""
        return str(self.doc["RotationArn"])

    @property
    def id(self) -> str:
        """The last segment of its ARN, which console paths use."""
        return self.arn.rsplit("/", 1)[-1]

    @property
    def name(self) -> str:
        """Its name."""
        return str(self.doc["Name"])

    @property
    def zone(self) -> str:
        """Its own IANA zone."""
        return str(self.doc["TimeZoneId"])


@dataclass
class People:
    """The account's contacts by ARN, and how the pages name them."""

    by_arn: dict[str, dict[str, Any]]
    _shorts: dict[tuple[str, ...], str] = field(default_factory=dict)

    def label(self, arn: str) -> str:
        """'Display name (alias)', or the alias alone."""
        contact = self.by_arn.get(arn)
        if contact is None:
            return arn.rsplit("/", 1)[-1]
        display, alias = contact.get("DisplayName"), contact["Alias"]
        return f"{display} ({alias})" if display and display != alias else str(alias)

    def short(self, arn: str) -> str:
        """The name people know the contact by (display name, else alias)."""
        contact = self.by_arn.get(arn)
        return str(contact.get("DisplayName") or contact["Alias"]) if contact else arn.rsplit("/", 1)[-1]

    def labels(self, arns_: tuple[str, ...] | list[str]) -> str:
        """Several contacts' labels, comma-separated."""
        return ", ".join(self.label(arn) for arn in arns_) or "nobody"

    def shorts(self, arns_: tuple[str, ...] | list[str]) -> str:
        """Several contacts' short names, comma-separated (remembered: a month names the same people often)."""
        key = tuple(arns_)
        if key not in self._shorts:
            self._shorts[key] = ", ".join(self.short(arn) for arn in arns_) or "nobody"
        return self._shorts[key]

    @property
    def personal(self) -> list[dict[str, Any]]:
        """The personal contacts, by name."""
        found = [c for c in self.by_arn.values() if c.get("Type") == "PERSONAL"]
        return sorted(found, key=lambda c: str(c.get("DisplayName") or c["Alias"]).lower())


def people(console: Console, who: SignedIn) -> People:
    """Every contact of the account."""
    return People({c["ContactArn"]: c for c in oncall_data.contacts(console, who)})


def pieces_of(shifts: list[dict[str, Any]]) -> list[grid.Piece]:
    """ListRotationShifts' answer as calendar pieces."""
    return [
        grid.Piece(
            oncall_data.seconds(s["StartTime"]),
            oncall_data.seconds(s["EndTime"]),
            tuple(s.get("ContactIds") or ()),
            s.get("Type") == "OVERRIDDEN",
            tuple((s.get("ShiftDetails") or {}).get("OverriddenContactIds") or ()),
        )
        for s in shifts
    ]


def rotation_pieces(
    console: Console, who: SignedIn, arn: str, start: float, end: float, now: float
) -> list[grid.Piece]:
    """A rotation's pieces over a window and the fortnight from now, in one listing when the two fit in one."""
    low, high = min(start, now), max(end, now + NEXT_WITHIN_S)
    if high - low <= MAX_WINDOW_S:
        return pieces_of(oncall_data.shifts(console, who, arn, low, high))
    shown = pieces_of(oncall_data.shifts(console, who, arn, start, end))
    around_now = pieces_of(oncall_data.shifts(console, who, arn, now, now + NEXT_WITHIN_S))
    return sorted({(p.start, p.end): p for p in shown + around_now}.values(), key=lambda p: p.start)


@functools.lru_cache(maxsize=64)
def zone_options(selected: str) -> Markup:
    """The zone picker's options, the shown zone selected (built once per zone: there are about 600)."""
    return Markup("").join(
        Markup("<option selected>{}</option>").format(name)
        if name == selected
        else Markup("<option>{}</option>").format(name)
        for name in zones()
    )


def _zone_of(request: Request, who: SignedIn) -> str:
    """The zone the page shows: the query's, else the person's preference, else UTC."""
    asked = request.query_params.get("zone", "")
    if asked in _zone_set():
        return asked
    return who.time_zone if who.time_zone in _zone_set() else "UTC"


@functools.cache
def _zone_set() -> frozenset[str]:
    return frozenset(zones())


def _anchor(value: str, zone: ZoneInfo, now: float) -> date:
    """The date the view is around: the query's, else today in the zone."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return datetime.fromtimestamp(now, zone).date()


def schedule_arn(console: Console, who: SignedIn, alias: str) -> str:
    """The ARN of a contact of the person's account by its alias."""
    return arns.contact(console.settings.region, who.account_id, alias)


def rotation_arn(console: Console, who: SignedIn, rotation_id: str) -> str:
    """The ARN of a rotation of the person's account by its id."""
    return arns.rotation(console.settings.region, who.account_id, rotation_id)


def local_input(seconds: float, zone: ZoneInfo) -> str:
    """An instant as a datetime-local value in a zone."""
    return datetime.fromtimestamp(seconds, zone).strftime(LOCAL_FORMAT)


def from_local(value: str, zone: ZoneInfo) -> float | None:
    """A datetime-local value in a zone as epoch seconds (the first of twice-occurring times), or None."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return None
    return moment.replace(tzinfo=zone).timestamp()


def show(
    console: Console,
    request: Request,
    who: SignedIn,
    alias: str,
    query: dict[str, str],
    override_form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    """The schedule's page for a query (view, start, zone; override, from, to to open the override form)."""
    now = console.clock.now_ms() / 1000
    zone_name = query["zone"]
    zone = ZoneInfo(zone_name)
    view = query.get("view") if query.get("view") in grid.VIEWS else "month"
    assert view is not None
    shown = grid.window(view, _anchor(query.get("start", ""), zone, now), zone)
    try:
        contact = console.call(who, CONTACTS, "GetContact", {"ContactId": schedule_arn(console, who, alias)})
        if contact.get("Type") != "ONCALL_SCHEDULE":
            return console.page(request, who, "not_found.html", status=404, message="There is no such schedule.")
        known = people(console, who)
        rotations = []
        for arn in (contact.get("Plan") or {}).get("RotationIds") or []:
            doc = console.call(who, CONTACTS, "GetRotation", {"RotationId": arn})
            rotation = Rotation(doc, rotation_pieces(console, who, arn, shown.start, shown.end, now))
            listed = oncall_data.every(
                console,
                who,
                "ListRotationOverrides",
                {"RotationId": arn, "StartTime": shown.start, "EndTime": shown.end},
                "RotationOverrides",
            )
            rotation.overrides = [
                {**o, "start": oncall_data.seconds(o["StartTime"]), "end": oncall_data.seconds(o["EndTime"])}
                for o in listed
            ]
            rotations.append(rotation)
    except ServiceError as error:
        if error.code == "ResourceNotFoundException":
            return console.page(request, who, "not_found.html", status=404, message="There is no such schedule.")
        return console.page(request, who, "not_found.html", status=403, message=error.message)
    final = grid.final([r.pieces for r in rotations])
    current, coming = grid.now_and_next(final, now)
    rows = [
        {
            "rotation": r,
            "days": grid.lay_out(r.pieces, shown, zone, ZoneInfo(r.zone) if r.zone != zone_name else None),
            "may_override": who.may("ssm-contacts:CreateRotationOverride", r.arn),
            "may_edit": who.may("ssm-contacts:UpdateRotation", r.arn),
        }
        for r in rotations
    ]
    final_days = grid.lay_out(final, shown, zone)
    here = f"{PREFIX}/on-call/schedules/{alias}"
    base = {"view": view, "start": shown.anchor.isoformat(), "zone": zone_name}

    base_query = urlencode(base)

    def link(**changes: str) -> str:
        return f"{here}?{urlencode({**base, **changes})}"

    def shift_link(rotation: Rotation, piece: grid.Piece) -> str:
        # Built by hand: a month has hundreds of shifts, and urlencode per link was a third of the page's time.
        return f"?{base_query}&override={rotation.id}&from={round(piece.start)}&to={round(piece.end)}"

    spans: dict[tuple[float, float], str] = {}

    def span(piece: grid.Piece) -> str:
        """'Mon 1 Mar 2027 09:00 to Tue 2 Mar 2027 09:00' in the shown zone, once per piece."""
        key = (piece.start, piece.end)
        if key not in spans:
            spans[key] = f"{moment(piece.start)} to {moment(piece.end)}"
        return spans[key]

    def moment(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, zone).strftime("%a %-d %b %Y %H:%M")

    return console.page(
        request,
        who,
        "schedule.html",
        status=status,
        schedule=contact,
        title=contact.get("DisplayName") or contact["Alias"],
        alias=alias,
        rotations=rotations,
        rows=rows,
        final_days=final_days,
        current=current,
        coming=coming,
        people=known,
        shown=shown,
        view=view,
        zone=zone,
        zone_name=zone_name,
        # Nobody chose the zone (no query, no preference): console.js swaps in the browser's own.
        zone_from_browser="zone" not in request.query_params and who.time_zone not in _zone_set(),
        zones=zones(),
        link=link,
        shift_link=shift_link,
        today=datetime.fromtimestamp(now, zone).date(),
        clock=grid.clock,
        moment=moment,
        span=span,
        zone_options=zone_options(zone_name),
        override_form=override_form if override_form is not None else _override_form(query, rotations, zone, now),
        errors=errors,
        here=here,
        may_edit_schedule=who.may("ssm-contacts:UpdateContact", contact["ContactArn"]),
        may_delete=who.may("ssm-contacts:DeleteRotationOverride"),
    )


def _override_form(query: dict[str, str], rotations: list[Rotation], zone: ZoneInfo, now: float) -> dict[str, str]:
    """The override form's fields from a clicked shift (rotation, from, to); empty (closed) without one."""
    chosen = next((r for r in rotations if r.id == query.get("override")), None)
    if chosen is None:
        return {}
    try:
        start, end = float(query.get("from", "")), float(query.get("to", ""))
    except ValueError:
        start, end = now, now + 3600
    # A shift already under way can only be overridden from now on (the API refuses a start in the past).
    start = max(start, (now // 300 + 1) * 300)
    return {
        "rotation": chosen.id,
        "covered_by": "",
        "start": local_input(start, zone),
        "end": local_input(max(end, start + 1800), zone),
    }


def _query(request: Request, who: SignedIn) -> dict[str, str]:
    query = {
        key: request.query_params[key]
        for key in ("view", "start", "override", "from", "to")
        if key in request.query_params
    }
    query["zone"] = _zone_of(request, who)
    return query


def schedule(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/schedules/{alias}."""
    return show(console, request, who, request.path_params["alias"], _query(request, who))


def _form_query(form: dict[str, str], who: SignedIn) -> dict[str, str]:
    """The view a form was posted from (its hidden fields)."""
    zone = form.get("zone", "")
    return {
        "view": form.get("view", "month"),
        "start": form.get("date", ""),
        "zone": zone if zone in _zone_set() else (who.time_zone if who.time_zone in _zone_set() else "UTC"),
    }


def create_override(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/overrides: CreateRotationOverride for the chosen rotation, person and times (in the page's zone)."""
    alias = request.path_params["alias"]
    query = _form_query(form, who)
    zone = ZoneInfo(query["zone"])
    fields = {key: form.get(key, "") for key in ("rotation", "covered_by", "start", "end")}
    start, end = from_local(fields["start"], zone), from_local(fields["end"], zone)
    if start is None or end is None:
        name = "start" if start is None else "end"
        errors = FormErrors(fields={name: "Enter a date and a time."})
        return show(console, request, who, alias, query, fields, errors, status=400)
    params = {
        "RotationId": rotation_arn(console, who, fields["rotation"]),
        "NewContactIds": [fields["covered_by"]] if fields["covered_by"] else [],
        "StartTime": start,
        "EndTime": end,
    }
    try:
        console.call(who, CONTACTS, "CreateRotationOverride", params)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return show(console, request, who, alias, query, fields, FormErrors.of(error, OVERRIDE_FIELDS), status=400)
    landing = {**query, "start": datetime.fromtimestamp(start, zone).date().isoformat()}
    return RedirectResponse(f"{PREFIX}/on-call/schedules/{alias}?{urlencode(landing)}#overrides", status_code=303)


def delete_override(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST …/overrides/{rotation_id}/{override_id}/delete: DeleteRotationOverride."""
    alias = request.path_params["alias"]
    query = _form_query(form, who)
    params = {
        "RotationId": rotation_arn(console, who, request.path_params["rotation_id"]),
        "RotationOverrideId": request.path_params["override_id"],
    }
    try:
        console.call(who, CONTACTS, "DeleteRotationOverride", params)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return show(console, request, who, alias, query, None, FormErrors(form=error.message), status=400)
    return RedirectResponse(f"{PREFIX}/on-call/schedules/{alias}?{urlencode(query)}#overrides", status_code=303)


def routes(console: Console) -> list[BaseRoute]:
    """A schedule's page and its override actions."""
    page = "/on-call/schedules/{alias}"
    return [
        Route(page, reader(console, schedule), methods=["GET"]),
        Route(f"{page}/overrides", writer(console, create_override), methods=["POST"]),
        Route(
            f"{page}/overrides/{{rotation_id}}/{{override_id}}/delete",
            writer(console, delete_override),
            methods=["POST"],
        ),
    ]
