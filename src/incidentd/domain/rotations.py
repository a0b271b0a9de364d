"""On-call shifts of an ssm-contacts rotation, computed from its recurrence (standard library only).

AWS publishes no algorithm; these are our rules (aws-behaviour §4.5):

* Hand-offs happen at wall-clock times in the rotation's IANA zone: each listed time every day (daily), each listed
  weekday at its time (weekly), each listed day of the month at its time (monthly; a day past the month's end means
  its last day). A 09:00 hand-off stays at 09:00 local time across DST changes. A wall time skipped by a
  spring-forward gap happens at the first instant after the gap; one that occurs twice happens the first time.
  Hand-offs that land on the same instant count as one.
* With H1 < H2 < … the hand-offs strictly after StartTime and m = RecurrenceMultiplier, shift 0 runs from StartTime to
  H(m) and shift k from H(k·m) to H((k+1)·m). Shift k is held by ContactIds[(k·n + i) mod N] for i < min(n, N),
  where n = NumberOfOnCalls and N = the number of contacts. Nothing is on call before StartTime.
* A non-empty ShiftCoverages keeps only the time inside its windows. A window belongs to the weekday it starts on;
  End == Start means 24 hours and an End before Start (00:00 included) runs into the next day. A shift is cut into
  one Shift per covered stretch; windows that touch or overlap form one stretch.
* An override replaces the holders of whatever covered shift time it spans and never adds time; where overrides
  overlap the later one wins. The replaced part is a Shift of its own, typed OVERRIDDEN; pieces of different shifts or
  different overrides are never merged.

shifts and on_call raise ValueError for a recurrence or zone that the checks refuse and for naive datetimes.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MIN_COVERAGE_MINUTES = 30
_KINDS = ("DailySettings", "WeeklySettings", "MonthlySettings")
_DAY_MINUTES = 24 * 60
# Zone changes are found by probing offsets a day apart: no tzdata change from 1900 to 2040 is undone within a day
# (checked against hourly probes), while a week would miss some (Brazil's week of DST in October 2000).
_PROBE = timedelta(days=1)

_Position = tuple[int, int]  # (period, index of the hand-off wall time within that period)


@dataclass(frozen=True)
class Override:
    """Contacts that replace a rotation's holders from start to end."""

    new_contact_ids: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Shift:
    """A stretch of time and who is on call in it; overridden_contact_ids is set exactly when overridden."""

    contact_ids: tuple[str, ...]
    start: datetime
    end: datetime
    overridden_contact_ids: tuple[str, ...] | None = None

    @property
    def type(self) -> str:
        """The RotationShift Type: OVERRIDDEN or REGULAR."""
        return "REGULAR" if self.overridden_contact_ids is None else "OVERRIDDEN"


def check_time_zone(time_zone_id: str) -> str | None:
    """A message when the id is not an IANA zone name (abbreviations like 'PST' are refused), else None."""
    message = f"TimeZoneId {time_zone_id} is not an IANA time zone name such as America/Los_Angeles"
    # Names without an area ('EST', 'PST8PDT', 'GMT0') are legacy designators the service refuses; UTC is its example.
    if time_zone_id != "UTC" and ("/" not in time_zone_id or time_zone_id.startswith(("posix/", "right/"))):
        return message
    try:
        ZoneInfo(time_zone_id)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return message
    return None


def check_recurrence(recurrence: Mapping[str, Any]) -> str | None:
    """An AWS-style message for a recurrence the model accepts but the service must refuse, else None."""
    kinds = [kind for kind in _KINDS if recurrence.get(kind)]
    if len(kinds) != 1:
        return "Exactly one of DailySettings, WeeklySettings or MonthlySettings must be provided"
    for name in ("NumberOfOnCalls", "RecurrenceMultiplier"):
        value = recurrence.get(name)
        if not isinstance(value, int) or value < 1:
            return f"{name} must be a positive integer"
    settings = _settings(kinds[0], recurrence[kinds[0]])
    if len(set(settings)) != len(settings):
        return f"{kinds[0]} must not repeat a hand-off time"
    for day, windows in (recurrence.get("ShiftCoverages") or {}).items():
        if day not in DAYS:
            return f"ShiftCoverages day {day} is not one of {', '.join(DAYS)}"
        for window in windows:
            if "Start" not in window or "End" not in window:
                return "Each coverage time in ShiftCoverages needs a Start and an End"
            start, end = _window(window)
            if end - start < MIN_COVERAGE_MINUTES:
                return f"Coverage times in ShiftCoverages must be at least {MIN_COVERAGE_MINUTES} minutes long"
    return None


def shifts(
    contact_ids: Sequence[str],
    start_time: datetime,
    time_zone_id: str,
    recurrence: Mapping[str, Any],
    overrides: Sequence[Override],
    window_start: datetime,
    window_end: datetime,
) -> list[Shift]:
    """The shifts overlapping [window_start, window_end), in time order, cut to the window."""
    problem = check_recurrence(recurrence) or check_time_zone(time_zone_id)
    if problem:
        raise ValueError(problem)
    zone = ZoneInfo(time_zone_id)
    kind = next(kind for kind in _KINDS if recurrence.get(kind))
    rhythm = _Rhythm(kind, tuple(sorted(set(_settings(kind, recurrence[kind])))))
    start = _utc(start_time)
    low, high = max(_utc(window_start), start), _utc(window_end)
    if not contact_ids or low >= high:
        return []
    handoffs = _Handoffs(zone, rhythm, start)
    pieces = _regular(handoffs, recurrence["RecurrenceMultiplier"], low, high)
    coverage = _coverage(zone, recurrence.get("ShiftCoverages"), low, high)
    if coverage is not None:
        pieces = list(_cut(pieces, coverage))
    wanted = [
        (_utc(o.start), _utc(o.end), tuple(o.new_contact_ids))
        for o in overrides
        if _utc(o.start) < min(_utc(o.end), high) and _utc(o.end) > low
    ]
    on_calls, count = recurrence["NumberOfOnCalls"], len(contact_ids)
    found: list[Shift] = []
    for number, begin, end in pieces:
        holders = tuple(contact_ids[(number * on_calls + i) % count] for i in range(min(on_calls, count)))
        found.extend(_override(holders, begin, end, wanted))
    return found


def on_call(
    contact_ids: Sequence[str],
    start_time: datetime,
    time_zone_id: str,
    recurrence: Mapping[str, Any],
    overrides: Sequence[Override],
    at: datetime,
) -> tuple[str, ...]:
    """Who is on call at one instant: empty outside coverage or before the rotation starts."""
    moment = _utc(at)
    # The shift over a one-microsecond window is the one containing `at`: one code path, so both always agree.
    found = shifts(
        contact_ids, start_time, time_zone_id, recurrence, overrides, moment, moment + timedelta(microseconds=1)
    )
    return found[0].contact_ids if found else ()


def _utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def _minutes(hand_off: Mapping[str, Any]) -> int:
    return int(hand_off["HourOfDay"]) * 60 + int(hand_off["MinuteOfHour"])


def _settings(kind: str, items: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """(day, minute of day) per setting: day 0 for daily, the weekday (MON = 0) or the day of the month."""
    if kind == "DailySettings":
        return [(0, _minutes(item)) for item in items]
    if kind == "WeeklySettings":
        return [(DAYS.index(item["DayOfWeek"]), _minutes(item["HandOffTime"])) for item in items]
    return [(int(item["DayOfMonth"]), _minutes(item["HandOffTime"])) for item in items]


def _window(window: Mapping[str, Any]) -> tuple[int, int]:
    """A coverage window as minutes from the midnight that starts its day; the end may fall on the next day."""
    start, end = _minutes(window["Start"]), _minutes(window["End"])
    return start, end if end > start else end + _DAY_MINUTES


def _wall(day: date, minutes: int) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)


def _resolve(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall time: the first of two, or the end of the gap for one that is skipped."""
    moment = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0 is the earlier of two readings
    if moment.astimezone(zone).replace(tzinfo=None) == wall:
        return moment
    # Inside a gap fold=0 lands after the change and fold=1 before it; tzdata changes fall on whole seconds.
    low, high = int(wall.replace(tzinfo=zone, fold=1).timestamp()), int(moment.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@lru_cache(maxsize=4096)
def _gaps(zone: ZoneInfo, year: int) -> tuple[tuple[datetime, datetime, datetime], ...]:
    """The spring-forward changes of a local year: (instant, first skipped wall time, first wall time after the gap)."""
    offset, wall, found = zone.utcoffset, datetime(year, 1, 1), []
    before = offset(wall)
    # utcoffset of a wall time (fold=0) changes at the first wall time after a gap; probing it is cheap.
    for _ in range((date(year + 1, 1, 1) - date(year, 1, 1)).days):
        probe = wall + _PROBE
        while offset(probe) != before:
            low, high = 0, int((probe - wall).total_seconds())  # tzdata changes fall on whole seconds
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(wall + timedelta(seconds=middle)) == before else (low, middle)
            resumed = wall + timedelta(seconds=high)
            after = offset(resumed)
            if before is not None and after is not None and after > before:
                found.append(((resumed - after).replace(tzinfo=UTC), resumed - (after - before), resumed))
            wall, before = resumed, after
        wall = probe
    return tuple(found)


@dataclass(frozen=True)
class _Rhythm:
    """The hand-off wall times of a recurrence, grouped by consecutive periods: days, weeks or months."""

    kind: str
    settings: tuple[tuple[int, int], ...]  # sorted, distinct

    def period(self, day: date) -> int:
        if self.kind == "DailySettings":
            return day.toordinal()
        if self.kind == "WeeklySettings":
            return (day.toordinal() - 1) // 7  # ordinal 1 is a Monday
        return day.year * 12 + day.month - 1

    def walls(self, period: int) -> list[datetime]:
        """The period's hand-off wall times, in order, each once."""
        if self.kind == "DailySettings":
            return [_wall(date.fromordinal(period), minutes) for _, minutes in self.settings]
        if self.kind == "WeeklySettings":
            monday = period * 7 + 1
            return [_wall(date.fromordinal(monday + day), minutes) for day, minutes in self.settings]
        year, month = divmod(period, 12)
        last = calendar.monthrange(year, month + 1)[1]
        # Clamping to the month's last day can make two settings one (the 30th and the 31st in February).
        return sorted({_wall(date(year, month + 1, min(day, last)), minutes) for day, minutes in self.settings})

    def count(self, first: int, last: int) -> int:
        """How many hand-off wall times the periods first … last-1 have."""
        if self.kind != "MonthlySettings":
            return (last - first) * len(self.settings)
        return sum(len(self.walls(period)) for period in range(first, last))  # ≤ 12 a year: cheap


class _Handoffs:
    """The hand-off instants of a rotation: counted arithmetically from its start, listed lazily."""

    def __init__(self, zone: ZoneInfo, rhythm: _Rhythm, start: datetime) -> None:
        self.zone, self.rhythm, self.start = zone, rhythm, start
        self.first = self._after(start)

    def _position(self, wall: datetime, strict: bool) -> _Position:
        """The first hand-off wall time after (strict) or at `wall`."""
        period = self.rhythm.period(wall.date())
        walls = self.rhythm.walls(period)
        index = (bisect_right if strict else bisect_left)(walls, wall)
        return (period + 1, 0) if index == len(walls) else (period, index)

    def _next(self, position: _Position) -> _Position:
        period, index = position[0], position[1] + 1
        return (period + 1, 0) if index == len(self.rhythm.walls(period)) else (period, index)

    def _instant(self, position: _Position) -> datetime:
        return _resolve(self.rhythm.walls(position[0])[position[1]], self.zone)

    def _between(self, first: _Position, last: _Position) -> int:
        return self.rhythm.count(first[0], last[0]) + last[1] - first[1]

    def _after(self, moment: datetime) -> _Position:
        """The first hand-off wall time whose instant is after `moment`."""
        position = self._position(moment.astimezone(self.zone).replace(tzinfo=None), strict=True)
        # Wall times up to moment's own happen by moment (fold=0 resolves no later than it), but in a repeated hour
        # later wall times can too: step past those.
        while self._instant(position) <= moment:
            position = self._next(position)
        return position

    def index(self, moment: datetime) -> int:
        """How many hand-off instants fall in (start, moment]."""
        merged = 0
        # _gaps works in local years; a year either side of the UTC years covers them.
        for year in range(self.start.year - 1, moment.year + 2):
            for change, skipped, resumed in _gaps(self.zone, year):
                if self.start < change <= moment:
                    # Every wall time from the first skipped one to the one at the change happens at the change.
                    same = self._between(self._position(skipped, strict=False), self._position(resumed, strict=True))
                    merged += max(0, same - 1)
        return self._between(self.first, self._after(moment)) - merged

    def after(self, moment: datetime) -> Iterator[datetime]:
        """The hand-off instants after `moment`, in order, each once."""
        position, last = self._after(moment), moment
        while True:
            instant = self._instant(position)
            if instant > last:
                yield instant
                last = instant
            position = self._next(position)


def _regular(
    handoffs: _Handoffs, multiplier: int, low: datetime, high: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(shift number, start, end) of the shifts in [low, high), low not before the rotation's start."""
    done = handoffs.index(low)
    number, begin, found = done // multiplier, low, []
    for instant in handoffs.after(low):
        if instant >= high:
            break
        done += 1
        if done % multiplier == 0:
            found.append((number, begin, instant))
            number, begin = number + 1, instant
    found.append((number, begin, high))
    return found


def _coverage(
    zone: ZoneInfo, coverages: Mapping[str, Any] | None, low: datetime, high: datetime
) -> list[tuple[datetime, datetime]] | None:
    """The covered stretches within [low, high), in order and disjoint; None when every moment is covered."""
    if not coverages:
        return None
    by_weekday = {DAYS.index(day): [_window(window) for window in windows] for day, windows in coverages.items()}
    # A window can start on the day before `low` (it runs past midnight) but never earlier.
    day, last = low.astimezone(zone).date() - timedelta(days=1), high.astimezone(zone).date()
    stretches = []
    while day <= last:
        for start, end in by_weekday.get(day.weekday(), []):
            begin, finish = max(_resolve(_wall(day, start), zone), low), min(_resolve(_wall(day, end), zone), high)
            if begin < finish:
                stretches.append((begin, finish))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(stretches):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _cut(
    pieces: list[tuple[int, datetime, datetime]], coverage: list[tuple[datetime, datetime]]
) -> Iterator[tuple[int, datetime, datetime]]:
    """The covered parts of each piece, both lists being in time order."""
    first = 0
    for number, begin, end in pieces:
        while first < len(coverage) and coverage[first][1] <= begin:
            first += 1
        for start, finish in islice(coverage, first, None):
            if start >= end:
                break
            yield number, max(begin, start), min(end, finish)


def _override(
    holders: tuple[str, ...],
    begin: datetime,
    end: datetime,
    overrides: list[tuple[datetime, datetime, tuple[str, ...]]],
) -> list[Shift]:
    """One covered shift piece, split where overrides replace its holders; the later override wins."""
    active = [(rank, o) for rank, o in enumerate(overrides) if o[0] < end and o[1] > begin]
    if not active:
        return [Shift(holders, begin, end)]
    cuts = sorted({begin, end, *(max(o[0], begin) for _, o in active), *(min(o[1], end) for _, o in active)})
    parts: list[tuple[int | None, datetime, datetime]] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        owner = max((rank for rank, o in active if o[0] <= left < o[1]), default=None)
        if parts and parts[-1][0] == owner:
            parts[-1] = (owner, parts[-1][1], right)  # the same override (or none) on both sides of a cut
        else:
            parts.append((owner, left, right))
    return [
        Shift(holders, left, right) if owner is None else Shift(overrides[owner][2], left, right, holders)
        for owner, left, right in parts
    ]
