"""Pages reach phones through Twilio's REST API: activation codes, SMS and voice pages, and Twilio's failures.

The server of this module sends to a Twilio stand-in on loopback (tests/twilio_standin.py) that is shared by the
module's tests, so each test uses phone numbers of its own.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from paging_support import PAGING_CONFIG, onboard

from incidentd.store import queue
from incidentd.store.db import Database
from support import Account, Server, refused, wait_until
from twilio_standin import FROM, TwilioStandIn, twilio_error

SECURE = {"Subject": "Primary database db-7 is down", "Content": "Replica lag 40 s on db-7.internal, failover pending"}
PUBLIC = {"PublicSubject": "Sev 1 incident", "PublicContent": "Open the Incident Manager console"}


@pytest.fixture(scope="module")
def twilio() -> Iterator[TwilioStandIn]:
    """A Twilio stand-in that answers every message and call with 201, unless told to fail for a number."""
    with TwilioStandIn() as running:
        yield running


@pytest.fixture(scope="module")
def phone_server(
    own_database: str, twilio: TwilioStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A running server that pages SMS and VOICE channels through the stand-in, on a database of its own.

    Not the shared test server's database: that server's worker has no Twilio and would claim these pages.
    """
    workdir = tmp_path_factory.mktemp("phone")
    running = Server(own_database, workdir, PAGING_CONFIG, extra_env=twilio.environment()).start()
    yield running
    running.stop()


def phone_of(account: Account, n: int = 0) -> str:
    """A phone number no other test's channel has (the stand-in is shared by the module)."""
    return f"+4420{int(account.account_id) % 10**6:06d}{n}"


def contacts_of(server: Server, account: Account):  # type: ignore[no-untyped-def]
    """The ssm-contacts client of the account, onboarded: its replication set is ACTIVE."""
    onboard(server, account)
    return server.client(account, "ssm-contacts")


def person_with_phone(contacts, twilio: TwilioStandIn, alias: str, channel_type: str, phone: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A personal contact with a phone channel activated with the code Twilio delivered to it."""
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact, Name=f"{alias} phone", Type=channel_type, DeliveryAddress={"SimpleAddress": phone}
    )["ContactChannelArn"]
    (activation,) = twilio.wait_for_requests(phone)
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())
    return contact, channel


def receipts_of(contacts, page: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return contacts.list_page_receipts(PageId=page)["Receipts"]  # type: ignore[no-any-return]


def only_page(contacts, engagement: str) -> str:  # type: ignore[no-untyped-def]
    (page,) = contacts.list_pages_by_engagement(EngagementId=engagement)["Pages"]
    return str(page["PageArn"])


def pending_deliveries(server: Server, account: Account) -> list[dict[str, Any]]:
    db = Database(server.database_url)
    try:
        with db.read() as conn:
            return queue.pending(conn, account_id=account.account_id, kind="page.deliver")
    finally:
        db.dispose()


def page_through_one_stage(contacts, contact: str, channel: str, retry_minutes: int) -> str:  # type: ignore[no-untyped-def]
    """Give the contact a plan of one stage on the channel, engage it; the page's ARN."""
    target = {"ChannelTargetInfo": {"ContactChannelId": channel, "RetryIntervalInMinutes": retry_minutes}}
    contacts.update_contact(ContactId=contact, Plan={"Stages": [{"DurationInMinutes": 0, "Targets": [target]}]})
    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE)["EngagementArn"]
    return only_page(contacts, engagement)


def test_a_new_sms_channel_is_texted_its_activation_code_and_only_that_code_activates_it(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    contact = contacts.create_contact(Alias="akua", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    phone = phone_of(account)

    channel = contacts.create_contact_channel(
        ContactId=contact, Name="akua phone", Type="SMS", DeliveryAddress={"SimpleAddress": phone}
    )["ContactChannelArn"]

    (text,) = twilio.wait_for_requests(phone)
    assert text.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert text.basic_auth == (twilio.account_sid, twilio.auth_token)
    assert (text.form["To"], text.form["From"]) == (phone, FROM)
    code = text.code()
    assert text.form["Body"].endswith(f"\nActivation code: {code}")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    error = refused(contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode=wrong)
    assert error["Error"]["Code"] == "ValidationException"
    assert contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"] == "NOT_ACTIVATED"
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code)
    assert contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"] == "ACTIVATED"


def test_an_sms_page_shows_the_public_text_with_the_accept_code_and_that_code_acknowledges_it(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    phone = phone_of(account)
    contact, channel = person_with_phone(contacts, twilio, "nana", "SMS", phone)

    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE, **PUBLIC)["EngagementArn"]

    (_, text) = twilio.wait_for_requests(phone, count=2)
    assert text.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert text.basic_auth == (twilio.account_sid, twilio.auth_token)
    body = text.form["Body"]
    code = text.code()
    assert body == f"{PUBLIC['PublicSubject']}\n{PUBLIC['PublicContent']}\nAccept code: {code}"
    assert SECURE["Subject"] not in body and SECURE["Content"] not in body
    page = only_page(contacts, engagement)
    # The SENT receipt carries Twilio's message sid.
    (sent,) = wait_until(lambda: receipts_of(contacts, page))
    assert (sent["ReceiptType"], sent["ContactChannelArn"], sent["ReceiptInfo"]) == ("SENT", channel, text.sid)
    contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode=code)
    described = contacts.describe_page(PageId=page)
    assert described["ReadTime"] >= described["SentTime"]
    assert [r["ReceiptType"] for r in receipts_of(contacts, page)] == ["SENT", "READ"]
    assert "StopTime" in contacts.describe_engagement(EngagementId=engagement)


def test_a_voice_channel_is_called_and_the_call_reads_the_accept_code(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    phone = phone_of(account)
    contact, channel = person_with_phone(contacts, twilio, "kofi", "VOICE", phone)
    (activation_call,) = twilio.to(phone)
    assert activation_call.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Calls.json"
    assert "activation code is" in activation_call.text

    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE, **PUBLIC)["EngagementArn"]

    (_, call) = twilio.wait_for_requests(phone, count=2)
    assert call.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Calls.json"
    assert call.basic_auth == (twilio.account_sid, twilio.auth_token)
    assert (call.form["To"], call.form["From"]) == (phone, FROM)
    assert set(call.form) == {"To", "From", "Twiml"}
    root = ET.fromstring(call.form["Twiml"])
    assert root.tag == "Response" and {child.tag for child in root} == {"Say"}
    code = call.code()
    spoken = call.text
    assert SECURE["Subject"] in spoken and SECURE["Content"] in spoken
    assert spoken.count(f"accept code is {', '.join(code)}.") == 2
    page = only_page(contacts, engagement)
    (sent,) = wait_until(lambda: receipts_of(contacts, page))
    assert (sent["ReceiptType"], sent["ContactChannelArn"], sent["ReceiptInfo"]) == ("SENT", channel, call.sid)
    contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode=code)
    assert "ReadTime" in contacts.describe_page(PageId=page)
    assert "StopTime" in contacts.describe_engagement(EngagementId=engagement)


def test_twilio_failing_with_500_is_an_error_receipt_and_the_page_is_tried_again_after_the_retry_interval(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    phone = phone_of(account)
    contact, channel = person_with_phone(contacts, twilio, "ama", "SMS", phone)
    twilio.fail(phone, 500, twilio_error(20500, "Internal Server Error", status=500))

    page = page_through_one_stage(contacts, contact, channel, retry_minutes=3)

    (error,) = wait_until(lambda: receipts_of(contacts, page))
    assert (error["ReceiptType"], error["ContactChannelArn"]) == ("ERROR", channel)
    assert "HTTP 500" in error["ReceiptInfo"]
    assert [r.status for r in twilio.to(phone)] == [201, 500]
    assert "SentTime" not in contacts.describe_page(PageId=page)
    (retry,) = pending_deliveries(phone_server, account)
    assert (retry["payload"]["channelArn"], retry["payload"]["attempt"]) == (channel, 2)
    assert retry["run_at_ms"] - retry["created_ms"] == 3 * 60_000  # the target's RetryIntervalInMinutes


def test_twilio_refusing_the_number_is_an_error_receipt_with_twilios_message_and_no_retry(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    phone = phone_of(account)
    contact, channel = person_with_phone(contacts, twilio, "yaw", "SMS", phone)
    refusal = f"The 'To' number {phone} is not a valid phone number."
    twilio.fail(phone, 400, twilio_error(21211, refusal))

    page = page_through_one_stage(contacts, contact, channel, retry_minutes=1)

    (error,) = wait_until(lambda: receipts_of(contacts, page))
    assert (error["ReceiptType"], error["ContactChannelArn"]) == ("ERROR", channel)
    assert "HTTP 400" in error["ReceiptInfo"]
    assert f"{refusal} (code 21211)" in error["ReceiptInfo"]
    # The receipt and any retry are written in one transaction: once the receipt shows, no retry means none.
    assert pending_deliveries(phone_server, account) == []
    assert [r.status for r in twilio.to(phone)] == [201, 400]


def test_the_sms_of_an_engagement_without_public_text_shows_its_subject_and_content(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    phone = phone_of(account)
    contact, _ = person_with_phone(contacts, twilio, "esi", "SMS", phone)

    contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE)

    (_, text) = twilio.wait_for_requests(phone, count=2)
    assert text.form["Body"] == f"{SECURE['Subject']}\n{SECURE['Content']}\nAccept code: {text.code()}"


def test_a_channel_still_waiting_for_its_activation_code_is_not_paged(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts = contacts_of(phone_server, account)
    active, waiting = phone_of(account, 1), phone_of(account, 2)
    contact, channel = person_with_phone(contacts, twilio, "adwoa", "SMS", active)
    pending = contacts.create_contact_channel(
        ContactId=contact, Name="adwoa home", Type="SMS", DeliveryAddress={"SimpleAddress": waiting}
    )["ContactChannelArn"]
    twilio.wait_for_requests(waiting)  # its activation code, never used

    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE)["EngagementArn"]

    page = only_page(contacts, engagement)
    (sent,) = wait_until(lambda: receipts_of(contacts, page))
    assert (sent["ReceiptType"], sent["ContactChannelArn"]) == ("SENT", channel)
    wait_until(lambda: pending_deliveries(phone_server, account) == [])
    assert len(twilio.to(waiting)) == 1
    assert pending not in [r.get("ContactChannelArn") for r in receipts_of(contacts, page)]


def test_paging_through_the_receipts_returns_each_once_when_twilio_answers_after_the_page_was_read(
    phone_server: Server, twilio: TwilioStandIn, account: Account
) -> None:
    # Twilio takes its time to answer; meanwhile the responder reads the text and acknowledges the page.
    contacts = contacts_of(phone_server, account)
    phone = phone_of(account)
    contact, _ = person_with_phone(contacts, twilio, "abena", "SMS", phone)
    answer = twilio.hold(phone)
    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE)["EngagementArn"]
    page = only_page(contacts, engagement)
    try:
        (_, text) = twilio.wait_for_requests(phone, count=2)
        time.sleep(0.05)
        contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode=text.code())
    finally:
        answer.set()
    everything = wait_until(lambda: len(found := receipts_of(contacts, page)) == 2 and found)
    assert sorted(r["ReceiptType"] for r in everything) == ["READ", "SENT"]

    one_at_a_time: list[dict[str, Any]] = []
    params: dict[str, Any] = {"PageId": page, "MaxResults": 1}
    while True:
        answer_page = contacts.list_page_receipts(**params)
        one_at_a_time += answer_page["Receipts"]
        if "NextToken" not in answer_page or len(one_at_a_time) > 2:
            break
        params["NextToken"] = answer_page["NextToken"]

    assert one_at_a_time == everything
