"""Rotation shifts: worked examples (DST, recurrence kinds, coverage, overrides) and properties against brute force."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentd.domain.rotations import Override, Shift, check_recurrence, check_time_zone, on_call, shifts

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
LA, NY = "America/Los_Angeles", "America/New_York"
HOUR = timedelta(hours=1)


def hm(hour: int, minute: int = 0) -> dict[str, int]:
    return {"HourOfDay": hour, "MinuteOfHour": minute}


def recurrence(kind: str, settings: list[Any], on_calls: int = 1, multiplier: int = 1, **extra: Any) -> dict[str, Any]:
    return {kind: settings, "NumberOfOnCalls": on_calls, "RecurrenceMultiplier": multiplier, **extra}


def daily(*times: tuple[int, int], **options: Any) -> dict[str, Any]:
    return recurrence("DailySettings", [hm(*t) for t in times], **options)


def weekly(*settings: tuple[str, int, int], **options: Any) -> dict[str, Any]:
    return recurrence("WeeklySettings", [{"DayOfWeek": d, "HandOffTime": hm(h, m)} for d, h, m in settings], **options)


def monthly(*settings: tuple[int, int, int], **options: Any) -> dict[str, Any]:
    return recurrence(
        "MonthlySettings", [{"DayOfMonth": d, "HandOffTime": hm(h, m)} for d, h, m in settings], **options
    )


def window(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {"Start": hm(*start), "End": hm(*end)}


def at(zone: str, *parts: int) -> datetime:
    """A wall time in a zone (the first one where it occurs twice)."""
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def wall(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def table(found: list[Shift], zone: str) -> list[tuple[tuple[str, ...], datetime, datetime]]:
    """Holders and local wall times of each shift: what the examples below spell out."""
    return [(s.contact_ids, wall(s.start, zone), wall(s.end, zone)) for s in found]


# --- daily hand-offs and daylight-saving time ------------------------------------------------------------------------


@pytest.mark.parametrize(("first_day", "change_day"), [(date(2024, 3, 8), 23), (date(2024, 11, 1), 25)])
def test_a_daily_nine_oclock_hand_off_stays_at_nine_across_dst(first_day: date, change_day: int) -> None:
    def nine(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 9)

    low = nine(first_day).replace(tzinfo=ZoneInfo(LA))
    found = shifts(["a", "b", "c"], at(LA, 2024, 3, 1, 9), LA, daily((9, 0)), [], low, low + timedelta(days=4))
    days = [first_day + timedelta(days=i) for i in range(5)]
    assert table(found, LA) == [
        ((("a", "b", "c")[(day - date(2024, 3, 1)).days % 3],), nine(day), nine(following))
        for day, following in zip(days, days[1:], strict=False)
    ]
    # The day of the change (Mar 9 to 10, Nov 2 to 3) lasts 23 h or 25 h, every other day 24 h.
    assert [(s.end - s.start) / HOUR for s in found] == [24, change_day, 24, 24]
    assert all(s.type == "REGULAR" and s.overridden_contact_ids is None for s in found)


def test_a_daily_nine_oclock_rotation_in_march_spelled_out() -> None:
    found = shifts(
        ["a", "b", "c"], at(LA, 2024, 3, 1, 9), LA, daily((9, 0)), [], at(LA, 2024, 3, 8), at(LA, 2024, 3, 12)
    )
    assert table(found, LA) == [
        (("a",), datetime(2024, 3, 8), datetime(2024, 3, 8, 9)),  # shift 6 began Mar 7
        (("b",), datetime(2024, 3, 8, 9), datetime(2024, 3, 9, 9)),
        (("c",), datetime(2024, 3, 9, 9), datetime(2024, 3, 10, 9)),
        (("a",), datetime(2024, 3, 10, 9), datetime(2024, 3, 11, 9)),
        (("b",), datetime(2024, 3, 11, 9), datetime(2024, 3, 12)),
    ]
    assert found[2].end - found[2].start == timedelta(hours=23)


def test_a_hand_off_skipped_by_spring_forward_happens_when_the_gap_ends() -> None:
    found = shifts(["a", "b"], at(NY, 2024, 3, 8, 2, 30), NY, daily((2, 30)), [], utc(2024, 3, 9), utc(2024, 3, 12))
    # 02:30 does not exist on Mar 10 in New York: the hand-off is at 03:00 EDT (07:00 UTC).
    assert [s.start for s in found[1:]] == [utc(2024, 3, 9, 7, 30), utc(2024, 3, 10, 7), utc(2024, 3, 11, 6, 30)]
    assert [s.contact_ids for s in found] == [("a",), ("b",), ("a",), ("b",)]


def test_a_hand_off_in_the_repeated_hour_happens_the_first_time() -> None:
    found = shifts(["a", "b"], at(NY, 2024, 11, 1, 1, 30), NY, daily((1, 30)), [], utc(2024, 11, 3), utc(2024, 11, 4))
    assert [s.start for s in found] == [utc(2024, 11, 3), utc(2024, 11, 3, 5, 30)]  # 01:30 EDT, not 01:30 EST
    # At 01:15 EST the wall clock has not reached 01:30 again, but the hand-off of 01:30 EDT is past.
    second_pass = utc(2024, 11, 3, 6, 15)
    assert on_call(["a", "b"], at(NY, 2024, 11, 1, 1, 30), NY, daily((1, 30)), [], second_pass) == ("a",)
    found = shifts(["a", "b"], at(NY, 2024, 11, 1, 1, 30), NY, daily((1, 30)), [], second_pass, utc(2024, 11, 3, 7))
    assert found == [Shift(("a",), second_pass, utc(2024, 11, 3, 7))]


def test_hand_offs_that_land_on_one_instant_are_one_hand_off() -> None:
    # 02:30 and 03:00 both happen at 03:00 EDT on Mar 10: one hand-off, so nobody's turn is skipped.
    found = shifts(
        list("abcdefg"), at(NY, 2024, 3, 9), NY, daily((2, 30), (3, 0)), [], at(NY, 2024, 3, 9), at(NY, 2024, 3, 12)
    )
    assert table(found, NY) == [
        (("a",), datetime(2024, 3, 9), datetime(2024, 3, 9, 2, 30)),
        (("b",), datetime(2024, 3, 9, 2, 30), datetime(2024, 3, 9, 3)),
        (("c",), datetime(2024, 3, 9, 3), datetime(2024, 3, 10, 3)),
        (("d",), datetime(2024, 3, 10, 3), datetime(2024, 3, 11, 2, 30)),
        (("e",), datetime(2024, 3, 11, 2, 30), datetime(2024, 3, 11, 3)),
        (("f",), datetime(2024, 3, 11, 3), datetime(2024, 3, 12)),
    ]
    # Counting from the start without listing (a window after the change) agrees.
    assert on_call(list("abcdefg"), at(NY, 2024, 3, 9), NY, daily((2, 30), (3, 0)), [], at(NY, 2024, 3, 11, 2, 45)) == (
        "e",
    )
    # By Jul 1 02:45: 2 hand-offs on Mar 9, 1 on Mar 10, 2 a day from Mar 11 to Jun 30 (112 days), 1 on Jul 1.
    holders = on_call(list("abcdefg"), at(NY, 2024, 3, 9), NY, daily((2, 30), (3, 0)), [], at(NY, 2024, 7, 1, 2, 45))
    assert holders == ("abcdefg"[(2 + 1 + 2 * 112 + 1) % 7],)


def test_a_skipped_day_moves_its_hand_off_to_the_next_day() -> None:
    # Samoa skipped 30 December 2011: the 09:00 hand-off of that day happened at 00:00 on the 31st.
    apia = "Pacific/Apia"
    found = shifts(
        list("abcde"), at(apia, 2011, 12, 27), apia, daily((9, 0)), [], at(apia, 2011, 12, 29), at(apia, 2012, 1, 1)
    )
    assert table(found, apia) == [
        (("c",), datetime(2011, 12, 29), datetime(2011, 12, 29, 9)),
        (("d",), datetime(2011, 12, 29, 9), datetime(2011, 12, 31)),
        (("e",), datetime(2011, 12, 31), datetime(2011, 12, 31, 9)),
        (("a",), datetime(2011, 12, 31, 9), datetime(2012, 1, 1)),
    ]
    # At midnight both the 30th's (skipped) and the 31st's hand-off fall on one instant.
    found = shifts(
        list("abcde"), at(apia, 2011, 12, 27), apia, daily((0, 0)), [], at(apia, 2011, 12, 29), at(apia, 2012, 1, 2)
    )
    assert table(found, apia) == [
        (("c",), datetime(2011, 12, 29), datetime(2011, 12, 31)),
        (("d",), datetime(2011, 12, 31), datetime(2012, 1, 1)),
        (("e",), datetime(2012, 1, 1), datetime(2012, 1, 2)),
    ]


# --- weekly, monthly, multipliers, several on call --------------------------------------------------------------------


def test_weekly_with_two_settings_alternates_between_them() -> None:
    sydney = "Australia/Sydney"
    rule = weekly(("WED", 4, 25), ("FRI", 15, 57))
    found = shifts(
        ["a", "b"], at(sydney, 2024, 1, 1), sydney, rule, [], at(sydney, 2024, 1, 1), at(sydney, 2024, 1, 15)
    )
    assert table(found, sydney) == [
        (("a",), datetime(2024, 1, 1), datetime(2024, 1, 3, 4, 25)),
        (("b",), datetime(2024, 1, 3, 4, 25), datetime(2024, 1, 5, 15, 57)),
        (("a",), datetime(2024, 1, 5, 15, 57), datetime(2024, 1, 10, 4, 25)),
        (("b",), datetime(2024, 1, 10, 4, 25), datetime(2024, 1, 12, 15, 57)),
        (("a",), datetime(2024, 1, 12, 15, 57), datetime(2024, 1, 15)),
    ]


def test_a_sunday_hand_off_is_found_from_earlier_that_sunday() -> None:
    rule = weekly(("SUN", 18, 0), ("WED", 6, 0))
    found = shifts(["a", "b"], utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 14, 12), utc(2024, 1, 15))
    assert table(found, "UTC") == [
        (("b",), datetime(2024, 1, 14, 12), datetime(2024, 1, 14, 18)),  # shift 3: after Jan 3, 7 and 10
        (("a",), datetime(2024, 1, 14, 18), datetime(2024, 1, 15)),
    ]
    assert on_call(["a", "b"], utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 14, 19)) == ("a",)


def test_monthly_on_the_31st_hands_off_on_the_last_day_of_shorter_months() -> None:
    london = "Europe/London"
    found = shifts(
        ["a", "b"], at(london, 2023, 1, 15), london, monthly((31, 10, 0)), [], utc(2023, 1, 1), utc(2023, 5, 1)
    )
    assert [wall(s.end, london) for s in found[:-1]] == [
        datetime(2023, 1, 31, 10),
        datetime(2023, 2, 28, 10),
        datetime(2023, 3, 31, 10),
        datetime(2023, 4, 30, 10),
    ]
    leap = shifts(["a"], at(london, 2024, 2, 1), london, monthly((31, 10, 0)), [], utc(2024, 2, 1), utc(2024, 3, 5))
    assert wall(leap[0].end, london) == datetime(2024, 2, 29, 10)


def test_monthly_settings_that_clamp_to_the_same_day_and_time_are_one_hand_off() -> None:
    rule = monthly((30, 10, 0), (31, 10, 0))
    found = shifts(list("abcde"), utc(2023, 2, 1), "UTC", rule, [], utc(2023, 2, 1), utc(2023, 6, 1))
    assert table(found, "UTC") == [
        (("a",), datetime(2023, 2, 1), datetime(2023, 2, 28, 10)),
        (("b",), datetime(2023, 2, 28, 10), datetime(2023, 3, 30, 10)),
        (("c",), datetime(2023, 3, 30, 10), datetime(2023, 3, 31, 10)),
        (("d",), datetime(2023, 3, 31, 10), datetime(2023, 4, 30, 10)),
        (("e",), datetime(2023, 4, 30, 10), datetime(2023, 5, 30, 10)),
        (("a",), datetime(2023, 5, 30, 10), datetime(2023, 5, 31, 10)),
        (("b",), datetime(2023, 5, 31, 10), datetime(2023, 6, 1)),
    ]
    # Counting from the start without listing the months agrees.
    for shift in found:
        middle = shift.start + (shift.end - shift.start) / 2
        assert on_call(list("abcde"), utc(2023, 2, 1), "UTC", rule, [], middle) == shift.contact_ids


def test_monthly_with_two_settings_in_day_order_not_list_order() -> None:
    found = shifts(
        ["a", "b"], utc(2024, 1, 1), "UTC", monthly((20, 8, 0), (13, 12, 34)), [], utc(2024, 1, 1), utc(2024, 2, 28)
    )
    assert [(s.contact_ids, wall(s.start, "UTC")) for s in found] == [
        (("a",), datetime(2024, 1, 1)),
        (("b",), datetime(2024, 1, 13, 12, 34)),
        (("a",), datetime(2024, 1, 20, 8)),
        (("b",), datetime(2024, 2, 13, 12, 34)),
        (("a",), datetime(2024, 2, 20, 8)),
    ]


def test_a_multiplier_makes_one_shift_span_several_hand_offs() -> None:
    found = shifts(
        ["a", "b"], utc(2024, 1, 1, 12), "UTC", daily((9, 0), multiplier=2), [], utc(2024, 1, 1), utc(2024, 1, 8)
    )
    assert table(found, "UTC") == [
        (("a",), datetime(2024, 1, 1, 12), datetime(2024, 1, 3, 9)),  # shift 0 runs to the second hand-off
        (("b",), datetime(2024, 1, 3, 9), datetime(2024, 1, 5, 9)),
        (("a",), datetime(2024, 1, 5, 9), datetime(2024, 1, 7, 9)),
        (("b",), datetime(2024, 1, 7, 9), datetime(2024, 1, 8)),
    ]
    found = shifts(
        ["a", "b"], utc(2024, 1, 1, 9), "UTC", weekly(("MON", 9, 0), multiplier=3), [], utc(2024, 1, 1), utc(2024, 3, 1)
    )
    assert table(found, "UTC") == [
        (("a",), datetime(2024, 1, 1, 9), datetime(2024, 1, 22, 9)),
        (("b",), datetime(2024, 1, 22, 9), datetime(2024, 2, 12, 9)),
        (("a",), datetime(2024, 2, 12, 9), datetime(2024, 3, 1)),
    ]


def test_two_on_call_out_of_three_contacts_rotate_by_two() -> None:
    found = shifts(
        ["a", "b", "c"], utc(2024, 1, 1), "UTC", daily((0, 0), on_calls=2), [], utc(2024, 1, 1), utc(2024, 1, 5)
    )
    assert [s.contact_ids for s in found] == [("a", "b"), ("c", "a"), ("b", "c"), ("a", "b")]


def test_more_on_calls_than_contacts_puts_everyone_on_once() -> None:
    found = shifts(
        ["a", "b", "c"], utc(2024, 1, 1), "UTC", daily((0, 0), on_calls=5), [], utc(2024, 1, 1), utc(2024, 1, 4)
    )
    assert [s.contact_ids for s in found] == [("a", "b", "c"), ("c", "a", "b"), ("b", "c", "a")]


def test_nothing_is_on_call_before_the_start_or_without_contacts() -> None:
    assert shifts(["a"], utc(2024, 1, 10), "UTC", daily((9, 0)), [], utc(2024, 1, 1), utc(2024, 1, 10)) == []
    assert on_call(["a"], utc(2024, 1, 10), "UTC", daily((9, 0)), [], utc(2024, 1, 9, 23, 59)) == ()
    assert on_call(["a"], utc(2024, 1, 10), "UTC", daily((9, 0)), [], utc(2024, 1, 10)) == ("a",)
    assert shifts([], utc(2024, 1, 1), "UTC", daily((9, 0)), [], utc(2024, 1, 1), utc(2024, 1, 10)) == []


# --- coverage --------------------------------------------------------------------------------------------------------


def test_business_hours_coverage_keeps_monday_to_friday_nine_to_five() -> None:
    hours = {day: [window((9, 0), (17, 0))] for day in DAYS[:5]}
    rule = weekly(("MON", 9, 0), ShiftCoverages=hours)
    found = shifts(["a", "b"], at(NY, 2024, 1, 1, 9), NY, rule, [], utc(2024, 1, 1), utc(2024, 1, 15))
    assert table(found, NY) == [
        ((holder,), datetime(2024, 1, day, 9), datetime(2024, 1, day, 17))
        for holder, days in (("a", range(1, 6)), ("b", range(8, 13)))
        for day in days
    ]
    assert on_call(["a", "b"], at(NY, 2024, 1, 1, 9), NY, rule, [], at(NY, 2024, 1, 3, 12)) == ("a",)
    assert on_call(["a", "b"], at(NY, 2024, 1, 1, 9), NY, rule, [], at(NY, 2024, 1, 3, 8, 59)) == ()
    assert on_call(["a", "b"], at(NY, 2024, 1, 1, 9), NY, rule, [], at(NY, 2024, 1, 6, 12)) == ()  # Saturday


def test_overnight_all_day_and_until_midnight_windows() -> None:
    coverage = {
        "FRI": [window((22, 0), (6, 0))],  # runs into Saturday, which has no window of its own
        "SUN": [window((8, 0), (8, 0))],  # 24 hours
        "TUE": [window((12, 0), (0, 0))],  # until the midnight that ends Tuesday
    }
    rule = daily((0, 0), ShiftCoverages=coverage)
    found = shifts(list("abcdefg"), utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 1), utc(2024, 1, 9))
    assert table(found, "UTC") == [
        (("a",), datetime(2024, 1, 1), datetime(2024, 1, 1, 8)),  # the window of Sunday 31 December, after the start
        (("b",), datetime(2024, 1, 2, 12), datetime(2024, 1, 3)),
        (("e",), datetime(2024, 1, 5, 22), datetime(2024, 1, 6)),  # cut by the midnight hand-off
        (("f",), datetime(2024, 1, 6), datetime(2024, 1, 6, 6)),
        (("g",), datetime(2024, 1, 7, 8), datetime(2024, 1, 8)),
        (("a",), datetime(2024, 1, 8), datetime(2024, 1, 8, 8)),
    ]
    assert on_call(list("abcdefg"), utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 8, 7, 59)) == ("a",)
    assert on_call(list("abcdefg"), utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 8, 8)) == ()


def test_an_overnight_window_over_the_spring_forward_night_is_an_hour_shorter() -> None:
    rule = weekly(("MON", 9, 0), ShiftCoverages={"SAT": [window((22, 0), (6, 0))]})
    found = shifts(["a"], at(LA, 2024, 3, 4, 9), LA, rule, [], at(LA, 2024, 3, 9), at(LA, 2024, 3, 11))
    assert table(found, LA) == [(("a",), datetime(2024, 3, 9, 22), datetime(2024, 3, 10, 6))]
    assert found[0].end - found[0].start == timedelta(hours=7)


def test_touching_windows_are_one_covered_stretch() -> None:
    rule = weekly(("MON", 0, 0), ShiftCoverages={"MON": [window((0, 0), (0, 0))], "TUE": [window((0, 0), (12, 0))]})
    found = shifts(["a"], utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 1), utc(2024, 1, 8))
    assert table(found, "UTC") == [(("a",), datetime(2024, 1, 1), datetime(2024, 1, 2, 12))]


def test_an_empty_coverage_map_means_around_the_clock() -> None:
    found = shifts(
        ["a"], utc(2024, 1, 1), "UTC", daily((9, 0), ShiftCoverages={}), [], utc(2024, 1, 1), utc(2024, 1, 2)
    )
    assert [(s.start, s.end) for s in found] == [
        (utc(2024, 1, 1), utc(2024, 1, 1, 9)),
        (utc(2024, 1, 1, 9), utc(2024, 1, 2)),
    ]


# --- overrides -------------------------------------------------------------------------------------------------------

DAY_ONE = (["a", "b"], utc(2024, 1, 1, 9), "UTC", daily((9, 0)))
DAY_TWO_NOON = utc(2024, 1, 2, 12)


def overridden(overrides: list[Override], high: datetime = DAY_TWO_NOON) -> list[Any]:
    """(holders, start hour, end hour, overridden holders) of each piece from Jan 1 09:00 UTC on."""
    found = shifts(*DAY_ONE, overrides, utc(2024, 1, 1, 9), high)
    return [(s.contact_ids, s.start.hour, s.end.hour, s.overridden_contact_ids) for s in found]


def test_an_override_splits_a_shift_into_three() -> None:
    found = shifts(
        *DAY_ONE, [Override(("x",), utc(2024, 1, 1, 12), utc(2024, 1, 1, 15))], utc(2024, 1, 1), utc(2024, 1, 2, 9)
    )
    assert [(s.type, s.contact_ids, s.start, s.end, s.overridden_contact_ids) for s in found] == [
        ("REGULAR", ("a",), utc(2024, 1, 1, 9), utc(2024, 1, 1, 12), None),
        ("OVERRIDDEN", ("x",), utc(2024, 1, 1, 12), utc(2024, 1, 1, 15), ("a",)),
        ("REGULAR", ("a",), utc(2024, 1, 1, 15), utc(2024, 1, 2, 9), None),
    ]


def test_an_override_over_a_hand_off_is_one_piece_per_shift() -> None:
    assert overridden([Override(("x",), utc(2024, 1, 1, 20), utc(2024, 1, 2, 10))]) == [
        (("a",), 9, 20, None),
        (("x",), 20, 9, ("a",)),
        (("x",), 9, 10, ("b",)),
        (("b",), 10, 12, None),
    ]


def test_the_later_of_overlapping_overrides_wins() -> None:
    outer, inner = (
        Override(("x",), utc(2024, 1, 1, 10), utc(2024, 1, 1, 16)),
        Override(("y",), utc(2024, 1, 1, 12), utc(2024, 1, 1, 14)),
    )
    assert overridden([outer, inner], high=utc(2024, 1, 1, 18)) == [
        (("a",), 9, 10, None),
        (("x",), 10, 12, ("a",)),
        (("y",), 12, 14, ("a",)),
        (("x",), 14, 16, ("a",)),
        (("a",), 16, 18, None),
    ]
    assert overridden([inner, outer], high=utc(2024, 1, 1, 18)) == [
        (("a",), 9, 10, None),
        (("x",), 10, 16, ("a",)),
        (("a",), 16, 18, None),
    ]


def test_an_override_with_nobody_leaves_nobody_on_call() -> None:
    nobody = [Override((), utc(2024, 1, 1, 12), utc(2024, 1, 1, 15))]
    assert overridden(nobody, high=utc(2024, 1, 1, 18))[1] == ((), 12, 15, ("a",))
    assert shifts(*DAY_ONE, nobody, utc(2024, 1, 1, 13), utc(2024, 1, 1, 14))[0].type == "OVERRIDDEN"
    assert on_call(*DAY_ONE, nobody, utc(2024, 1, 1, 13)) == ()
    assert on_call(*DAY_ONE, nobody, utc(2024, 1, 1, 15)) == ("a",)


def test_overrides_only_replace_covered_time_after_the_start() -> None:
    rule = daily((9, 0), ShiftCoverages={day: [window((9, 0), (17, 0))] for day in DAYS[:5]})
    weekend = Override(("x",), utc(2024, 1, 5, 12), utc(2024, 1, 8, 12))  # Friday noon to Monday noon
    early = Override(("y",), utc(2023, 12, 1), utc(2024, 1, 1, 10))
    found = shifts(["a"], utc(2024, 1, 1, 9), "UTC", rule, [weekend, early], utc(2023, 12, 1), utc(2024, 1, 9))
    assert [(s.contact_ids, s.start, s.end) for s in found if s.type == "OVERRIDDEN"] == [
        (("y",), utc(2024, 1, 1, 9), utc(2024, 1, 1, 10)),
        (("x",), utc(2024, 1, 5, 12), utc(2024, 1, 5, 17)),
        (("x",), utc(2024, 1, 8, 9), utc(2024, 1, 8, 12)),
    ]
    assert on_call(["a"], utc(2024, 1, 1, 9), "UTC", rule, [weekend], utc(2024, 1, 6, 12)) == ()


# --- checks ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        daily((9, 0)),
        weekly(("WED", 4, 25), ("FRI", 15, 57)),
        monthly(
            (20, 8, 0), (13, 12, 34), ShiftCoverages={"MON": [window((9, 0), (9, 30))], "TUE": [window((8, 0), (8, 0))]}
        ),
        daily((9, 0), ShiftCoverages={"SAT": [window((23, 45), (0, 15))]}),  # 30 minutes over midnight
    ],
)
def test_check_recurrence_accepts(rule: dict[str, Any]) -> None:
    assert check_recurrence(rule) is None


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}, "Exactly one of"),
        ({**daily((9, 0)), "WeeklySettings": weekly(("MON", 9, 0))["WeeklySettings"]}, "Exactly one of"),
        ({**daily((9, 0)), "DailySettings": []}, "Exactly one of"),
        (daily((9, 0), (9, 0)), "repeat"),
        (weekly(("MON", 9, 0), ("MON", 9, 0)), "repeat"),
        (monthly((31, 9, 0), (31, 9, 0)), "repeat"),
        (daily((9, 0), ShiftCoverages={"MON": [window((9, 0), (9, 29))]}), "at least 30 minutes"),
        (daily((9, 0), ShiftCoverages={"MON": [window((23, 50), (0, 10))]}), "at least 30 minutes"),
        (daily((9, 0), ShiftCoverages={"MON": [{"Start": hm(9)}]}), "Start and an End"),
        (daily((9, 0), ShiftCoverages={"FUNDAY": [window((9, 0), (17, 0))]}), "FUNDAY"),
        ({**daily((9, 0)), "NumberOfOnCalls": 0}, "NumberOfOnCalls"),
    ],
)
def test_check_recurrence_refuses(rule: dict[str, Any], words: str) -> None:
    message = check_recurrence(rule)
    assert message is not None and words in message
    with pytest.raises(ValueError, match=words):
        shifts(["a"], utc(2024, 1, 1), "UTC", rule, [], utc(2024, 1, 1), utc(2024, 1, 2))


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "UTC", "Asia/Seoul", "Australia/Lord_Howe", "Etc/GMT+5"])
def test_check_time_zone_accepts_iana_names(zone: str) -> None:
    assert check_time_zone(zone) is None


@pytest.mark.parametrize(
    "zone",
    [
        "PST",
        "EST",
        "PST8PDT",
        "GMT0",
        "Mars/Olympus_Mons",
        "america/los_angeles",
        "",
        "../etc/passwd",
        "/etc/localtime",
        "America",
    ],
)
def test_check_time_zone_refuses_abbreviations_and_unknown_names(zone: str) -> None:
    assert check_time_zone(zone) is not None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        on_call(["a"], datetime(2024, 1, 1), "UTC", daily((9, 0)), [], utc(2024, 1, 2))


# --- old rotations ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("years", [5, 30])
def test_an_old_daily_rotation_is_counted_ahead_correctly(years: int) -> None:
    # Skipping ahead over years of hand-offs (and the DST gaps in them) must land on the right holder; the
    # speed of it is measured nowhere here (no timed tests): see bench/ for figures.
    zone = "Europe/Helsinki" if years == 5 else "Europe/Vilnius"
    start, now = utc(2025 - years, 2, 3, 4), utc(2025, 6, 1, 12)
    rule, contacts = daily((9, 0), (21, 0)), [f"c{i}" for i in range(7)]
    for repeat in range(3):
        holders = on_call(contacts, start, zone, rule, [], now + repeat * HOUR)
        week = shifts(contacts, start, zone, rule, [], now, now + timedelta(days=7))
        assert len(week) == 15 and holders == week[0].contact_ids


# --- properties ------------------------------------------------------------------------------------------------------

# Zones with DST at 00:00 (Sao Paulo, Havana, Beirut, Recife's single week in 2000), 30 and 45-minute offsets
# (Lord Howe, Chatham), southern-hemisphere DST and a skipped day (Apia).
ZONES = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "America/Recife",
    "America/Havana",
    "Asia/Beirut",
    "Asia/Tehran",
    "Pacific/Chatham",
    "Pacific/Apia",
]
# Hand-off and coverage times, weighted towards the hours in which DST changes happen.
MINUTES = st.one_of(st.integers(0, 24 * 60 - 1), st.sampled_from([0, 30, 60, 90, 120, 150, 165, 180, 1410]))


@dataclass
class Case:
    contacts: list[str]
    start: datetime
    zone: str
    rule: dict[str, Any]
    low: datetime
    high: datetime
    overrides: list[Override]

    def args(self) -> tuple[list[str], datetime, str, dict[str, Any]]:
        return self.contacts, self.start, self.zone, self.rule


@st.composite
def cases(draw: st.DrawFn, coverage: bool = False, overrides: bool = False, far: bool = False) -> Case:
    kind = draw(st.sampled_from(["DailySettings", "WeeklySettings", "MonthlySettings"]))
    if kind == "DailySettings":
        settings = [hm(*divmod(m, 60)) for m in draw(st.lists(MINUTES, min_size=1, max_size=3, unique=True))]
    else:
        day = st.sampled_from(DAYS) if kind == "WeeklySettings" else st.integers(1, 31)
        pairs = draw(st.lists(st.tuples(day, MINUTES), min_size=1, max_size=3, unique=True))
        member = "DayOfWeek" if kind == "WeeklySettings" else "DayOfMonth"
        settings = [{member: d, "HandOffTime": hm(*divmod(m, 60))} for d, m in pairs]
    rule = recurrence(kind, settings, on_calls=draw(st.integers(1, 4)), multiplier=draw(st.integers(1, 3)))
    if coverage:
        windows = st.lists(st.tuples(MINUTES, st.integers(30, 24 * 60)), min_size=1, max_size=2)
        chosen = draw(st.dictionaries(st.sampled_from(DAYS), windows, min_size=1))
        rule["ShiftCoverages"] = {
            day: [window(divmod(s, 60), divmod((s + length) % (24 * 60), 60)) for s, length in spans]
            for day, spans in chosen.items()
        }
    contacts = [f"c{i}" for i in range(draw(st.integers(1, 5)))]
    start = utc(2010, 1, 1) + timedelta(minutes=draw(st.integers(0, 16 * 365 * 24 * 60)))
    later = draw(st.integers(-3 * 24 * 60, (20 if far else 1) * 365 * 24 * 60))
    low = start + timedelta(minutes=later)
    high = low + timedelta(minutes=draw(st.integers(1, 70 * 24 * 60)))
    chosen_overrides = []
    if overrides:
        for _ in range(draw(st.integers(0, 3))):
            begin = low + timedelta(minutes=draw(st.integers(-24 * 60, int((high - low).total_seconds() // 60))))
            who = tuple(draw(st.lists(st.sampled_from([*contacts, "x", "y"]), max_size=2, unique=True)))
            chosen_overrides.append(Override(who, begin, begin + timedelta(minutes=draw(st.integers(30, 4 * 24 * 60)))))
    return Case(contacts, start, draw(st.sampled_from(ZONES)), rule, low, high, chosen_overrides)


def exists(local: datetime, zone: ZoneInfo) -> bool:
    return local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def brute_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall time's instant by walking minute by minute past any gap (tzdata gaps end on whole minutes)."""
    while not exists(local, zone):
        local += timedelta(minutes=1)
    return local.replace(tzinfo=zone).astimezone(UTC)


def walls_on(rule: dict[str, Any], day: date) -> list[datetime]:
    """The configured hand-off wall times that fall on a local date."""
    midnight = datetime(day.year, day.month, day.day)
    times = []
    for item in rule.get("DailySettings") or []:
        times.append((item["HourOfDay"], item["MinuteOfHour"]))
    for item in rule.get("WeeklySettings") or []:
        if item["DayOfWeek"] == DAYS[day.weekday()]:
            times.append((item["HandOffTime"]["HourOfDay"], item["HandOffTime"]["MinuteOfHour"]))
    for item in rule.get("MonthlySettings") or []:
        if min(item["DayOfMonth"], calendar.monthrange(day.year, day.month)[1]) == day.day:
            times.append((item["HandOffTime"]["HourOfDay"], item["HandOffTime"]["MinuteOfHour"]))
    return [midnight + timedelta(hours=h, minutes=m) for h, m in times]


def brute_handoffs(case: Case, until: datetime) -> list[datetime]:
    """Every hand-off instant after the start up to a day past `until`, by listing every local day."""
    zone = ZoneInfo(case.zone)
    day, last = (
        case.start.astimezone(zone).date() - timedelta(days=2),
        until.astimezone(zone).date() + timedelta(days=2),
    )
    found = set()
    while day <= last:
        found.update(brute_instant(local, zone) for local in walls_on(case.rule, day))
        day += timedelta(days=1)
    return sorted(h for h in found if h > case.start)


def holders(case: Case, number: int) -> tuple[str, ...]:
    n, count = case.rule["NumberOfOnCalls"], len(case.contacts)
    return tuple(case.contacts[(number * n + i) % count] for i in range(min(n, count)))


def brute_shifts(case: Case) -> list[Shift]:
    """Rule 2 applied literally to the listed hand-offs, then cut to the window."""
    m = case.rule["RecurrenceMultiplier"]
    bounds = [case.start, *brute_handoffs(case, case.high)[m - 1 :: m]]
    found = []
    for number, (begin, end) in enumerate(zip(bounds, [*bounds[1:], case.high + timedelta(days=1)], strict=True)):
        begin, end = max(begin, case.low), min(end, case.high)
        if begin < end:
            found.append(Shift(holders(case, number), begin, end))
    return found


def covered(case: Case, moment: datetime) -> bool:
    """Whether a moment lies in a coverage window of its local day or an overnight one of the day before."""
    zone = ZoneInfo(case.zone)
    today = moment.astimezone(zone).date()
    for day in (today - timedelta(days=1), today):
        midnight = datetime(day.year, day.month, day.day)
        for item in case.rule["ShiftCoverages"].get(DAYS[day.weekday()], []):
            start = item["Start"]["HourOfDay"] * 60 + item["Start"]["MinuteOfHour"]
            end = item["End"]["HourOfDay"] * 60 + item["End"]["MinuteOfHour"]
            end += 24 * 60 if end <= start else 0
            begin = brute_instant(midnight + timedelta(minutes=start), zone)
            if begin <= moment < brute_instant(midnight + timedelta(minutes=end), zone):
                return True
    return False


def union(found: list[Shift]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for s in found:
        if merged and merged[-1][1] == s.start:
            merged[-1] = (merged[-1][0], s.end)
        else:
            merged.append((s.start, s.end))
    return merged


def probes(found: list[Shift], case: Case, extra: list[float]) -> list[datetime]:
    """Shift edges (both sides) and points spread over the window."""
    points = [case.low + (case.high - case.low) * f for f in extra]
    for s in found:
        points += [s.start, s.end, s.end - timedelta(microseconds=1), s.start - timedelta(microseconds=1)]
    return points


FRACTIONS = st.lists(st.floats(0, 1), max_size=8)
PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(cases())
def test_shifts_are_the_literal_rule_applied_to_listed_hand_offs(case: Case) -> None:
    assert shifts(*case.args(), [], case.low, case.high) == brute_shifts(case)


@settings(max_examples=40, deadline=None)
@given(cases(far=True))
def test_counting_years_ahead_agrees_with_listing_every_hand_off(case: Case) -> None:
    assert shifts(*case.args(), [], case.low, case.high) == brute_shifts(case)


@PROPERTY
@given(cases(far=True))
def test_without_coverage_shifts_tile_the_window(case: Case) -> None:
    found = shifts(*case.args(), [], case.low, case.high)
    first = max(case.low, case.start)
    if first >= case.high:
        assert found == []
        return
    assert found[0].start == first and found[-1].end == case.high
    assert all(a.end == b.start for a, b in zip(found, found[1:], strict=False))
    assert all(s.start < s.end and s.type == "REGULAR" for s in found)


@PROPERTY
@given(cases(far=True))
def test_every_inner_boundary_is_a_configured_hand_off(case: Case) -> None:
    zone = ZoneInfo(case.zone)
    found = shifts(*case.args(), [], case.low, case.high)
    for boundary in [s.start for s in found[1:]]:
        today = boundary.astimezone(zone).date()
        # The wall time itself, or one in a gap that ends at this instant (possibly from the day before).
        candidates = walls_on(case.rule, today) + walls_on(case.rule, today - timedelta(days=1))
        assert any(brute_instant(local, zone) == boundary for local in candidates), boundary


@PROPERTY
@given(cases(), st.integers(0, 60))
def test_holders_follow_the_round_robin_from_the_start(case: Case, days: int) -> None:
    found = shifts(*case.args(), [], case.start, case.start + timedelta(days=days, hours=1))
    assert [s.contact_ids for s in found] == [holders(case, number) for number in range(len(found))]
    assert all(len(set(s.contact_ids)) == len(s.contact_ids) for s in found)


@PROPERTY
@given(cases(coverage=True, overrides=True, far=True), FRACTIONS)
def test_on_call_agrees_with_the_shift_containing_the_moment(case: Case, extra: list[float]) -> None:
    found = shifts(*case.args(), case.overrides, case.low, case.high)
    for moment in probes(found, case, extra):
        if not case.low <= moment < case.high:
            continue
        containing = [s for s in found if s.start <= moment < s.end]
        assert len(containing) <= 1
        assert on_call(*case.args(), case.overrides, moment) == (containing[0].contact_ids if containing else ())


@PROPERTY
@given(cases(coverage=True), FRACTIONS)
def test_shifts_exist_exactly_in_covered_time_after_the_start(case: Case, extra: list[float]) -> None:
    found = shifts(*case.args(), [], case.low, case.high)
    for moment in probes(found, case, extra):
        if case.low <= moment < case.high:
            expected = moment >= case.start and covered(case, moment)
            assert any(s.start <= moment < s.end for s in found) == expected, moment


@PROPERTY
@given(cases(coverage=True, overrides=True))
def test_overrides_replace_holders_but_never_add_time(case: Case) -> None:
    plain = shifts(*case.args(), [], case.low, case.high)
    found = shifts(*case.args(), case.overrides, case.low, case.high)
    assert union(found) == union(plain)
    for s in found:
        regular = on_call(*case.args(), [], s.start)
        covering = [o for o in case.overrides if o.start <= s.start < o.end]
        if covering:
            assert s.type == "OVERRIDDEN" and s.contact_ids == covering[-1].new_contact_ids
            assert s.overridden_contact_ids == regular
        else:
            assert s.type == "REGULAR" and s.contact_ids == regular


@PROPERTY
@given(cases(coverage=True, overrides=True, far=True), st.floats(0, 1), st.floats(0, 1))
def test_results_do_not_depend_on_the_window(case: Case, a: float, b: float) -> None:
    inner_low, inner_high = sorted(case.low + (case.high - case.low) * f for f in (a, b))
    big = shifts(*case.args(), case.overrides, case.low, case.high)
    cut = [
        Shift(s.contact_ids, max(s.start, inner_low), min(s.end, inner_high), s.overridden_contact_ids)
        for s in big
        if s.start < inner_high and s.end > inner_low
    ]
    assert shifts(*case.args(), case.overrides, inner_low, inner_high) == [c for c in cut if c.start < c.end]
