"""CreateRotationOverride, GetRotationOverride, DeleteRotationOverride, ListRotationOverrides (aws-behaviour §4.5)."""

from __future__ import annotations

import datetime
import re

import pytest

from support import refused, status_of

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def tomorrow() -> datetime.datetime:
    """Midnight UTC at the start of tomorrow: far enough ahead for an override to start in the future."""
    now = datetime.datetime.now(datetime.UTC)
    return datetime.datetime(now.year, now.month, now.day, tzinfo=datetime.UTC) + DAY


@pytest.fixture
def people(new_contact) -> list[str]:  # type: ignore[no-untyped-def]
    return [new_contact(alias) for alias in ("akuam", "alejr", "anasi")]


@pytest.fixture
def rotation(new_rotation, people) -> str:  # type: ignore[no-untyped-def]
    return new_rotation(people)  # type: ignore[no-any-return]


def test_an_override_is_created_and_read_back(onboarded_contacts, rotation, people):
    start = tomorrow() + 12 * HOUR

    response = onboarded_contacts.create_rotation_override(
        RotationId=rotation, NewContactIds=[people[2]], StartTime=start, EndTime=start + 2 * HOUR
    )

    override_id = response["RotationOverrideId"]
    assert status_of(response) == 200
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", override_id)
    got = onboarded_contacts.get_rotation_override(RotationId=rotation, RotationOverrideId=override_id)
    assert {k: got[k] for k in ("RotationOverrideId", "RotationArn", "NewContactIds", "StartTime", "EndTime")} == {
        "RotationOverrideId": override_id,
        "RotationArn": rotation,
        "NewContactIds": [people[2]],
        "StartTime": start,
        "EndTime": start + 2 * HOUR,
    }
    now = datetime.datetime.now(datetime.UTC)
    assert now - datetime.timedelta(minutes=1) <= got["CreateTime"] <= now + datetime.timedelta(minutes=1)


def test_an_override_may_leave_nobody_on_call(onboarded_contacts, rotation):
    start = tomorrow()

    override_id = onboarded_contacts.create_rotation_override(
        RotationId=rotation, NewContactIds=[], StartTime=start, EndTime=start + HOUR
    )["RotationOverrideId"]

    got = onboarded_contacts.get_rotation_override(RotationId=rotation, RotationOverrideId=override_id)
    assert got["NewContactIds"] == []


@pytest.mark.parametrize(
    ("offset", "length", "reason"),
    [
        (DAY, datetime.timedelta(minutes=29), "30 minutes"),
        (DAY, -HOUR, "30 minutes"),
        (-DAY, 2 * HOUR, "future"),
        (184 * DAY, 2 * HOUR, "6 months"),
    ],
)
def test_override_times_the_service_refuses(onboarded_contacts, rotation, people, offset, length, reason):
    start = tomorrow() + offset

    error = refused(
        onboarded_contacts.create_rotation_override,
        RotationId=rotation,
        NewContactIds=[people[0]],
        StartTime=start,
        EndTime=start + length,
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert reason in error["Error"]["Message"]


def test_override_contacts_must_be_members_of_the_rotation(onboarded_contacts, new_contact, rotation):
    outsider = new_contact("outsider")
    start = tomorrow()

    error = refused(
        onboarded_contacts.create_rotation_override,
        RotationId=rotation,
        NewContactIds=[outsider],
        StartTime=start,
        EndTime=start + HOUR,
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert "not a member" in error["Error"]["Message"]


def test_an_override_of_a_missing_rotation_is_not_found(onboarded_contacts, rotation, people):
    start = tomorrow()

    error = refused(
        onboarded_contacts.create_rotation_override,
        RotationId=rotation[:-12] + "000000000000",
        NewContactIds=[people[0]],
        StartTime=start,
        EndTime=start + HOUR,
    )

    assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "ROTATION")


def test_delete_removes_the_override(onboarded_contacts, rotation, people):
    start = tomorrow()
    override_id = onboarded_contacts.create_rotation_override(
        RotationId=rotation, NewContactIds=[people[1]], StartTime=start, EndTime=start + HOUR
    )["RotationOverrideId"]

    onboarded_contacts.delete_rotation_override(RotationId=rotation, RotationOverrideId=override_id)

    for call in (onboarded_contacts.get_rotation_override, onboarded_contacts.delete_rotation_override):
        error = refused(call, RotationId=rotation, RotationOverrideId=override_id)
        assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "ROTATION_OVERRIDE")


def test_an_override_belongs_to_its_own_rotation(onboarded_contacts, new_rotation, rotation, people):
    other = new_rotation(people, name="other")
    start = tomorrow()
    override_id = onboarded_contacts.create_rotation_override(
        RotationId=rotation, NewContactIds=[people[1]], StartTime=start, EndTime=start + HOUR
    )["RotationOverrideId"]

    error = refused(onboarded_contacts.get_rotation_override, RotationId=other, RotationOverrideId=override_id)

    assert error["Error"]["Code"] == "ResourceNotFoundException"


def test_list_overrides_overlapping_a_range_by_start_across_pages(onboarded_contacts, rotation, people):
    base = tomorrow()
    made = [
        onboarded_contacts.create_rotation_override(
            RotationId=rotation, NewContactIds=[people[0]], StartTime=base + k * DAY, EndTime=base + k * DAY + HOUR
        )["RotationOverrideId"]
        for k in (3, 0, 2, 1, 4)
    ]
    by_start = [made[1], made[3], made[2], made[0], made[4]]

    # [base + 30 min, base + 3 days): the first override overlaps its start, the one at +3 days starts at its end.
    pages, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        response = onboarded_contacts.list_rotation_overrides(
            RotationId=rotation, StartTime=base + HOUR / 2, EndTime=base + 3 * DAY, MaxResults=2, **extra
        )
        pages.append([o["RotationOverrideId"] for o in response["RotationOverrides"]])
        token = response.get("NextToken")
        if not token:
            break

    assert pages == [by_start[0:2], by_start[2:3]]
    everything = onboarded_contacts.list_rotation_overrides(RotationId=rotation, StartTime=base, EndTime=base + 9 * DAY)
    assert [o["RotationOverrideId"] for o in everything["RotationOverrides"]] == by_start
