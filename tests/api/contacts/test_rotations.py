"""CreateRotation, GetRotation, UpdateRotation, DeleteRotation and ListRotations (aws-behaviour §4.5)."""

from __future__ import annotations

import datetime
import re
import time

import pytest

from support import refused, status_of

START = datetime.datetime(2030, 1, 7, 9, 0, tzinfo=datetime.UTC)
WEEKLY = {
    "WeeklySettings": [{"DayOfWeek": "MON", "HandOffTime": {"HourOfDay": 9, "MinuteOfHour": 0}}],
    "NumberOfOnCalls": 1,
    "RecurrenceMultiplier": 1,
    "ShiftCoverages": {
        "MON": [{"Start": {"HourOfDay": 8, "MinuteOfHour": 0}, "End": {"HourOfDay": 17, "MinuteOfHour": 0}}]
    },
}


@pytest.fixture
def people(new_contact) -> list[str]:  # type: ignore[no-untyped-def]
    return [new_contact(alias) for alias in ("akuam", "alejr", "anasi")]


def test_a_rotation_is_created_and_read_back(onboarded_contacts, people, account):
    response = onboarded_contacts.create_rotation(
        Name="Primary on-call",
        ContactIds=people,
        StartTime=START,
        TimeZoneId="Australia/Sydney",
        Recurrence=WEEKLY,
        Tags=[{"Key": "team", "Value": "sre"}],
    )

    arn = response["RotationArn"]
    assert status_of(response) == 200
    assert re.match(rf"^arn:aws:ssm-contacts:us-east-1:{account.account_id}:rotation/[0-9a-f-]{{36}}$", arn)
    got = onboarded_contacts.get_rotation(RotationId=arn)
    assert {k: got[k] for k in ("RotationArn", "Name", "ContactIds", "StartTime", "TimeZoneId", "Recurrence")} == {
        "RotationArn": arn,
        "Name": "Primary on-call",
        "ContactIds": people,
        "StartTime": START,
        "TimeZoneId": "Australia/Sydney",
        "Recurrence": WEEKLY,
    }
    assert onboarded_contacts.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "sre"}]


def test_the_start_time_defaults_to_the_creation_time(onboarded_contacts, new_rotation, people):
    before = time.time()
    arn = new_rotation(people)
    after = time.time()

    started = onboarded_contacts.get_rotation(RotationId=arn)["StartTime"].timestamp()
    assert before - 1 <= started <= after + 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"TimeZoneId": "PST"}, "IANA"),
        ({"TimeZoneId": "Mars/Olympus_Mons"}, "IANA"),
        ({"Recurrence": {"NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}}, "Exactly one"),
        ({"Recurrence": WEEKLY | {"DailySettings": [{"HourOfDay": 1, "MinuteOfHour": 0}]}}, "Exactly one"),
        ({"Recurrence": WEEKLY | {"NumberOfOnCalls": 4}}, "NumberOfOnCalls"),
    ],
)
def test_a_schedule_the_service_cannot_run_is_refused(onboarded_contacts, people, changes, reason):
    request = {"Name": "r", "ContactIds": people, "TimeZoneId": "UTC", "Recurrence": WEEKLY} | changes

    error = refused(onboarded_contacts.create_rotation, **request)

    assert error["Error"]["Code"] == "ValidationException"
    assert reason in error["Error"]["Message"]
    assert onboarded_contacts.list_rotations()["Rotations"] == []


def test_members_must_be_existing_personal_contacts(onboarded_contacts, new_contact, people):
    plan = new_contact("esc", "ESCALATION")

    missing = refused(
        onboarded_contacts.create_rotation, Name="r", ContactIds=[people[0] + "x"], TimeZoneId="UTC", Recurrence=WEEKLY
    )
    escalation = refused(
        onboarded_contacts.create_rotation, Name="r", ContactIds=[people[0], plan], TimeZoneId="UTC", Recurrence=WEEKLY
    )

    assert (missing["Error"]["Code"], missing["ResourceType"]) == ("ResourceNotFoundException", "CONTACT")
    assert escalation["Error"]["Code"] == "ValidationException"
    assert onboarded_contacts.list_rotations()["Rotations"] == []


def test_update_replaces_only_the_members_given(onboarded_contacts, new_rotation, people):
    arn = new_rotation(people, StartTime=START)

    onboarded_contacts.update_rotation(RotationId=arn, ContactIds=people[:2], Recurrence=WEEKLY)
    first = onboarded_contacts.get_rotation(RotationId=arn)
    onboarded_contacts.update_rotation(RotationId=arn, TimeZoneId="Asia/Seoul", Recurrence=WEEKLY)
    second = onboarded_contacts.get_rotation(RotationId=arn)

    assert (first["ContactIds"], first["Recurrence"], first["TimeZoneId"]) == (people[:2], WEEKLY, "UTC")
    assert (second["ContactIds"], second["TimeZoneId"], second["StartTime"]) == (people[:2], "Asia/Seoul", START)
    assert second["Name"] == "primary"


def test_an_update_that_leaves_too_few_members_is_refused(onboarded_contacts, new_rotation, people):
    arn = new_rotation(people, Recurrence=WEEKLY | {"NumberOfOnCalls": 2})

    error = refused(
        onboarded_contacts.update_rotation,
        RotationId=arn,
        ContactIds=people[:1],
        Recurrence=WEEKLY | {"NumberOfOnCalls": 2},
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert onboarded_contacts.get_rotation(RotationId=arn)["ContactIds"] == people


def test_delete_takes_the_rotation_out_of_every_schedule(
    onboarded_contacts, new_contact, new_rotation, people, rows, account
):
    doomed, kept = new_rotation(people, name="doomed"), new_rotation(people, name="kept")
    first = new_contact("first", "ONCALL_SCHEDULE", {"RotationIds": [doomed, kept]})
    second = new_contact("second", "ONCALL_SCHEDULE", {"RotationIds": [doomed]})
    onboarded_contacts.tag_resource(ResourceARN=doomed, Tags=[{"Key": "k", "Value": "v"}])

    onboarded_contacts.delete_rotation(RotationId=doomed)

    error = refused(onboarded_contacts.get_rotation, RotationId=doomed)
    assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "ROTATION")
    assert onboarded_contacts.get_contact(ContactId=first)["Plan"]["RotationIds"] == [kept]
    assert onboarded_contacts.get_contact(ContactId=second)["Plan"].get("RotationIds", []) == []
    assert rows("SELECT * FROM tags WHERE resource_arn = :arn", arn=doomed) == []
    onboarded_contacts.delete_rotation(RotationId=kept)
    assert status_of(onboarded_contacts.delete_contact(ContactId=people[0])) == 200  # no rotation holds it now


def test_a_missing_rotation_is_not_found(onboarded_contacts, new_rotation, people):
    missing = new_rotation(people)[:-12] + "000000000000"

    for call, extra in [
        (onboarded_contacts.get_rotation, {}),
        (onboarded_contacts.delete_rotation, {}),
        (onboarded_contacts.update_rotation, {"Recurrence": WEEKLY}),
    ]:
        error = refused(call, RotationId=missing, **extra)
        assert (error["Error"]["Code"], error["ResourceId"], error["ResourceType"]) == (
            "ResourceNotFoundException",
            missing,
            "ROTATION",
        )


def test_list_rotations_by_name_with_a_prefix_across_pages(onboarded_contacts, new_rotation, people):
    names = ["Alpha", "Beta", "Beta", "alpha", "beta 2"]
    made = {}
    for name in reversed(names):
        made.setdefault(name, []).append(new_rotation(people, name=name))

    pages, token = [], None
    while True:
        response = onboarded_contacts.list_rotations(MaxResults=2, **({"NextToken": token} if token else {}))
        pages.append([r["Name"] for r in response["Rotations"]])
        token = response.get("NextToken")
        if not token:
            break
    prefixed = onboarded_contacts.list_rotations(RotationNamePrefix="Beta")["Rotations"]

    assert pages == [["Alpha", "Beta"], ["Beta", "alpha"], ["beta 2"]]
    assert sorted(r["RotationArn"] for r in prefixed) == sorted(made["Beta"])
    assert all(r["ContactIds"] == people and r["TimeZoneId"] == "UTC" for r in prefixed)
