"""Acknowledging an SMS page by texting back its accept code, through Twilio's signed incoming-message webhook."""

from __future__ import annotations

import http.client
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from paging_support import PAGING_CONFIG, onboard
from test_sms_and_voice_paging import PUBLIC, SECURE, only_page, person_with_phone, phone_of, receipts_of

from incidentd.channels.sms_replies import signature
from support import Account, Server, wait_until
from twilio_standin import FROM, TwilioStandIn

REPLY_URL = "https://incidentd.example.com/twilio/sms"  # where Twilio posts through the operator's proxy


@pytest.fixture(scope="module")
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as running:
        yield running


@pytest.fixture(scope="module")
def replying(own_database: str, twilio: TwilioStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {**twilio.environment(), "INCIDENTD_TWILIO_REPLY_URL": REPLY_URL}
    running = Server(own_database, tmp_path_factory.mktemp("replies"), PAGING_CONFIG, extra_env=env).start()
    yield running
    running.stop()


def text_back(server: Server, twilio: TwilioStandIn, sender: str, body: str, **overrides: Any) -> tuple[int, str]:
    """POST what Twilio posts for an incoming text, signed as Twilio signs it; the status and the reply text."""
    form = {"AccountSid": twilio.account_sid, "MessageSid": "SM" + "0" * 32, "From": sender, "To": FROM, "Body": body}
    fields = list(form.items())
    sign = overrides.pop("signature", None) or signature(twilio.auth_token, REPLY_URL, fields)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign}
        connection.request("POST", "/twilio/sms", urllib.parse.urlencode(fields), headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    if response.status != 200:
        return response.status, raw.decode()
    root = ET.fromstring(raw)
    assert response.getheader("content-type") == "text/xml" and root.tag == "Response"
    return 200, "".join(message.text or "" for message in root.iter("Message"))


def sms_page(server: Server, twilio: TwilioStandIn, account: Account, alias: str, n: int) -> tuple[Any, str, str, str]:
    """A person with an SMS channel, engaged once; (contacts client, engagement, page ARN, the code texted)."""
    onboard(server, account)
    contacts = server.client(account, "ssm-contacts")
    phone = phone_of(account, n)
    contact, _ = person_with_phone(contacts, twilio, alias, "SMS", phone)
    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE, **PUBLIC)["EngagementArn"]
    (_, text) = twilio.wait_for_requests(phone, count=2)
    return contacts, engagement, only_page(contacts, engagement), text.code()


def test_the_twilio_signature_is_twilios_own_algorithm() -> None:
    # The example of Twilio's request-validation documentation and client libraries.
    fields = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234")]
    fields += [("From", "+14158675309"), ("To", "+18005551212")]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, fields) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_replying_with_the_code_acknowledges_the_page_and_stops_the_engagement(
    replying: Server, twilio: TwilioStandIn, account: Account
) -> None:
    server = replying
    contacts, engagement, page, code = sms_page(server, twilio, account, "ama", 0)
    wait_until(lambda: receipts_of(contacts, page))  # SENT

    status, reply = text_back(server, twilio, phone_of(account, 0), f"ack {code}")

    assert (status, reply) == (200, f"Acknowledged: {PUBLIC['PublicSubject']}")
    assert "ReadTime" in contacts.describe_page(PageId=page)
    (_, read) = receipts_of(contacts, page)
    (channel,) = contacts.list_contact_channels(ContactId=contacts.describe_page(PageId=page)["ContactArn"])[
        "ContactChannels"
    ]
    assert (read["ReceiptType"], read["ReceiptInfo"], read["ContactChannelArn"]) == (
        "READ",
        code,
        channel["ContactChannelArn"],
    )
    assert "StopTime" in contacts.describe_engagement(EngagementId=engagement)
    # A second reply finds nothing left to acknowledge.
    assert text_back(server, twilio, phone_of(account, 0), code)[1].startswith("No unacknowledged page")


def test_a_reply_acknowledges_nothing_unless_its_number_received_the_code(
    replying: Server, twilio: TwilioStandIn, account: Account
) -> None:
    server = replying
    contacts, engagement, page, code = sms_page(server, twilio, account, "yaw", 1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    assert text_back(server, twilio, phone_of(account, 1), wrong)[1].startswith("No unacknowledged page")
    assert text_back(server, twilio, "+15550000000", code)[1].startswith("No unacknowledged page")
    assert text_back(server, twilio, phone_of(account, 1), "on my way")[1].startswith("To acknowledge a page")

    assert "ReadTime" not in contacts.describe_page(PageId=page)
    assert "StopTime" not in contacts.describe_engagement(EngagementId=engagement)


def test_an_unsigned_or_forged_reply_is_refused_and_changes_nothing(
    replying: Server, twilio: TwilioStandIn, account: Account
) -> None:
    server = replying
    contacts, engagement, page, code = sms_page(server, twilio, account, "esi", 2)
    forged = signature("not-the-auth-token", REPLY_URL, [("Body", code)])

    status, _ = text_back(server, twilio, phone_of(account, 2), code, signature=forged)

    assert status == 403
    assert "ReadTime" not in contacts.describe_page(PageId=page)
    assert "StopTime" not in contacts.describe_engagement(EngagementId=engagement)


def test_without_a_reply_url_the_webhook_is_off(server: Server, twilio: TwilioStandIn) -> None:
    # The shared test server has no Twilio settings at all: a reply can't be checked, so none is taken.
    status, body = text_back(server, twilio, "+15550000001", "123456")
    assert status == 404 and "INCIDENTD_TWILIO_REPLY_URL" in body
