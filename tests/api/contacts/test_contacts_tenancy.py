"""Onboarding, accounts and regions: nobody reaches another tenant's contacts, even by ARN (§4.1)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from support import refused

NOT_ONBOARDED = "Invalid value provided - Account not found for the request"
LATER = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
DAILY = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("list_contacts", {}),
        ("get_contact", {"ContactId": "arn:aws:ssm-contacts:us-east-1:111122223333:contact/akuam"}),
        ("create_contact", {"Alias": "akuam", "Type": "PERSONAL", "Plan": {"Stages": []}}),
        ("list_rotations", {}),
        ("get_rotation", {"RotationId": "arn:aws:ssm-contacts:us-east-1:111122223333:rotation/x"}),
        (
            "list_preview_rotation_shifts",
            {"EndTime": LATER, "Members": ["a"], "TimeZoneId": "UTC", "Recurrence": DAILY},
        ),
        ("get_contact_policy", {"ContactArn": "arn:aws:ssm-contacts:us-east-1:111122223333:contact/akuam"}),
    ],
)
def test_an_account_that_has_not_onboarded_is_told_so(contacts, operation, params):
    error = refused(getattr(contacts, operation), **params)

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == NOT_ONBOARDED


@pytest.fixture
def owned(onboarded_contacts, new_contact, new_channel, new_rotation) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One of each resource of account A."""
    person = new_contact("akuam")
    rotation = new_rotation([person])
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    override = onboarded_contacts.create_rotation_override(
        RotationId=rotation, NewContactIds=[person], StartTime=start, EndTime=start + datetime.timedelta(hours=1)
    )["RotationOverrideId"]
    return {"contact": person, "channel": new_channel(person), "rotation": rotation, "override": override}


def calls(owned: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    contact, channel, rotation = owned["contact"], owned["channel"], owned["rotation"]
    return [
        ("get_contact", {"ContactId": contact}),
        ("update_contact", {"ContactId": contact, "DisplayName": "stolen"}),
        ("delete_contact", {"ContactId": contact}),
        ("list_contact_channels", {"ContactId": contact}),
        ("get_contact_channel", {"ContactChannelId": channel}),
        ("update_contact_channel", {"ContactChannelId": channel, "Name": "stolen"}),
        ("delete_contact_channel", {"ContactChannelId": channel}),
        ("activate_contact_channel", {"ContactChannelId": channel, "ActivationCode": "123456"}),
        ("deactivate_contact_channel", {"ContactChannelId": channel}),
        ("send_activation_code", {"ContactChannelId": channel}),
        ("get_rotation", {"RotationId": rotation}),
        ("update_rotation", {"RotationId": rotation, "Recurrence": DAILY}),
        ("delete_rotation", {"RotationId": rotation}),
        ("list_rotation_shifts", {"RotationId": rotation, "EndTime": LATER}),
        ("get_rotation_override", {"RotationId": rotation, "RotationOverrideId": owned["override"]}),
        ("delete_rotation_override", {"RotationId": rotation, "RotationOverrideId": owned["override"]}),
        ("list_rotation_overrides", {"RotationId": rotation, "StartTime": LATER, "EndTime": LATER}),
        ("put_contact_policy", {"ContactArn": contact, "Policy": "{}"}),
        ("get_contact_policy", {"ContactArn": contact}),
        ("list_tags_for_resource", {"ResourceARN": contact}),
        ("tag_resource", {"ResourceARN": rotation, "Tags": [{"Key": "k", "Value": "v"}]}),
        ("untag_resource", {"ResourceARN": contact, "TagKeys": ["k"]}),
    ]


def check_unreachable(
    client: Any, owner: Any, owned: dict[str, str], refusal: Callable[[dict[str, Any]], None]
) -> None:
    for operation, params in calls(owned):
        refusal(refused(getattr(client, operation), **params))
    # Nothing changed for the owner.
    assert owner.get_contact(ContactId=owned["contact"])["Alias"] == "akuam"
    assert "DisplayName" not in owner.get_contact(ContactId=owned["contact"])
    assert owner.get_contact_channel(ContactChannelId=owned["channel"])["Name"] == "mail"
    assert owner.get_rotation(RotationId=owned["rotation"])["ContactIds"] == [owned["contact"]]
    assert owner.get_rotation_override(RotationId=owned["rotation"], RotationOverrideId=owned["override"])


def not_found(error: dict[str, Any]) -> None:
    assert error["Error"]["Code"] == "ResourceNotFoundException", error["Error"]


def test_another_account_cannot_reach_a_contacts_resources(onboarded_contacts, other_contacts, owned):
    check_unreachable(other_contacts, onboarded_contacts, owned, not_found)
    assert other_contacts.list_contacts()["Contacts"] == []
    assert other_contacts.list_rotations()["Rotations"] == []


def test_another_region_of_the_same_account_does_not_see_them(onboarded_contacts, west_contacts, owned, account):
    check_unreachable(west_contacts, onboarded_contacts, owned, not_found)
    assert west_contacts.list_contacts()["Contacts"] == []
    assert west_contacts.list_rotations()["Rotations"] == []
    # Aliases are unique per region: the same alias is free in us-west-2.
    west = west_contacts.create_contact(Alias="akuam", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    assert west == f"arn:aws:ssm-contacts:us-west-2:{account.account_id}:contact/akuam"
    assert [c["ContactArn"] for c in onboarded_contacts.list_contacts()["Contacts"]] == [owned["contact"]]


def test_a_plan_cannot_engage_another_accounts_contact(onboarded_contacts, other_contacts, owned):
    plan = {
        "Stages": [
            {
                "DurationInMinutes": 5,
                "Targets": [{"ContactTargetInfo": {"ContactId": owned["contact"], "IsEssential": True}}],
            }
        ]
    }

    error = refused(other_contacts.create_contact, Alias="esc", Type="ESCALATION", Plan=plan)
    schedule = refused(
        other_contacts.create_contact, Alias="s", Type="ONCALL_SCHEDULE", Plan={"RotationIds": [owned["rotation"]]}
    )
    rotation = refused(
        other_contacts.create_rotation, Name="r", ContactIds=[owned["contact"]], TimeZoneId="UTC", Recurrence=DAILY
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert schedule["Error"]["Code"] == "ValidationException"
    assert rotation["Error"]["Code"] == "ResourceNotFoundException"
