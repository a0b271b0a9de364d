"""Creating, editing and deleting rotations (with a preview of their next shifts) and on-call schedules.

Every form works without JavaScript: buttons that move or add a member post the form back and it is shown again,
nothing saved; "Preview" does the same. With JavaScript, rotations.js moves rows in place and htmx asks for the
preview as fields change.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import oncall_data
from incidentd.console.app import PREFIX, Console, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.rotation_form import DAY_NAMES, DAYS, MAX_HANDOFFS, RotationFields, ScheduleFields, field_of
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError

CONTACTS = "ssm-contacts"
PREVIEW_DAYS = 14
PREVIEW_ROWS = 60  # a daily rotation of several hand-offs a day still fits two weeks
ROTATION_FIELDS = ("name", "members", "start", "time_zone", "handoffs", "shift_length", "on_calls", "coverage")
SCHEDULE_FIELDS = ("alias", "display_name", "rotations")
SHOWN = "%a %d %b %Y, %H:%M %Z"


@functools.cache
def time_zones() -> list[str]:
    """Every IANA zone this machine knows, sorted."""
    return sorted(zoneinfo.available_timezones())


def _errors(error: ServiceError, fields: tuple[str, ...]) -> FormErrors:
    name = field_of(error.message, fields)
    return FormErrors(fields={name: error.message}) if name else FormErrors(form=error.message)


def _missing(console: Console, request: Request, who: SignedIn, error: ServiceError) -> Response:
    status = 403 if error.code == "AccessDeniedException" else 404
    return console.page(request, who, "not_found.html", status=status, message=error.message)


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo("UTC")


# The people a rotation can have: the account's personal contacts.


class People:
    """The account's personal contacts: by ARN, their alias and the name people know them by."""

    def __init__(self, found: list[dict[str, Any]]) -> None:
        self.choices = [(c["ContactArn"], c.get("DisplayName") or c["Alias"]) for c in found]
        self.names = dict(self.choices)
        self.aliases = {c["ContactArn"]: c["Alias"] for c in found}
        self.by_alias = {c["Alias"]: c.get("DisplayName") or c["Alias"] for c in found}

    def name(self, arn: str) -> str:
        """The contact's name, or the last part of its ARN when it is not one of the account's."""
        return self.names.get(arn) or arn.rsplit("/", 1)[-1]


def _people(console: Console, who: SignedIn) -> People:
    try:
        return People(oncall_data.contacts(console, who, "PERSONAL"))
    except ServiceError:
        return People([])


# The preview.


def preview(console: Console, who: SignedIn, fields: RotationFields, people: People) -> dict[str, Any]:
    """The rotation's next shifts as ListPreviewRotationShifts gives them, or the API's message."""
    if not fields.members:
        return {"note": "Add members to see who would be on call."}
    # From the current minute: the first row reads "09:41", not "09:41:07".
    now = console.clock.now_ms() // 60_000 * 60.0
    start = fields.start_seconds()
    window_start = max(now, start) if isinstance(start, float) else now
    aliases = [people.aliases.get(arn, arn.rsplit("/", 1)[-1]) for arn in fields.members]
    params = fields.preview_params(aliases, window_start, window_start + PREVIEW_DAYS * 86_400)
    try:
        found = console.call(who, CONTACTS, "ListPreviewRotationShifts", params).get("RotationShifts", [])
    except ServiceError as error:
        return {"error": error.message}
    zone = _zone(fields.time_zone)
    rows = []
    for shift in found[:PREVIEW_ROWS]:
        begin, end = oncall_data.seconds(shift["StartTime"]), oncall_data.seconds(shift["EndTime"])
        rows.append(
            {
                "start": datetime.fromtimestamp(begin, zone),
                "end": datetime.fromtimestamp(end, zone),
                "who": [people.by_alias.get(alias, alias) for alias in shift["ContactIds"]],
            }
        )
    return {"rows": rows, "more": len(found) > PREVIEW_ROWS, "days": PREVIEW_DAYS, "zone": fields.time_zone}


def preview_fragment(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/preview: the preview region for the form's current values (htmx asks as fields change)."""
    fields = RotationFields.parse(form)
    fields.apply(form.get("action", ""), form.get("add-member", ""))
    people = _people(console, who)
    return console.page(request, who, "_rotation_preview.html", preview=preview(console, who, fields, people))


# Rotations.


def _rotation_page(
    console: Console,
    request: Request,
    who: SignedIn,
    fields: RotationFields,
    rotation: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    people = _people(console, who)
    arn = rotation["RotationArn"] if rotation else "*"
    can = {
        "save": who.may(f"{CONTACTS}:{'UpdateRotation' if rotation else 'CreateRotation'}", arn),
        "delete": rotation is not None and who.may(f"{CONTACTS}:DeleteRotation", arn),
    }
    path = f"{PREFIX}/on-call/rotations/{arn.rsplit('/', 1)[-1]}" if rotation else f"{PREFIX}/on-call/new-rotation"
    start_default = datetime.fromtimestamp(console.clock.now_ms() / 1000, _zone(fields.time_zone))
    return console.page(
        request,
        who,
        "rotation_form.html",
        status=400 if errors else 200,
        fields=fields,
        rotation=rotation,
        path=path,
        people=people,
        members=[(arn, people.name(arn)) for arn in fields.members],
        addable=[(arn, name) for arn, name in people.choices if arn not in fields.members],
        zones=time_zones(),
        days=DAYS,
        day_names=DAY_NAMES,
        max_handoffs=MAX_HANDOFFS,
        start_hint=start_default.strftime("%Y-%m-%d %H:%M"),
        preview=preview(console, who, fields, people),
        errors=errors or FormErrors(),
        can=can,
    )


def new_rotation(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/new-rotation: the form, with the person's time zone and a weekly Monday 09:00 hand-off."""
    zone = who.time_zone if who.time_zone in time_zones() else "UTC"
    today = datetime.fromtimestamp(console.clock.now_ms() / 1000, _zone(zone)).strftime("%Y-%m-%dT09:00")
    return _rotation_page(console, request, who, RotationFields(time_zone=zone, start=today))


def create_rotation(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/new-rotation: CreateRotation, or the form again (a preview, a moved member, a refusal)."""
    fields = RotationFields.parse(form)
    action = form.get("action", "save")
    if action == "preview" or fields.apply(action, form.get("add-member", "")):
        return _rotation_page(console, request, who, fields)
    try:
        answer = console.call(who, CONTACTS, "CreateRotation", fields.create_params())
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _rotation_page(console, request, who, fields, errors=_errors(error, ROTATION_FIELDS))
    rotation_id = answer["RotationArn"].rsplit("/", 1)[-1]
    return RedirectResponse(f"{PREFIX}/on-call/rotations/{rotation_id}", status_code=303)


def _rotation(console: Console, request: Request, who: SignedIn) -> dict[str, Any]:
    """The rotation the path names (GetRotation), or the API's ServiceError."""
    arn = arns.rotation(console.settings.region, who.account_id, request.path_params["rotation_id"])
    return console.call(who, CONTACTS, "GetRotation", {"RotationId": arn})


def edit_rotation(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/rotations/{rotation_id}: the form filled from GetRotation."""
    try:
        rotation = _rotation(console, request, who)
    except ServiceError as error:
        return _missing(console, request, who, error)
    fields = RotationFields.of_rotation(rotation, oncall_data.seconds(rotation["StartTime"]))
    return _rotation_page(console, request, who, fields, rotation)


def update_rotation(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/rotations/{rotation_id}: UpdateRotation (the name stays), or the form again."""
    try:
        rotation = _rotation(console, request, who)
    except ServiceError as error:
        return _missing(console, request, who, error)
    fields = RotationFields.parse(form)
    fields.name = rotation["Name"]
    action = form.get("action", "save")
    if action == "preview" or fields.apply(action, form.get("add-member", "")):
        return _rotation_page(console, request, who, fields, rotation)
    try:
        console.call(who, CONTACTS, "UpdateRotation", fields.update_params(rotation["RotationArn"]))
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _rotation_page(console, request, who, fields, rotation, _errors(error, ROTATION_FIELDS))
    return RedirectResponse(request.url.path, status_code=303)


def confirm_rotation_delete(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/rotations/{rotation_id}/delete: "Delete rotation …?"."""
    try:
        rotation = _rotation(console, request, who)
    except ServiceError as error:
        return _missing(console, request, who, error)
    return console.page(request, who, "rotation_delete.html", rotation=rotation, path=request.url.path)


def delete_rotation(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/rotations/{rotation_id}/delete: DeleteRotation, then the on-call page."""
    try:
        rotation = _rotation(console, request, who)
        console.call(who, CONTACTS, "DeleteRotation", {"RotationId": rotation["RotationArn"]})
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _missing(console, request, who, error)
    return RedirectResponse(f"{PREFIX}/on-call", status_code=303)


# On-call schedules.


def _rotation_names(console: Console, who: SignedIn) -> dict[str, str]:
    try:
        found = oncall_data.every(console, who, "ListRotations", {}, "Rotations")
    except ServiceError:
        return {}
    return {r["RotationArn"]: r["Name"] for r in found}


def _schedule_page(
    console: Console,
    request: Request,
    who: SignedIn,
    fields: ScheduleFields,
    contact: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    names = _rotation_names(console, who)
    arn = contact["ContactArn"] if contact else "*"
    can = {
        "save": who.may(f"{CONTACTS}:{'UpdateContact' if contact else 'CreateContact'}", arn),
        "delete": contact is not None and who.may(f"{CONTACTS}:DeleteContact", arn),
    }
    path = f"{PREFIX}/on-call/schedules/{contact['Alias']}/edit" if contact else f"{PREFIX}/on-call/new-schedule"
    return console.page(
        request,
        who,
        "schedule_form.html",
        status=400 if errors else 200,
        fields=fields,
        contact=contact,
        path=path,
        chosen=[(arn, names.get(arn) or arn.rsplit("/", 1)[-1]) for arn in fields.rotations],
        addable=[(arn, name) for arn, name in names.items() if arn not in fields.rotations],
        errors=errors or FormErrors(),
        can=can,
    )


def new_schedule(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/new-schedule."""
    return _schedule_page(console, request, who, ScheduleFields())


def create_schedule(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/new-schedule: CreateContact of Type ONCALL_SCHEDULE, or the form again."""
    fields = ScheduleFields.parse(form)
    if fields.apply(form.get("action", "save"), form.get("add-rotation", "")):
        return _schedule_page(console, request, who, fields)
    try:
        console.call(who, CONTACTS, "CreateContact", fields.create_params())
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _schedule_page(console, request, who, fields, errors=_errors(error, SCHEDULE_FIELDS))
    return RedirectResponse(f"{PREFIX}/on-call/schedules/{fields.alias}", status_code=303)


def _schedule(console: Console, request: Request, who: SignedIn) -> dict[str, Any]:
    """The on-call schedule the path names (GetContact), or the API's ServiceError."""
    arn = arns.contact(console.settings.region, who.account_id, request.path_params["alias"])
    contact = console.call(who, CONTACTS, "GetContact", {"ContactId": arn})
    if contact.get("Type") != "ONCALL_SCHEDULE":
        raise ServiceError("ResourceNotFoundException", f"{request.path_params['alias']} is not an on-call schedule.")
    return contact


def edit_schedule(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/schedules/{alias}/edit: the form filled from GetContact."""
    try:
        contact = _schedule(console, request, who)
    except ServiceError as error:
        return _missing(console, request, who, error)
    return _schedule_page(console, request, who, ScheduleFields.of_contact(contact), contact)


def update_schedule(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/schedules/{alias}/edit: UpdateContact (display name and rotations), or the form again."""
    try:
        contact = _schedule(console, request, who)
    except ServiceError as error:
        return _missing(console, request, who, error)
    fields = ScheduleFields.parse(form)
    fields.alias = contact["Alias"]
    if fields.apply(form.get("action", "save"), form.get("add-rotation", "")):
        return _schedule_page(console, request, who, fields, contact)
    try:
        console.call(who, CONTACTS, "UpdateContact", fields.update_params(contact["ContactArn"]))
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _schedule_page(console, request, who, fields, contact, _errors(error, SCHEDULE_FIELDS))
    return RedirectResponse(f"{PREFIX}/on-call/schedules/{contact['Alias']}", status_code=303)


def confirm_schedule_delete(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/on-call/schedules/{alias}/delete: "Delete on-call schedule …?"."""
    try:
        contact = _schedule(console, request, who)
    except ServiceError as error:
        return _missing(console, request, who, error)
    return console.page(request, who, "schedule_delete.html", contact=contact, path=request.url.path)


def delete_schedule(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/on-call/schedules/{alias}/delete: DeleteContact, then the on-call page."""
    try:
        contact = _schedule(console, request, who)
        console.call(who, CONTACTS, "DeleteContact", {"ContactId": contact["ContactArn"]})
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return _missing(console, request, who, error)
    return RedirectResponse(f"{PREFIX}/on-call", status_code=303)


def routes(console: Console) -> list[BaseRoute]:
    """The rotation and schedule forms' endpoints."""
    pages = {
        "/on-call/new-rotation": (new_rotation, create_rotation),
        "/on-call/rotations/{rotation_id}": (edit_rotation, update_rotation),
        "/on-call/rotations/{rotation_id}/delete": (confirm_rotation_delete, delete_rotation),
        "/on-call/new-schedule": (new_schedule, create_schedule),
        "/on-call/schedules/{alias}/edit": (edit_schedule, update_schedule),
        "/on-call/schedules/{alias}/delete": (confirm_schedule_delete, delete_schedule),
    }
    found: list[BaseRoute] = [Route("/on-call/preview", writer(console, preview_fragment), methods=["POST"])]
    for path, (show, act) in pages.items():
        found += [
            Route(path, reader(console, show), methods=["GET"]),
            Route(path, writer(console, act), methods=["POST"]),
        ]
    return found
