"""On-call shifts as people read them: a person's own across every rotation ("My shifts": the console's home, its
own page and the person's calendar feed) and everyone's in one schedule (the schedule's calendar feed).

Everything is read through the API as the person asking (ListRotations, GetContact, ListRotationShifts), so a shift
here is exactly one RotationShift, overrides included. The work is bounded: one ListRotations listing, one
ListRotationShifts listing per rotation concerned, and only when there is something to show the schedules and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from incidentd.console import oncall_data
from incidentd.console.app import Console
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError

DAY_S = 86_400
AHEAD_S = 90 * DAY_S  # "the next 90 days"
# Shifts are listed from a day boundary this far back, so that the shift in force now keeps its real start (and its
# calendar event its UID) instead of starting wherever "now" was; a shift that began even earlier is cut there.
BEHIND_S = 32 * DAY_S
HOME_SHOWN = 3  # shifts the console's home lists before "All my shifts"
MAX_LOOKUPS = 20  # past this many contacts to name, one listing of them all costs less than a GetContact each


@dataclass(frozen=True)
class Shift:
    """One RotationShift with the names people know its rotation, schedules and contacts by."""

    rotation_arn: str
    rotation: str
    time_zone: str
    schedules: tuple[str, ...]
    start: float
    end: float
    contact_ids: tuple[str, ...]
    who: tuple[str, ...]
    override: bool
    covers_for: tuple[str, ...]  # whose shift an override replaced

    @property
    def place(self) -> str:
        """'Primary / Week rotation' (or the rotation alone, when no schedule names it)."""
        return f"{', '.join(self.schedules)} / {self.rotation}" if self.schedules else self.rotation


@dataclass(frozen=True)
class Shifts:
    """What a listing found: the shifts, or why there are none to show."""

    shifts: list[Shift]
    problem: str = ""  # for the person: the API's refusal, an unknown contact


def window(now: float) -> tuple[float, float]:
    """The [start, end) every listing of shifts asks for: day-aligned, so two fetches on one day ask the same."""
    today = now - now % DAY_S
    return today - BEHIND_S, today + AHEAD_S + DAY_S


def key(arn: str) -> tuple[str, str]:
    """An ARN as (account, resource): the same contact or rotation whatever partition or region it is spelled in."""
    parts = arn.split(":", 5)
    return (parts[4], parts[5]) if len(parts) == 6 else ("", arn)


def contact_arn(console: Console, who: SignedIn, alias: str) -> str:
    """The ARN of a contact of the person's account."""
    return arns.contact(console.settings.region, who.account_id, alias)


def of_person(console: Console, who: SignedIn, alias: str, now: float) -> Shifts:
    """The shifts of a contact (by alias) that have not ended, across every rotation of the account it belongs to."""
    person = contact_arn(console, who, alias)
    try:
        console.call(who, oncall_data.CONTACTS, "GetContact", {"ContactId": person})
        rotations = oncall_data.every(console, who, "ListRotations", {}, "Rotations")
    except ServiceError as error:
        if error.code == "ResourceNotFoundException":
            return Shifts([], f"Your user is linked to the contact {alias}, which this account does not have.")
        return Shifts([], error.message)
    mine = [r for r in rotations if key(person) in {key(c) for c in r.get("ContactIds", [])}]
    if not mine:
        return Shifts([])
    try:
        return Shifts(_shifts_of(console, who, mine, _schedules_of_rotations(console, who), now, holder=person))
    except ServiceError as error:
        return Shifts([], error.message)


def of_schedule(console: Console, who: SignedIn, schedule: dict[str, Any], now: float) -> list[Shift]:
    """Every shift that has not ended of every rotation of a schedule (GetContact's answer), in time order."""
    title = str(schedule.get("DisplayName") or schedule["Alias"])
    wanted = [key(arn) for arn in (schedule.get("Plan") or {}).get("RotationIds") or []]
    rotations = {key(r["RotationArn"]): r for r in oncall_data.every(console, who, "ListRotations", {}, "Rotations")}
    chosen = []
    for rotation_key in dict.fromkeys(wanted):  # each rotation once, in the plan's order
        if rotation_key in rotations:
            chosen.append(rotations[rotation_key])
    return _shifts_of(console, who, chosen, {key(r["RotationArn"]): (title,) for r in chosen}, now)


def _schedules_of_rotations(console: Console, who: SignedIn) -> dict[tuple[str, str], tuple[str, ...]]:
    """Each rotation's schedules' names."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for schedule in oncall_data.schedules(console, who):
        for rotation_key in dict.fromkeys(key(arn) for arn in schedule.rotation_ids):
            found[rotation_key] = (*found.get(rotation_key, ()), schedule.title)
    return found


def _shifts_of(
    console: Console,
    who: SignedIn,
    rotations: list[dict[str, Any]],
    schedules: dict[tuple[str, str], tuple[str, ...]],
    now: float,
    holder: str | None = None,
) -> list[Shift]:
    """The shifts of some rotations that end after now (of one contact's only, when holder is its ARN), in time
    order, with their names."""
    start, end = window(now)
    listed = []
    for rotation in rotations:
        shifts = oncall_data.shifts(console, who, rotation["RotationArn"], start, end)
        shifts = [s for s in shifts if oncall_data.seconds(s["EndTime"]) > now]
        if holder is not None:
            shifts = [s for s in shifts if key(holder) in {key(arn) for arn in s.get("ContactIds", [])}]
        listed.append((rotation, shifts))
    if not any(shifts for _, shifts in listed):
        return []
    names = _names(console, who, {arn for _, shifts in listed for s in shifts for arn in _people(s)})

    def name(arn: str) -> str:
        return names.get(key(arn), arn.rsplit("/", 1)[-1])

    found: list[Shift] = []
    for rotation, shifts in listed:
        for shift in shifts:
            covered = (shift.get("ShiftDetails") or {}).get("OverriddenContactIds") or []
            found.append(
                Shift(
                    rotation_arn=rotation["RotationArn"],
                    rotation=rotation["Name"],
                    time_zone=rotation.get("TimeZoneId", ""),
                    schedules=schedules.get(key(rotation["RotationArn"]), ()),
                    start=oncall_data.seconds(shift["StartTime"]),
                    end=oncall_data.seconds(shift["EndTime"]),
                    contact_ids=tuple(shift.get("ContactIds", [])),
                    who=tuple(name(arn) for arn in shift.get("ContactIds", [])),
                    override=shift.get("Type") == "OVERRIDDEN",
                    covers_for=tuple(name(arn) for arn in covered),
                )
            )
    return sorted(found, key=lambda s: (s.start, s.place, s.end))


def _people(shift: dict[str, Any]) -> list[str]:
    """The contacts a RotationShift names: who is on call, and whom an override replaced."""
    return [*shift.get("ContactIds", []), *((shift.get("ShiftDetails") or {}).get("OverriddenContactIds") or [])]


def _names(console: Console, who: SignedIn, contacts: set[str]) -> dict[tuple[str, str], str]:
    """The names of some contacts: GetContact each when they are few, else one listing of the account's contacts."""
    if len(contacts) > MAX_LOOKUPS:
        return {key(arn): name for arn, name in oncall_data.names(oncall_data.contacts(console, who)).items()}
    found = {}
    for arn in contacts:
        try:
            contact = console.call(who, oncall_data.CONTACTS, "GetContact", {"ContactId": arn})
        except ServiceError:
            continue  # a contact deleted since: its alias (from the ARN) will do
        found[key(arn)] = str(contact.get("DisplayName") or contact["Alias"])
    return found


def panel(console: Console, who: SignedIn) -> dict[str, Any]:
    """What the home's "My shifts" shows: the first few shifts, how many more, or how to link a contact."""
    if not who.contact_alias:
        return {"linked": False}
    found = of_person(console, who, who.contact_alias, console.clock.now_ms() / 1000)
    return {
        "linked": True,
        "alias": who.contact_alias,
        "shifts": found.shifts[:HOME_SHOWN],
        "more": max(0, len(found.shifts) - HOME_SHOWN),
        "problem": found.problem,
    }


def page(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/my-shifts: every shift of the person's in the next 90 days."""
    now = console.clock.now_ms() / 1000
    found = of_person(console, who, who.contact_alias, now) if who.contact_alias else Shifts([])
    return console.page(
        request,
        who,
        "my_shifts.html",
        linked=bool(who.contact_alias),
        alias=who.contact_alias or "",
        shifts=found.shifts,
        problem=found.problem,
    )
