"""Activation and accept codes can't be guessed, and nobody can pump SMS through SendActivationCode (issue 17).

A 6-digit code falls to 10**6 guesses; before, 300 wrong activation codes in 0.8 s met no lockout, so a tenant could
activate a phone it does not own, and SendActivationCode sent as many texts as it was called.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import refused

LIMIT = 5  # wrong codes before a code is spent ([paging] wrong_code_limit's default)
SENDS_PER_HOUR = 5  # [paging] activation_codes_per_hour's default
MESSAGE = {"Sender": "ops", "Subject": "Checkout down", "Content": "Checkout is failing"}


def activation_code(rows, channel: str) -> str:  # type: ignore[no-untyped-def]
    (row,) = rows("SELECT activation_code FROM contact_channels WHERE arn = :arn", arn=channel)
    return str(row["activation_code"])


def other_than(code: str, offset: int = 1) -> str:
    return f"{(int(code) + offset) % 10**6:06d}"


def sms_channel(contacts, contact: str, **extra: Any) -> str:  # type: ignore[no-untyped-def]
    return str(
        contacts.create_contact_channel(
            ContactId=contact, Name="phone", Type="SMS", DeliveryAddress={"SimpleAddress": "+15555550100"}, **extra
        )["ContactChannelArn"]
    )


def test_guessing_activation_codes_spends_the_code_after_five_wrong_ones(onboarded_contacts, new_contact, rows):
    channel = sms_channel(onboarded_contacts, new_contact("guessed"))
    code = activation_code(rows, channel)

    errors = []
    for offset in range(1, 300):  # the attack: every code but the right one, as fast as the server answers
        error = refused(
            onboarded_contacts.activate_contact_channel,
            ContactChannelId=channel,
            ActivationCode=other_than(code, offset),
        )
        errors.append(error["Error"])
        if offset > LIMIT + 2:
            break
    assert all(e["Code"] == "ValidationException" for e in errors)
    assert "too many wrong" in errors[LIMIT]["Message"] and "send a new code" in errors[LIMIT]["Message"]
    # The right code no longer activates the channel: the attacker can't keep guessing until it does.
    late = refused(onboarded_contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode=code)
    assert late["Error"]["Code"] == "ValidationException" and "send a new code" in late["Error"]["Message"]
    got = onboarded_contacts.get_contact_channel(ContactChannelId=channel)
    assert got["ActivationStatus"] == "NOT_ACTIVATED"
    assert not any(key.startswith("_") for key in got)  # the counters never leave the server

    onboarded_contacts.send_activation_code(ContactChannelId=channel)
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation_code(rows, channel))
    assert onboarded_contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"] == "ACTIVATED"


def test_fewer_wrong_codes_than_the_limit_leave_the_code_usable(onboarded_contacts, new_contact, rows):
    channel = sms_channel(onboarded_contacts, new_contact("typo"))
    code = activation_code(rows, channel)
    for offset in range(1, LIMIT):
        error = refused(
            onboarded_contacts.activate_contact_channel,
            ContactChannelId=channel,
            ActivationCode=other_than(code, offset),
        )
        assert error["Error"]["Message"] == "Invalid value provided - activation code"
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code)


def test_send_activation_code_is_limited_per_channel(onboarded_contacts, new_contact, rows):
    channel = sms_channel(onboarded_contacts, new_contact("pumped"))  # its first code counts
    for _ in range(SENDS_PER_HOUR - 1):
        onboarded_contacts.send_activation_code(ContactChannelId=channel)
    error = refused(onboarded_contacts.send_activation_code, ContactChannelId=channel)
    assert error["Error"]["Code"] == "ThrottlingException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    jobs = rows("SELECT payload FROM jobs WHERE kind = 'contacts.send_activation_code'")
    sent = [job for job in jobs if json.loads(job["payload"]) == {"channelArn": channel}]  # not the retries
    assert len(sent) == SENDS_PER_HOUR
    # Moving the channel to a new number sends a code too, so it can't be used to get round the limit.
    moved = refused(
        onboarded_contacts.update_contact_channel,
        ContactChannelId=channel,
        DeliveryAddress={"SimpleAddress": "+15555550199"},
    )
    assert moved["Error"]["Code"] == "ThrottlingException"


@pytest.fixture
def page_of(onboarded_contacts, new_contact):  # type: ignore[no-untyped-def]
    """A page of a new contact, through StartEngagement; its ARN."""

    def make(alias: str) -> str:
        person = new_contact(alias)
        engagement = onboarded_contacts.start_engagement(ContactId=person, **MESSAGE)["EngagementArn"]
        (page,) = onboarded_contacts.list_pages_by_engagement(EngagementId=engagement)["Pages"]
        return str(page["PageArn"])

    return make


def accept_code(rows, page: str) -> str:  # type: ignore[no-untyped-def]
    (row,) = rows("SELECT accept_code FROM pages WHERE arn = :arn", arn=page)
    return str(row["accept_code"])


def test_guessing_accept_codes_spends_the_page_code_after_five(onboarded_contacts, page_of, rows):
    page = page_of("acked")
    code = accept_code(rows, page)
    for offset in range(1, LIMIT + 2):
        error = refused(
            onboarded_contacts.accept_page, PageId=page, AcceptType="READ", AcceptCode=other_than(code, offset)
        )
        assert error["Error"]["Code"] == "ValidationException"
    late = refused(onboarded_contacts.accept_page, PageId=page, AcceptType="READ", AcceptCode=code)
    assert "too many wrong" in late["Error"]["Message"]
    assert onboarded_contacts.list_page_receipts(PageId=page)["Receipts"] == []
    # AcceptCodeValidation IGNORE is AWS's way to acknowledge without the code: it still works for the caller.
    onboarded_contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode="000000", AcceptCodeValidation="IGNORE")
    assert [r["ReceiptType"] for r in onboarded_contacts.list_page_receipts(PageId=page)["Receipts"]] == ["READ"]
