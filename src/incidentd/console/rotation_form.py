"""The rotation and schedule forms' fields as posted, and the ssm-contacts parameters they stand for (pure code).

Values go to the API as typed, so that its own validation judges them: a number field that holds no number is sent
as its text and refused with AWS's message, never rejected here with a message of our own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
KINDS = {"daily": "DailySettings", "weekly": "WeeklySettings", "monthly": "MonthlySettings"}
MAX_MEMBERS = 30  # the model's RotationContactsArnList
MAX_HANDOFFS = 7  # one a weekday; a form's fields stay well under the console's 100
MAX_ROTATIONS = 8  # an on-call schedule's rotations (the user guide)
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> posts
_MOVE = re.compile(r"^(up|down|remove|remove-handoff)-(\d+)$")

# Which form field an API message is about, by the first of these words it contains (most specific first).
_FIELD_WORDS = (
    ("ShiftCoverages", "coverage"),
    ("NumberOfOnCalls", "on_calls"),
    ("RecurrenceMultiplier", "shift_length"),
    ("Settings", "handoffs"),
    ("HandOffTime", "handoffs"),
    ("HourOfDay", "handoffs"),
    ("MinuteOfHour", "handoffs"),
    ("DayOf", "handoffs"),
    ("hand-off", "handoffs"),
    ("TimeZoneId", "time_zone"),
    ("StartTime", "start"),
    ("ContactIds", "members"),
    ("Members", "members"),
    ("contact", "members"),
    ("Contact", "members"),
    ("'Name'", "name"),
    ("RotationIds", "rotations"),
    ("rotation", "rotations"),
    ("'Alias'", "alias"),
    ("alias", "alias"),
    ("DisplayName", "display_name"),
)


def field_of(message: str, fields: tuple[str, ...]) -> str | None:
    """The form field (of those the form has) an API message is about, or None for the form as a whole."""
    for word, name in _FIELD_WORDS:
        if word in message and name in fields:
            return name
    return None


def number(text: str) -> int | str:
    """An integer field's value: the integer, or the text as typed (for the API to refuse)."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def hand_off_time(text: str) -> dict[str, int | str]:
    """'09:30' as a HandOffTime; parts that are not numbers go as typed."""
    hour, _, minute = text.strip().partition(":")
    return {"HourOfDay": number(hour), "MinuteOfHour": number(minute)}


def clock_text(hand_off: dict[str, Any]) -> str:
    """A HandOffTime as '09:30'."""
    return f"{int(hand_off['HourOfDay']):02d}:{int(hand_off['MinuteOfHour']):02d}"


def zone_of(name: str) -> ZoneInfo:
    """The zone named, or UTC when it is no zone (the API then refuses the name itself)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def moves(items: list[str], action: str) -> bool:
    """Apply an 'up-N', 'down-N' or 'remove-N' action to an ordered list; whether it was one."""
    found = _MOVE.match(action)
    if not found or found.group(1) == "remove-handoff":
        return False
    verb, index = found.group(1), int(found.group(2))
    if index >= len(items):
        return True
    if verb == "remove":
        del items[index]
    elif verb == "up" and index > 0:
        items[index - 1], items[index] = items[index], items[index - 1]
    elif verb == "down" and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]
    return True


def ordered(form: dict[str, str], prefix: str, limit: int) -> list[str]:
    """The values of numbered fields prefix-0, prefix-1, … in order, blanks and repeats left out."""
    found: list[str] = []
    for index in range(limit):
        value = form.get(f"{prefix}-{index}", "").strip()
        if value and value not in found:
            found.append(value)
    return found


@dataclass
class HandOff:
    """One hand-off: a time, and the weekday (weekly) or day of the month (monthly) it happens on."""

    time: str = "09:00"
    weekday: str = "MON"
    monthday: str = "1"


@dataclass
class RotationFields:
    """What the rotation form holds, as text (the way it is posted and shown again)."""

    name: str = ""
    members: list[str] = field(default_factory=list)  # contact ARNs, in shift order
    start: str = ""  # datetime-local in time_zone; blank means "now" on create
    time_zone: str = "UTC"
    kind: str = "weekly"
    hand_offs: list[HandOff] = field(default_factory=lambda: [HandOff()])
    shift_length: str = "1"
    on_calls: str = "1"
    coverage: dict[str, tuple[str, str]] = field(default_factory=dict)  # weekday -> (start, end) as 'HH:MM'

    @classmethod
    def parse(cls, form: dict[str, str]) -> RotationFields:
        """The fields of a posted form."""
        count = number(form.get("handoff-count", "1"))
        hand_offs = [
            HandOff(
                form.get(f"handoff-{i}-time", "").strip(),
                form.get(f"handoff-{i}-weekday", "MON"),
                form.get(f"handoff-{i}-monthday", "1").strip(),
            )
            for i in range(max(1, min(count, MAX_HANDOFFS)) if isinstance(count, int) else 1)
        ]
        coverage = {}
        for day in DAYS:
            start, end = form.get(f"cover-{day}-start", "").strip(), form.get(f"cover-{day}-end", "").strip()
            if start or end:
                coverage[day] = (start, end)
        kind = form.get("kind", "weekly")
        return cls(
            name=form.get("name", "").strip(),
            members=ordered(form, "member", MAX_MEMBERS),
            start=form.get("start", "").strip(),
            time_zone=form.get("time_zone", "UTC").strip(),
            kind=kind if kind in KINDS else "weekly",
            hand_offs=hand_offs,
            shift_length=form.get("shift_length", "").strip(),
            on_calls=form.get("on_calls", "").strip(),
            coverage=coverage,
        )

    @classmethod
    def of_rotation(cls, rotation: dict[str, Any], start_seconds: float) -> RotationFields:
        """The fields showing a stored rotation (GetRotation's answer; its StartTime in epoch seconds)."""
        recurrence = rotation["Recurrence"]
        zone = zone_of(rotation["TimeZoneId"])
        if recurrence.get("DailySettings"):
            kind, hand_offs = "daily", [HandOff(clock_text(t)) for t in recurrence["DailySettings"]]
        elif recurrence.get("WeeklySettings"):
            kind = "weekly"
            hand_offs = [HandOff(clock_text(s["HandOffTime"]), s["DayOfWeek"]) for s in recurrence["WeeklySettings"]]
        else:
            kind = "monthly"
            hand_offs = [
                HandOff(clock_text(s["HandOffTime"]), monthday=str(s["DayOfMonth"]))
                for s in recurrence.get("MonthlySettings") or []
            ]
        coverage = {
            day: (clock_text(windows[0]["Start"]), clock_text(windows[0]["End"]))
            for day, windows in (recurrence.get("ShiftCoverages") or {}).items()
            if windows
        }
        return cls(
            name=rotation["Name"],
            members=list(rotation["ContactIds"]),
            start=datetime.fromtimestamp(start_seconds, zone).strftime(LOCAL_MINUTE),
            time_zone=rotation["TimeZoneId"],
            kind=kind,
            hand_offs=hand_offs or [HandOff()],
            shift_length=str(recurrence["RecurrenceMultiplier"]),
            on_calls=str(recurrence["NumberOfOnCalls"]),
            coverage=coverage,
        )

    def apply(self, action: str, added: str = "") -> bool:
        """Apply a button that edits the form itself (move, add, remove); whether `action` was one."""
        if action == "add-member":
            if added and added not in self.members and len(self.members) < MAX_MEMBERS:
                self.members.append(added)
            return True
        if action == "add-handoff":
            if len(self.hand_offs) < MAX_HANDOFFS:
                self.hand_offs.append(HandOff())
            return True
        if action.startswith("remove-handoff-"):
            index = number(action.rsplit("-", 1)[1])
            if isinstance(index, int) and 0 <= index < len(self.hand_offs) and len(self.hand_offs) > 1:
                del self.hand_offs[index]
            return True
        return moves(self.members, action)

    def recurrence(self) -> dict[str, Any]:
        """The RecurrenceSettings the form describes."""
        if self.kind == "daily":
            settings: list[dict[str, Any]] = [hand_off_time(h.time) for h in self.hand_offs]
        elif self.kind == "weekly":
            settings = [{"DayOfWeek": h.weekday, "HandOffTime": hand_off_time(h.time)} for h in self.hand_offs]
        else:
            settings = [
                {"DayOfMonth": number(h.monthday), "HandOffTime": hand_off_time(h.time)} for h in self.hand_offs
            ]
        recurrence: dict[str, Any] = {
            KINDS[self.kind]: settings,
            "NumberOfOnCalls": number(self.on_calls),
            "RecurrenceMultiplier": number(self.shift_length),
        }
        if self.coverage:
            recurrence["ShiftCoverages"] = {
                day: [{"Start": hand_off_time(start), "End": hand_off_time(end)}]
                for day, (start, end) in self.coverage.items()
            }
        return recurrence

    def start_seconds(self) -> float | str | None:
        """The start as epoch seconds (the wall time read in the rotation's zone), the text as typed when it is no
        date and time, or None when blank."""
        if not self.start:
            return None
        try:
            wall = datetime.strptime(self.start[:16], LOCAL_MINUTE)
        except ValueError:
            return self.start
        # fold=0: a wall time that happens twice (clocks going back) means its first occurrence, as hand-offs do.
        return wall.replace(tzinfo=zone_of(self.time_zone)).astimezone(UTC).timestamp()

    def create_params(self) -> dict[str, Any]:
        """CreateRotation's parameters."""
        params: dict[str, Any] = {
            "Name": self.name,
            "ContactIds": self.members,
            "TimeZoneId": self.time_zone,
            "Recurrence": self.recurrence(),
        }
        start = self.start_seconds()
        if start is not None:
            params["StartTime"] = start
        return params

    def update_params(self, rotation_arn: str) -> dict[str, Any]:
        """UpdateRotation's parameters: everything but the name, which never changes."""
        params = {"RotationId": rotation_arn, **self.create_params()}
        del params["Name"]
        return params

    def preview_params(self, member_names: list[str], window_start: float, window_end: float) -> dict[str, Any]:
        """ListPreviewRotationShifts' parameters for the members' names over [window_start, window_end)."""
        params: dict[str, Any] = {
            "Members": member_names,
            "TimeZoneId": self.time_zone,
            "Recurrence": self.recurrence(),
            "StartTime": window_start,
            "EndTime": window_end,
            "MaxResults": 1024,
        }
        start = self.start_seconds()
        if start is not None:
            params["RotationStartTime"] = start
        return params


@dataclass
class ScheduleFields:
    """What the on-call schedule form holds: its alias, display name and rotations (ARNs) in order."""

    alias: str = ""
    display_name: str = ""
    rotations: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, form: dict[str, str]) -> ScheduleFields:
        """The fields of a posted form."""
        return cls(
            alias=form.get("alias", "").strip(),
            display_name=form.get("display_name", "").strip(),
            rotations=ordered(form, "rotation", MAX_ROTATIONS + 1),  # one more, for the API to refuse
        )

    @classmethod
    def of_contact(cls, contact: dict[str, Any]) -> ScheduleFields:
        """The fields showing a stored schedule (GetContact's answer)."""
        plan = contact.get("Plan") or {}
        return cls(contact["Alias"], contact.get("DisplayName", ""), list(plan.get("RotationIds") or []))

    def apply(self, action: str, added: str = "") -> bool:
        """Apply a button that edits the form itself; whether `action` was one."""
        if action == "add-rotation":
            if added and added not in self.rotations and len(self.rotations) <= MAX_ROTATIONS:
                self.rotations.append(added)
            return True
        return moves(self.rotations, action)

    def plan(self) -> dict[str, Any]:
        """The schedule's Plan: no stages, its rotations."""
        return {"Stages": [], "RotationIds": self.rotations}

    def create_params(self) -> dict[str, Any]:
        """CreateContact's parameters."""
        params: dict[str, Any] = {"Alias": self.alias, "Type": "ONCALL_SCHEDULE", "Plan": self.plan()}
        if self.display_name:
            params["DisplayName"] = self.display_name
        return params

    def update_params(self, contact_arn: str) -> dict[str, Any]:
        """UpdateContact's parameters (the alias never changes)."""
        return {"ContactId": contact_arn, "DisplayName": self.display_name, "Plan": self.plan()}
