"""A schedule's calendar laid out for a template: days in a zone, shifts cut at midnight, the final schedule.

Pure functions, no I/O. Every time is epoch seconds; days start at midnight in the zone the page shows, so a day is
23 or 25 hours long on the days daylight saving starts or ends. Laying out is one walk over shifts and days together
(O(shifts + days)), since both come in time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

VIEWS = ("week", "month")
UNIT_S = 30 * 60  # a part's width is counted in half hours (oncall.css has a class per count)
MAX_UNITS = 50  # a 25-hour day


@dataclass(frozen=True)
class Piece:
    """Who is on call from start to end; overridden when an override put them there (then `replaced` were)."""

    start: float
    end: float
    contact_ids: tuple[str, ...]
    overridden: bool = False
    replaced: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """The days a view shows, in weeks of seven from Monday, and the instants it spans."""

    view: str
    anchor: date
    days: list[date]
    start: float
    end: float
    previous: date
    following: date
    title: str

    @property
    def weeks(self) -> list[list[date]]:
        """The days, seven at a time."""
        return [self.days[i : i + 7] for i in range(0, len(self.days), 7)]


@dataclass
class Part:
    """A piece as one day's cell shows it: clipped to the day, its width in half hours, its hand-off if it has one."""

    piece: Piece | None  # None: nobody is on call
    start: float
    end: float
    units: int
    handoff: str = ""  # the wall-clock time of the hand-off in the shown zone, when the piece starts this day
    own_handoff: str = ""  # the same instant in the rotation's own zone, with its abbreviation
    continued: bool = False  # the piece began on an earlier day


@dataclass
class Day:
    """One cell: a day and its parts, in time order."""

    day: date
    parts: list[Part] = field(default_factory=list)


def midnight(day: date, zone: ZoneInfo) -> float:
    """The first instant of a day in a zone (where midnight is skipped, the first instant after the gap)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def window(view: str, anchor: date, zone: ZoneInfo) -> Window:
    """The week (Monday to Sunday) or the month (its whole weeks) around a date, in a zone."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
        title = f"Week of {first.strftime('%-d %B %Y')}"
    else:
        month_start = anchor.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        first = month_start - timedelta(days=month_start.weekday())
        month_end = next_month - timedelta(days=1)
        last = month_end + timedelta(days=6 - month_end.weekday())
        previous, following = (month_start - timedelta(days=1)).replace(day=1), next_month
        title = month_start.strftime("%B %Y")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return Window(
        view, anchor, days, midnight(first, zone), midnight(last + timedelta(days=1), zone), previous, following, title
    )


def clock(seconds: float, zone: ZoneInfo) -> str:
    """An instant's wall-clock time in a zone: '09:00'."""
    return datetime.fromtimestamp(seconds, zone).strftime("%H:%M")


def lay_out(pieces: list[Piece], shown: Window, zone: ZoneInfo, own_zone: ZoneInfo | None = None) -> list[Day]:
    """Each day of the window with the pieces (time-ordered, not overlapping) that fall in it, gaps as nobody."""
    bounds = [midnight(day, zone) for day in shown.days] + [shown.end]
    cells = [Day(day) for day in shown.days]
    index = 0
    for piece in pieces:
        if piece.end <= shown.start or piece.start >= shown.end:
            continue
        while bounds[index + 1] <= piece.start:
            index += 1
        at = index
        while at < len(cells) and bounds[at] < piece.end:
            start, end = max(piece.start, bounds[at]), min(piece.end, bounds[at + 1])
            part = Part(piece, start, end, _units(end - start), continued=piece.start < bounds[at])
            if not part.continued:
                part.handoff = clock(piece.start, zone)
                if own_zone is not None:
                    moment = datetime.fromtimestamp(piece.start, own_zone)
                    part.own_handoff = f"{moment.strftime('%H:%M')} {moment.tzname()}"
            _append(cells[at], part, bounds[at])
            at += 1
    for at, cell in enumerate(cells):
        _close(cell, bounds[at], bounds[at + 1])
    return cells


def _units(seconds: float) -> int:
    return max(1, min(MAX_UNITS, round(seconds / UNIT_S)))


def _append(cell: Day, part: Part, day_start: float) -> None:
    """Add a part to a day, with a 'nobody' part before it if time was left uncovered."""
    previous_end = cell.parts[-1].end if cell.parts else day_start
    if part.start > previous_end:
        cell.parts.append(Part(None, previous_end, part.start, _units(part.start - previous_end)))
    cell.parts.append(part)


def _close(cell: Day, day_start: float, day_end: float) -> None:
    """End a day with 'nobody' when its last part stops before midnight (or it has none)."""
    start = cell.parts[-1].end if cell.parts else day_start
    if start < day_end:
        cell.parts.append(Part(None, start, day_end, _units(day_end - start)))


def final(rotations: list[list[Piece]]) -> list[Piece]:
    """Who is on call across every rotation, after overrides: the union of the holders at each instant, with runs
    of the same people joined; a piece is overridden when an override put someone in it (and then joins only
    overridden pieces, so that an override stays visible)."""
    events: list[tuple[float, int, int, Piece]] = []  # (time, 0 = end before 1 = start, rotation, piece)
    for number, pieces in enumerate(rotations):
        for piece in pieces:
            events.append((piece.start, 1, number, piece))
            events.append((piece.end, 0, number, piece))
    events.sort(key=lambda event: (event[0], event[1]))
    merged: list[Piece] = []
    active: dict[int, Piece] = {}
    position = 0
    while position < len(events):
        moment = events[position][0]
        while position < len(events) and events[position][0] == moment:
            _, kind, number, piece = events[position]
            if kind == 1:
                active[number] = piece
            elif active.get(number) is piece:
                del active[number]
            position += 1
        if position >= len(events):
            break
        following = events[position][0]
        if not active:
            continue
        holders = tuple(dict.fromkeys(c for n in sorted(active) for c in active[n].contact_ids))
        overridden = any(p.overridden for p in active.values())
        last = merged[-1] if merged else None
        if last and last.end == moment and (last.contact_ids, last.overridden) == (holders, overridden):
            merged[-1] = Piece(last.start, following, holders, overridden)
        else:
            merged.append(Piece(moment, following, holders, overridden))
    return merged


def now_and_next(pieces: list[Piece], now: float) -> tuple[Piece | None, Piece | None]:
    """The piece in force at `now` and the first that starts after it, from time-ordered pieces."""
    current = next((p for p in pieces if p.start <= now < p.end), None)
    coming = next((p for p in pieces if p.start > now), None)
    return current, coming
