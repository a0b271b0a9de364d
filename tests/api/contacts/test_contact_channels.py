"""CreateContactChannel, GetContactChannel, UpdateContactChannel, DeleteContactChannel, ListContactChannels (§4.3)."""

from __future__ import annotations

import re

import pytest

from support import refused, status_of

CHANNEL_ARN = re.compile(r"^arn:aws:ssm-contacts:us-east-1:(\d{12}):contact-channel/akuam/[0-9a-f-]{36}$")


def test_a_channel_is_created_on_a_personal_contact_not_activated(onboarded_contacts, new_contact, account):
    contact = new_contact("akuam")

    response = onboarded_contacts.create_contact_channel(
        ContactId=contact, Name="akuas sms", Type="SMS", DeliveryAddress={"SimpleAddress": "+15005550199"}
    )

    arn = response["ContactChannelArn"]
    match = CHANNEL_ARN.match(arn)
    assert match and match.group(1) == account.account_id
    got = onboarded_contacts.get_contact_channel(ContactChannelId=arn)
    assert {k: got[k] for k in ("ContactChannelArn", "ContactArn", "Name", "Type", "DeliveryAddress")} == {
        "ContactChannelArn": arn,
        "ContactArn": contact,
        "Name": "akuas sms",
        "Type": "SMS",
        "DeliveryAddress": {"SimpleAddress": "+15005550199"},
    }
    assert got["ActivationStatus"] == "NOT_ACTIVATED"


@pytest.mark.parametrize("contact_type", ["ESCALATION", "ONCALL_SCHEDULE"])
def test_only_personal_contacts_have_channels(onboarded_contacts, new_contact, contact_type):
    contact = new_contact("plan", contact_type)

    error = refused(
        onboarded_contacts.create_contact_channel,
        ContactId=contact,
        Name="mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": "a@example.com"},
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert "only PERSONAL contacts" in error["Error"]["Message"]


@pytest.mark.parametrize(
    ("channel_type", "address", "accepted"),
    [
        ("EMAIL", "oncall@example.com", True),
        ("EMAIL", "first.last+tag@sub.example.org", True),
        ("EMAIL", "not-an-email", False),
        ("EMAIL", "a@b", False),
        ("EMAIL", "+15005550199", False),
        ("SMS", "+15005550199", True),
        ("VOICE", "+442071838750", True),
        ("SMS", "15005550199", False),
        ("VOICE", "+1 500 555 0199", False),
        ("SMS", "+1234567", False),
        ("SMS", "+1234567890123456", False),
        ("VOICE", "oncall@example.com", False),
    ],
)
def test_the_address_must_suit_the_channel_type(onboarded_contacts, new_contact, channel_type, address, accepted):
    contact = new_contact("akuam")

    def create():  # type: ignore[no-untyped-def]
        return onboarded_contacts.create_contact_channel(
            ContactId=contact, Name="c", Type=channel_type, DeliveryAddress={"SimpleAddress": address}
        )

    if accepted:
        assert create()["ContactChannelArn"]
    else:
        assert refused(create)["Error"]["Code"] == "ValidationException"
        assert onboarded_contacts.list_contact_channels(ContactId=contact)["ContactChannels"] == []


def test_a_channel_of_a_missing_contact_is_not_found(onboarded_contacts, new_contact):
    contact = new_contact("akuam")

    error = refused(
        onboarded_contacts.create_contact_channel,
        ContactId=contact + "x",
        Name="mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": "a@example.com"},
    )

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResourceType"] == "CONTACT"


def test_update_renames_and_keeps_the_address_and_status(onboarded_contacts, new_contact, new_channel, rows):
    channel = new_channel(new_contact("akuam"))

    onboarded_contacts.update_contact_channel(ContactChannelId=channel, Name="work mail")

    got = onboarded_contacts.get_contact_channel(ContactChannelId=channel)
    assert (got["Name"], got["DeliveryAddress"]) == ("work mail", {"SimpleAddress": "oncall@example.com"})
    assert rows("SELECT kind FROM jobs WHERE payload LIKE :p", p=f"%{channel}%") == []


def test_a_new_address_must_suit_the_type(onboarded_contacts, new_contact, new_channel):
    channel = new_channel(new_contact("akuam"))

    error = refused(
        onboarded_contacts.update_contact_channel, ContactChannelId=channel, DeliveryAddress={"SimpleAddress": "+1555"}
    )

    assert error["Error"]["Code"] == "ValidationException"
    got = onboarded_contacts.get_contact_channel(ContactChannelId=channel)
    assert got["DeliveryAddress"] == {"SimpleAddress": "oncall@example.com"}


def test_delete_removes_the_channel_and_leaves_the_plan_alone(onboarded_contacts, new_contact, new_channel):
    contact = new_contact("akuam")
    channel = new_channel(contact)
    plan = {"Stages": [{"DurationInMinutes": 5, "Targets": [{"ChannelTargetInfo": {"ContactChannelId": channel}}]}]}
    onboarded_contacts.update_contact(ContactId=contact, Plan=plan)

    response = onboarded_contacts.delete_contact_channel(ContactChannelId=channel)

    assert status_of(response) == 200
    error = refused(onboarded_contacts.get_contact_channel, ContactChannelId=channel)
    assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "CONTACT_CHANNEL")
    assert onboarded_contacts.get_contact(ContactId=contact)["Plan"] == plan
    again = refused(onboarded_contacts.delete_contact_channel, ContactChannelId=channel)
    assert again["Error"]["Code"] == "ResourceNotFoundException"


def test_list_channels_oldest_first_across_pages(onboarded_contacts, new_contact, new_channel):
    contact, other = new_contact("akuam"), new_contact("alejr")
    made = [new_channel(contact, name=f"channel {i}") for i in range(5)]
    new_channel(other)

    pages, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        response = onboarded_contacts.list_contact_channels(ContactId=contact, MaxResults=2, **extra)
        pages.append([c["Name"] for c in response["ContactChannels"]])
        token = response.get("NextToken")
        if not token:
            break

    assert pages == [["channel 0", "channel 1"], ["channel 2", "channel 3"], ["channel 4"]]
    listed = onboarded_contacts.list_contact_channels(ContactId=contact)["ContactChannels"]
    assert [c["ContactChannelArn"] for c in listed] == made
    assert all(c["ActivationStatus"] == "NOT_ACTIVATED" and c["ContactArn"] == contact for c in listed)


def test_listing_channels_of_a_missing_contact_is_not_found(onboarded_contacts, new_contact):
    error = refused(onboarded_contacts.list_contact_channels, ContactId=new_contact("akuam") + "x")

    assert error["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "operation", ["get_contact_channel", "delete_contact_channel", "deactivate_contact_channel", "send_activation_code"]
)
def test_a_missing_channel_is_not_found(onboarded_contacts, new_contact, new_channel, operation):
    channel = new_channel(new_contact("akuam"))
    missing = channel[:-12] + "000000000000"

    error = refused(getattr(onboarded_contacts, operation), ContactChannelId=missing)

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert (error["ResourceId"], error["ResourceType"]) == (missing, "CONTACT_CHANNEL")
