"""Activation codes: sent through a job in the same transaction, accepted once, reset by a new address (§4.3)."""

from __future__ import annotations

import json

from support import refused

KIND = "contacts.send_activation_code"


def code_of(rows, channel: str) -> str | None:  # type: ignore[no-untyped-def]
    found = rows("SELECT activation_code FROM contact_channels WHERE arn = :arn", arn=channel)
    assert len(found) == 1
    return found[0]["activation_code"]  # type: ignore[no-any-return]


def jobs_for(rows, account, channel: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """The delivery jobs the API queued: the delivery job's own follow-ups (retries) carry more in their payload."""
    found = rows("SELECT * FROM jobs WHERE account_id = :a AND kind = :k", a=account.account_id, k=KIND)
    queued = [job for job in found if set(json.loads(job["payload"])) == {"channelArn"}]
    return [job for job in queued if channel is None or json.loads(job["payload"])["channelArn"] == channel]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def status(contacts, channel: str) -> str:  # type: ignore[no-untyped-def]
    return str(contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"])


def test_creating_a_channel_issues_a_code_and_queues_exactly_one_delivery(
    onboarded_contacts, new_contact, new_channel, rows, account
):
    channel = new_channel(new_contact("akuam"), DeferActivation=False)

    code = code_of(rows, channel)
    assert code is not None and len(code) == 6 and code.isdigit()
    jobs = jobs_for(rows, account)
    assert len(jobs) == 1
    assert json.loads(jobs[0]["payload"]) == {"channelArn": channel}


def test_deferred_activation_issues_no_code_and_queues_nothing(
    onboarded_contacts, new_contact, new_channel, rows, account
):
    channel = new_channel(new_contact("akuam"), DeferActivation=True)

    assert code_of(rows, channel) is None
    assert jobs_for(rows, account) == []
    error = refused(onboarded_contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode="123456")
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "Invalid value provided - activation code"


def test_a_refused_channel_queues_nothing(onboarded_contacts, new_contact, rows, account):
    contact = new_contact("akuam")

    refused(
        onboarded_contacts.create_contact_channel,
        ContactId=contact,
        Name="bad",
        Type="SMS",
        DeliveryAddress={"SimpleAddress": "call me"},
    )

    assert jobs_for(rows, account) == []


def test_only_the_code_sent_activates_the_channel_and_only_once(onboarded_contacts, new_contact, new_channel, rows):
    channel = new_channel(new_contact("akuam"), DeferActivation=False)
    code = code_of(rows, channel)
    assert code is not None

    error = refused(onboarded_contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode=wrong(code))
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "Invalid value provided - activation code"
    assert status(onboarded_contacts, channel) == "NOT_ACTIVATED"

    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code)

    assert status(onboarded_contacts, channel) == "ACTIVATED"
    assert code_of(rows, channel) is None
    spent = refused(onboarded_contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode=code)
    assert spent["Error"]["Code"] == "ValidationException"


def test_send_activation_code_replaces_the_code_and_queues_a_delivery(
    onboarded_contacts, new_contact, new_channel, rows, account
):
    channel = new_channel(new_contact("akuam"), DeferActivation=True)

    onboarded_contacts.send_activation_code(ContactChannelId=channel)
    first = code_of(rows, channel)
    onboarded_contacts.send_activation_code(ContactChannelId=channel)
    second = code_of(rows, channel)

    assert first is not None and second is not None
    assert len(jobs_for(rows, account, channel)) == 2
    if first != second:  # one chance in a million that the new code equals the old one
        old = refused(onboarded_contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode=first)
        assert old["Error"]["Code"] == "ValidationException"
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=second)
    assert status(onboarded_contacts, channel) == "ACTIVATED"


def test_an_active_channel_needs_no_new_code(onboarded_contacts, new_contact, new_channel, rows, account):
    channel = new_channel(new_contact("akuam"), DeferActivation=False)
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code_of(rows, channel))

    error = refused(onboarded_contacts.send_activation_code, ContactChannelId=channel)

    assert error["Error"]["Code"] == "ValidationException"
    assert len(jobs_for(rows, account, channel)) == 1


def test_deactivate_and_reactivate_with_a_new_code(onboarded_contacts, new_contact, new_channel, rows):
    channel = new_channel(new_contact("akuam"), DeferActivation=False)
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code_of(rows, channel))

    onboarded_contacts.deactivate_contact_channel(ContactChannelId=channel)
    assert status(onboarded_contacts, channel) == "NOT_ACTIVATED"

    onboarded_contacts.send_activation_code(ContactChannelId=channel)
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code_of(rows, channel))
    assert status(onboarded_contacts, channel) == "ACTIVATED"


def test_a_new_address_resets_activation_and_sends_a_new_code(
    onboarded_contacts, new_contact, new_channel, rows, account
):
    channel = new_channel(new_contact("akuam"), DeferActivation=False)
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code_of(rows, channel))

    onboarded_contacts.update_contact_channel(
        ContactChannelId=channel, DeliveryAddress={"SimpleAddress": "new@example.com"}
    )

    got = onboarded_contacts.get_contact_channel(ContactChannelId=channel)
    assert (got["ActivationStatus"], got["DeliveryAddress"]) == ("NOT_ACTIVATED", {"SimpleAddress": "new@example.com"})
    assert code_of(rows, channel) is not None
    assert len(jobs_for(rows, account, channel)) == 2


def test_the_same_address_again_changes_nothing(onboarded_contacts, new_contact, new_channel, rows, account):
    channel = new_channel(new_contact("akuam"), DeferActivation=False)
    onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code_of(rows, channel))

    onboarded_contacts.update_contact_channel(
        ContactChannelId=channel, DeliveryAddress={"SimpleAddress": "oncall@example.com"}
    )

    assert status(onboarded_contacts, channel) == "ACTIVATED"
    assert len(jobs_for(rows, account, channel)) == 1
