"""calendar_grid: windows in a zone (days of 23 and 25 hours), pieces cut at midnight, and the final schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from incidentd.console import calendar_grid as grid

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600


def at(year: int, month: int, day: int, hour: int = 0, zone: ZoneInfo | None = None) -> float:
    return datetime(year, month, day, hour, tzinfo=zone or UTC).timestamp()


def test_a_month_view_is_whole_weeks_from_monday_and_a_week_view_seven_days() -> None:
    month = grid.window("month", date(2027, 3, 17), BERLIN)
    assert month.days[0] == date(2027, 3, 1) and month.days[-1] == date(2027, 4, 4)  # 1 Mar 2027 is a Monday
    assert len(month.weeks) == 5 and all(len(week) == 7 for week in month.weeks)
    assert (month.previous, month.following, month.title) == (date(2027, 2, 1), date(2027, 4, 1), "March 2027")
    week = grid.window("week", date(2027, 3, 31), BERLIN)
    assert week.days == [date(2027, 3, 29 + n) if n < 3 else date(2027, 4, n - 2) for n in range(7)]
    assert week.start == at(2027, 3, 29, zone=BERLIN) and week.end == at(2027, 4, 5, zone=BERLIN)


def test_days_are_cut_at_local_midnight_so_a_dst_day_has_23_hours() -> None:
    shown = grid.window("week", date(2027, 3, 28), BERLIN)  # 22-28 March; the clocks go forward on Sunday 28
    piece = grid.Piece(shown.start, shown.end, ("a",))
    days = grid.lay_out([piece], shown, BERLIN)
    lengths = [sum(p.end - p.start for p in day.parts) / H for day in days]
    assert lengths == [24, 24, 24, 24, 24, 24, 23]
    assert [len(day.parts) for day in days] == [1] * 7
    assert days[0].parts[0].handoff == "00:00" and all(day.parts[0].continued for day in days[1:])


def test_hand_offs_are_labelled_in_the_shown_zone_and_the_rotation_s_own() -> None:
    shown = grid.window("week", date(2027, 3, 28), ZoneInfo("UTC"))
    nine = [at(2027, 3, d, 9, BERLIN) for d in range(21, 31)]
    pieces = [grid.Piece(a, b, (f"p{n}",)) for n, (a, b) in enumerate(zip(nine, nine[1:], strict=False))]
    days = grid.lay_out(pieces, shown, ZoneInfo("UTC"), BERLIN)
    starts = [next(p for p in day.parts if p.handoff) for day in days]
    assert [p.handoff for p in starts] == ["08:00"] * 6 + ["07:00"]
    assert [p.own_handoff for p in starts] == ["09:00 CET"] * 6 + ["09:00 CEST"]


def test_uncovered_time_is_nobody_and_parts_have_widths_in_half_hours() -> None:
    shown = grid.window("week", date(2027, 1, 4), ZoneInfo("UTC"))
    piece = grid.Piece(at(2027, 1, 4, 9), at(2027, 1, 4, 17), ("a",))
    day = grid.lay_out([piece], shown, ZoneInfo("UTC"))[0]
    assert [(p.piece is None, p.units) for p in day.parts] == [(True, 18), (False, 16), (True, 14)]


def test_the_final_schedule_is_everyone_on_call_with_runs_joined() -> None:
    a = [grid.Piece(0, 10, ("ama",)), grid.Piece(10, 20, ("yaw",))]
    b = [grid.Piece(0, 5, ("kofi",)), grid.Piece(5, 15, ("kofi",), overridden=True), grid.Piece(15, 30, ("efua",))]
    final = grid.final([a, b])
    assert [(p.start, p.end, p.contact_ids, p.overridden) for p in final] == [
        (0, 5, ("ama", "kofi"), False),
        (5, 10, ("ama", "kofi"), True),
        (10, 15, ("yaw", "kofi"), True),
        (15, 20, ("yaw", "efua"), False),
        (20, 30, ("efua",), False),
    ]
    assert grid.now_and_next(final, 12) == (final[2], final[3])
    assert grid.now_and_next(final, 30) == (None, None)


def test_the_same_people_across_a_hand_off_are_one_run() -> None:
    final = grid.final([[grid.Piece(0, 10, ("ama",)), grid.Piece(10, 20, ("ama",))]])
    assert [(p.start, p.end) for p in final] == [(0, 20)]


def test_laying_out_is_linear_in_the_shifts() -> None:
    shown = grid.window("month", date(2027, 3, 1), BERLIN)
    pieces = [
        grid.Piece(shown.start + n * 900, shown.start + (n + 1) * 900, ("a",))
        for n in range(round((shown.end - shown.start) / 900))
    ]
    days = grid.lay_out(pieces, shown, BERLIN)
    assert len(pieces) == 4 * (24 * 35 - 1)  # 28 March has 23 hours in Berlin
    assert sum(len(day.parts) for day in days) == len(pieces)
