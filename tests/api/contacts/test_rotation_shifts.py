"""ListRotationShifts and ListPreviewRotationShifts through the API (aws-behaviour §4.5)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from support import refused

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
NEW_YORK = ZoneInfo("America/New_York")
DAILY_9 = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}


def at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def shifts_of(response: dict) -> list[tuple]:  # type: ignore[type-arg]
    """(start, end, contacts, type, overridden contacts) of each shift."""
    return [
        (
            s["StartTime"],
            s["EndTime"],
            s["ContactIds"],
            s["Type"],
            s.get("ShiftDetails", {}).get("OverriddenContactIds"),
        )
        for s in response["RotationShifts"]
    ]


@pytest.fixture
def people(new_contact) -> list[str]:  # type: ignore[no-untyped-def]
    return [new_contact(alias) for alias in ("akuam", "alejr", "anasi")]


def test_a_daily_rotation_hands_off_at_nine_local_time_across_dst(onboarded_contacts, new_rotation, people):
    # 10 March 2030: New York springs forward, and 09:00 local moves from 14:00 to 13:00 UTC.
    a, b = people[:2]
    rotation = new_rotation([a, b], TimeZoneId="America/New_York", Recurrence=DAILY_9, StartTime=at(2030, 3, 8, 14))

    response = onboarded_contacts.list_rotation_shifts(
        RotationId=rotation, StartTime=at(2030, 3, 8, 14), EndTime=at(2030, 3, 12)
    )

    assert shifts_of(response) == [
        (at(2030, 3, 8, 14), at(2030, 3, 9, 14), [a], "REGULAR", None),
        (at(2030, 3, 9, 14), at(2030, 3, 10, 13), [b], "REGULAR", None),
        (at(2030, 3, 10, 13), at(2030, 3, 11, 13), [a], "REGULAR", None),
        (at(2030, 3, 11, 13), at(2030, 3, 12), [b], "REGULAR", None),
    ]
    hand_offs = [s["StartTime"].astimezone(NEW_YORK) for s in response["RotationShifts"][1:]]
    assert [(t.hour, t.minute) for t in hand_offs] == [(9, 0), (9, 0), (9, 0)]
    assert "NextToken" not in response


def test_an_override_shows_as_an_overridden_shift(onboarded_contacts, new_rotation, people):
    now = datetime.datetime.now(UTC)
    today = datetime.datetime(now.year, now.month, now.day, tzinfo=UTC)
    # Shift k runs from start + k days: tomorrow 09:00 begins shift 4, held by people[4 % 3].
    rotation = new_rotation(people, StartTime=today + 9 * HOUR - 3 * DAY)
    tomorrow = today + DAY
    override_id = onboarded_contacts.create_rotation_override(
        RotationId=rotation, NewContactIds=[people[2]], StartTime=tomorrow + 12 * HOUR, EndTime=tomorrow + 14 * HOUR
    )["RotationOverrideId"]

    window = {"RotationId": rotation, "StartTime": tomorrow, "EndTime": tomorrow + DAY}
    overridden = onboarded_contacts.list_rotation_shifts(**window)
    onboarded_contacts.delete_rotation_override(RotationId=rotation, RotationOverrideId=override_id)
    restored = onboarded_contacts.list_rotation_shifts(**window)

    assert shifts_of(overridden) == [
        (tomorrow, tomorrow + 9 * HOUR, [people[0]], "REGULAR", None),
        (tomorrow + 9 * HOUR, tomorrow + 12 * HOUR, [people[1]], "REGULAR", None),
        (tomorrow + 12 * HOUR, tomorrow + 14 * HOUR, [people[2]], "OVERRIDDEN", [people[1]]),
        (tomorrow + 14 * HOUR, tomorrow + DAY, [people[1]], "REGULAR", None),
    ]
    assert shifts_of(restored) == [
        (tomorrow, tomorrow + 9 * HOUR, [people[0]], "REGULAR", None),
        (tomorrow + 9 * HOUR, tomorrow + DAY, [people[1]], "REGULAR", None),
    ]


def test_shifts_page_through_in_time_order(onboarded_contacts, new_rotation, people):
    rotation = new_rotation(people, StartTime=at(2030, 1, 1, 9))
    window = {"RotationId": rotation, "StartTime": at(2030, 1, 1, 9), "EndTime": at(2030, 1, 8, 9)}

    pages, token = [], None
    while True:
        response = onboarded_contacts.list_rotation_shifts(
            MaxResults=3, **window, **({"NextToken": token} if token else {})
        )
        pages.append(shifts_of(response))
        token = response.get("NextToken")
        if not token:
            break

    assert [len(page) for page in pages] == [3, 3, 1]
    flat = [shift for page in pages for shift in page]
    assert flat == shifts_of(onboarded_contacts.list_rotation_shifts(**window))
    assert [s[0] for s in flat] == [at(2030, 1, 1 + k, 9) for k in range(7)]
    assert [s[2] for s in flat] == [[people[k % 3]] for k in range(7)]


def test_the_window_starts_now_by_default(onboarded_contacts, new_rotation, people):
    rotation = new_rotation(people, StartTime=at(2020, 1, 1, 9))
    before = datetime.datetime.now(UTC)

    shifts = onboarded_contacts.list_rotation_shifts(RotationId=rotation, EndTime=before + 2 * DAY)["RotationShifts"]

    assert before - datetime.timedelta(seconds=5) <= shifts[0]["StartTime"] <= before + datetime.timedelta(seconds=5)
    assert abs(shifts[-1]["EndTime"] - (before + 2 * DAY)) < datetime.timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (at(2030, 1, 2), at(2030, 1, 1), "after StartTime"),
        (at(2030, 1, 1), at(2030, 1, 1), "after StartTime"),
        (at(2030, 1, 1), at(2031, 1, 3), "366 days"),
    ],
)
def test_a_window_that_is_empty_or_too_long_is_refused(onboarded_contacts, new_rotation, people, start, end, reason):
    rotation = new_rotation(people)

    error = refused(onboarded_contacts.list_rotation_shifts, RotationId=rotation, StartTime=start, EndTime=end)

    assert error["Error"]["Code"] == "ValidationException"
    assert reason in error["Error"]["Message"]


def test_shifts_of_a_missing_rotation_are_not_found(onboarded_contacts, new_rotation, people):
    missing = new_rotation(people)[:-12] + "000000000000"

    error = refused(onboarded_contacts.list_rotation_shifts, RotationId=missing, EndTime=at(2030, 1, 1))

    assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "ROTATION")


def test_a_preview_takes_free_member_names_and_overrides(onboarded_contacts):
    response = onboarded_contacts.list_preview_rotation_shifts(
        RotationStartTime=at(2030, 1, 1, 9),
        StartTime=at(2030, 1, 2),
        EndTime=at(2030, 1, 3),
        Members=["alice", "bob"],
        TimeZoneId="UTC",
        Recurrence=DAILY_9,
        Overrides=[{"NewMembers": ["carol"], "StartTime": at(2030, 1, 2, 12), "EndTime": at(2030, 1, 2, 13)}],
    )

    assert shifts_of(response) == [
        (at(2030, 1, 2), at(2030, 1, 2, 9), ["alice"], "REGULAR", None),
        (at(2030, 1, 2, 9), at(2030, 1, 2, 12), ["bob"], "REGULAR", None),
        (at(2030, 1, 2, 12), at(2030, 1, 2, 13), ["carol"], "OVERRIDDEN", ["bob"]),
        (at(2030, 1, 2, 13), at(2030, 1, 3), ["bob"], "REGULAR", None),
    ]


def test_a_preview_rotation_starts_at_the_window_start_by_default(onboarded_contacts):
    response = onboarded_contacts.list_preview_rotation_shifts(
        StartTime=at(2030, 1, 1, 12),
        EndTime=at(2030, 1, 3, 12),
        Members=["alice", "bob"],
        TimeZoneId="UTC",
        Recurrence=DAILY_9,
        MaxResults=2,
    )

    assert shifts_of(response) == [
        (at(2030, 1, 1, 12), at(2030, 1, 2, 9), ["alice"], "REGULAR", None),
        (at(2030, 1, 2, 9), at(2030, 1, 3, 9), ["bob"], "REGULAR", None),
    ]
    rest = onboarded_contacts.list_preview_rotation_shifts(
        StartTime=at(2030, 1, 1, 12),
        EndTime=at(2030, 1, 3, 12),
        Members=["alice", "bob"],
        TimeZoneId="UTC",
        Recurrence=DAILY_9,
        MaxResults=2,
        NextToken=response["NextToken"],
    )
    assert shifts_of(rest) == [(at(2030, 1, 3, 9), at(2030, 1, 3, 12), ["alice"], "REGULAR", None)]
    assert "NextToken" not in rest


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"TimeZoneId": "EST"}, "IANA"),
        ({"Recurrence": {"NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}}, "Exactly one"),
        ({"Recurrence": DAILY_9 | {"NumberOfOnCalls": 3}}, "NumberOfOnCalls"),
        ({"Overrides": [{"NewMembers": ["carol"], "StartTime": at(2030, 1, 2)}]}, "StartTime and an EndTime"),
    ],
)
def test_a_preview_the_service_cannot_compute_is_refused(onboarded_contacts, changes, reason):
    request = {
        "StartTime": at(2030, 1, 1),
        "EndTime": at(2030, 1, 3),
        "Members": ["alice", "bob"],
        "TimeZoneId": "UTC",
        "Recurrence": DAILY_9,
    } | changes

    error = refused(onboarded_contacts.list_preview_rotation_shifts, **request)

    assert error["Error"]["Code"] == "ValidationException"
    assert reason in error["Error"]["Message"]
