"""Acknowledging a page from the phone through Twilio's signed callbacks: a text with its code, or 1 on its call."""

from __future__ import annotations

import http.client
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from paging_support import PAGING_CONFIG, onboard
from test_sms_and_voice_paging import PUBLIC, SECURE, only_page, person_with_phone, phone_of, receipts_of

from incidentd.inbound.twilio import signature
from support import Account, Server, wait_until
from twilio_standin import FROM, TwilioStandIn

PUBLIC_URL = "https://incidentd.example.com"  # where Twilio reaches incidentd, through the operator's proxy
REPLY_URL = PUBLIC_URL + "/twilio/sms"


@pytest.fixture(scope="module")
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as running:
        yield running


@pytest.fixture(scope="module")
def replying(own_database: str, twilio: TwilioStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {**twilio.environment(), "INCIDENTD_TWILIO_PUBLIC_URL": PUBLIC_URL}
    running = Server(own_database, tmp_path_factory.mktemp("replies"), PAGING_CONFIG, extra_env=env).start()
    yield running
    running.stop()


def text_back(server: Server, twilio: TwilioStandIn, sender: str, body: str, **overrides: Any) -> tuple[int, str]:
    """POST what Twilio posts for an incoming text, signed as Twilio signs it; the status and the reply text."""
    form = {"AccountSid": twilio.account_sid, "MessageSid": "SM" + "0" * 32, "From": sender, "To": FROM, "Body": body}
    fields = list(form.items())
    sign = overrides.pop("signature", None) or signature(twilio.auth_token, REPLY_URL, fields)
    return post_signed(server, "/twilio/sms", fields, sign, "Message")


def post_signed(server: Server, target: str, fields: list[tuple[str, str]], sign: str, verb: str) -> tuple[int, str]:
    """POST a form to a path (with its query), as Twilio does; the status and the text of the TwiML verb."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign}
        connection.request("POST", target, urllib.parse.urlencode(fields), headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    if response.status != 200:
        return response.status, raw.decode()
    root = ET.fromstring(raw)
    assert response.getheader("content-type") == "text/xml" and root.tag == "Response"
    return 200, "".join(element.text or "" for element in root.iter(verb))


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


def test_without_a_public_url_the_callbacks_are_off(server: Server, twilio: TwilioStandIn) -> None:
    # The shared test server has no Twilio settings at all: a callback can't be checked, so none is taken.
    status, body = text_back(server, twilio, "+15550000001", "123456")
    assert status == 404 and "INCIDENTD_TWILIO_PUBLIC_URL" in body
    status, body = press(server, twilio, f"{PUBLIC_URL}/twilio/voice?page=x", "+15550000001", "1")
    assert status == 404 and "INCIDENTD_TWILIO_PUBLIC_URL" in body


def voice_page(
    server: Server, twilio: TwilioStandIn, account: Account, alias: str, n: int
) -> tuple[Any, str, str, Any]:
    """A person with a VOICE channel, engaged once; (contacts client, engagement, page ARN, the page's call)."""
    onboard(server, account)
    contacts = server.client(account, "ssm-contacts")
    phone = phone_of(account, n)
    contact, _ = person_with_phone(contacts, twilio, alias, "VOICE", phone)
    engagement = contacts.start_engagement(ContactId=contact, Sender="ops-bot", **SECURE)["EngagementArn"]
    (_, call) = twilio.wait_for_requests(phone, count=2)
    return contacts, engagement, only_page(contacts, engagement), call


def press(
    server: Server, twilio: TwilioStandIn, action: str, callee: str, digits: str, **overrides: Any
) -> tuple[int, str]:
    """POST what Twilio posts to a Gather's action when the callee presses keys, signed over the action URL."""
    fields = [("AccountSid", twilio.account_sid), ("CallSid", "CA" + "1" * 32), ("Digits", digits)]
    fields += [("From", FROM), ("To", callee)]
    signed_url = overrides.pop("signed_url", action)
    sign = overrides.pop("signature", None) or signature(twilio.auth_token, signed_url, fields)
    return post_signed(server, action.removeprefix(PUBLIC_URL), fields, sign, "Say")


def gather_of(call: Any) -> ET.Element:
    (gather,) = ET.fromstring(call.form["Twiml"]).iter("Gather")
    return gather


def test_a_page_call_asks_for_a_key_and_pressing_1_acknowledges_the_page(
    replying: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts, engagement, page, call = voice_page(replying, twilio, account, "kwame", 3)
    gather = gather_of(call)
    action = gather.attrib["action"]
    assert action == f"{PUBLIC_URL}/twilio/voice?{urllib.parse.urlencode({'page': page})}"
    assert (gather.attrib["numDigits"], gather.attrib["method"]) == ("1", "POST")
    spoken = " ".join(say.text or "" for say in gather.iter("Say"))
    assert SECURE["Subject"] in spoken and "Press 1 to acknowledge" in spoken
    activation = twilio.to(phone_of(account, 3))[0]  # an activation code is typed into the console, not pressed
    assert "activation code is" in activation.text and not list(ET.fromstring(activation.form["Twiml"]).iter("Gather"))

    assert press(replying, twilio, action, phone_of(account, 3), "1") == (200, "Acknowledged. Goodbye.")

    assert "ReadTime" in contacts.describe_page(PageId=page)
    read = receipts_of(contacts, page)[-1]
    assert (read["ReceiptType"], read["ReceiptInfo"]) == ("READ", call.code())
    assert "StopTime" in contacts.describe_engagement(EngagementId=engagement)
    assert press(replying, twilio, action, phone_of(account, 3), "1")[1].startswith("This page can't")


def test_another_key_another_callee_or_a_forged_callback_acknowledges_nothing(
    replying: Server, twilio: TwilioStandIn, account: Account
) -> None:
    contacts, engagement, page, call = voice_page(replying, twilio, account, "abena", 4)
    action = gather_of(call).attrib["action"]

    assert press(replying, twilio, action, phone_of(account, 4), "2")[1].startswith("The page is not acknowledged")
    assert press(replying, twilio, action, "+15550000002", "1")[1].startswith("This page can't")
    forged = signature("not-the-auth-token", action, [("Digits", "1")])
    assert press(replying, twilio, action, phone_of(account, 4), "1", signature=forged)[0] == 403
    # Twilio signs the URL with its query: a signature for one page's action does not carry over to another's.
    other = action.replace("page%2F", "page%2Fx")
    assert other != action
    assert press(replying, twilio, other, phone_of(account, 4), "1", signed_url=action)[0] == 403

    assert "ReadTime" not in contacts.describe_page(PageId=page)
    assert "StopTime" not in contacts.describe_engagement(EngagementId=engagement)
