"""TwilioTransport against an HTTP server on loopback that stands in for Twilio's REST API."""

from __future__ import annotations

import base64
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from channel_support import Receiver, make_message

from incidentd.channels import DeliveryError, TwilioTransport, activation_message

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "tok-secret-42"
FROM = "+15005550006"


def twilio(receiver: Receiver, **options: float) -> TwilioTransport:
    return TwilioTransport(SID, TOKEN, FROM, base_url=receiver.url, **options)


def form(body: bytes) -> dict[str, str]:
    parsed = urllib.parse.parse_qs(body.decode(), strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values())
    return {name: values[0] for name, values in parsed.items()}


def test_sms_posts_a_message_with_basic_auth(receiver: Receiver) -> None:
    assert twilio(receiver).send(make_message()) == "SM6656c1e2f3"
    [request] = receiver.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = form(request.body)
    assert set(fields) == {"To", "From", "Body"}
    assert (fields["To"], fields["From"]) == ("+15005550199", FROM)
    assert fields["Body"] == (
        "Database is down\nPrimary DB in us-east-1 stopped answering at 03:12 UTC.\nAccept code: 425440"
    )


def test_sms_uses_the_public_subject_and_content(receiver: Receiver) -> None:
    twilio(receiver).send(make_message(public_subject="Sev 1 incident", public_content="See the console."))
    assert form(receiver.requests[0].body)["Body"] == "Sev 1 incident\nSee the console.\nAccept code: 425440"


def test_long_sms_is_trimmed_but_keeps_the_code(receiver: Receiver) -> None:
    twilio(receiver).send(make_message(content="x" * 5000))
    body = form(receiver.requests[0].body)["Body"]
    assert len(body) == 1600 and body.endswith("…\nAccept code: 425440")


def test_activation_sms(receiver: Receiver) -> None:
    arn = "arn:aws:ssm-contacts:us-east-1:111122223333:contact-channel/akua/8f4c"
    twilio(receiver).send(activation_message("SMS", "+15005550199", "918273", arn, "akua sms"))
    assert form(receiver.requests[0].body)["Body"].endswith("\nActivation code: 918273")


def test_voice_places_a_call_that_reads_the_code_twice(receiver: Receiver) -> None:
    receiver.respond(201, {"sid": "CA1f2e3d"})
    message = make_message(channel_type="VOICE", subject="Disk <full> & failing", content='Host "db-1" is down')
    assert twilio(receiver).send(message) == "CA1f2e3d"
    [request] = receiver.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    fields = form(request.body)
    assert set(fields) == {"To", "From", "Twiml"}
    assert "Disk &lt;full&gt; &amp; failing" in fields["Twiml"]
    root = ET.fromstring(fields["Twiml"])  # fails if anything was left unescaped
    assert root.tag == "Response" and {child.tag for child in root} == {"Say"}
    spoken = " ".join(say.text or "" for say in root)
    assert spoken.startswith('Disk <full> & failing. Host "db-1" is down')
    assert spoken.count("4, 2, 5, 4, 4, 0") == 2


def test_voice_ignores_the_public_text(receiver: Receiver) -> None:
    twilio(receiver).send(make_message(channel_type="VOICE", public_subject="PUBLIC", public_content="PUBLIC"))
    assert "PUBLIC" not in form(receiver.requests[0].body)["Twiml"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_throttling_are_temporary(receiver: Receiver, status: int) -> None:
    receiver.respond(status, {"code": 20429, "message": "Too many requests", "status": status})
    with pytest.raises(DeliveryError) as caught:
        twilio(receiver).send(make_message())
    assert not caught.value.permanent and str(status) in str(caught.value)


def test_client_error_is_permanent_with_twilios_message(receiver: Receiver) -> None:
    receiver.respond(
        400,
        {
            "code": 21211,
            "message": "The 'To' number +1500 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
    )
    with pytest.raises(DeliveryError) as caught:
        twilio(receiver).send(make_message(address="+1500"))
    assert caught.value.permanent
    assert "The 'To' number +1500 is not a valid phone number." in str(caught.value)
    assert "21211" in str(caught.value)


def test_rejected_credentials_are_permanent(receiver: Receiver) -> None:
    receiver.respond(401, {"code": 20003, "message": "Authentication Error - invalid username", "status": 401})
    with pytest.raises(DeliveryError) as caught:
        twilio(receiver).send(make_message())
    assert caught.value.permanent and TOKEN not in str(caught.value)


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.respond(307, b"", {"Location": "/elsewhere"})
    with pytest.raises(DeliveryError) as caught:
        twilio(receiver).send(make_message())
    assert caught.value.permanent and len(receiver.requests) == 1


def test_email_is_not_twilios(receiver: Receiver) -> None:
    with pytest.raises(DeliveryError) as caught:
        twilio(receiver).send(make_message(channel_type="EMAIL", address="a@example.com"))
    assert caught.value.permanent and receiver.requests == []


def test_closed_port_is_temporary(closed_port: int) -> None:
    with pytest.raises(DeliveryError) as caught:
        TwilioTransport(SID, TOKEN, FROM, base_url=f"http://127.0.0.1:{closed_port}").send(make_message())
    assert not caught.value.permanent


def test_silent_server_times_out_as_temporary(silent_port: int) -> None:
    transport = TwilioTransport(SID, TOKEN, FROM, base_url=f"http://127.0.0.1:{silent_port}", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message())
    assert not caught.value.permanent and time.monotonic() - started < 3


def test_describe_leaves_out_the_token() -> None:
    described = TwilioTransport(SID, TOKEN, FROM).describe()
    assert TOKEN not in described and SID in described and "https://api.twilio.com" in described


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        TwilioTransport(SID, TOKEN, FROM, base_url="ftp://api.twilio.com")


def test_accepted_without_a_sid_is_still_sent(receiver: Receiver) -> None:
    receiver.respond(201, b"")
    receipt = twilio(receiver).send(make_message())
    assert receipt and "201" in receipt  # a receipt's ReceiptInfo may not be empty


def test_long_error_text_is_capped_for_the_receipt(receiver: Receiver) -> None:
    receiver.respond(400, {"code": 21617, "message": "m" * 5000})
    with pytest.raises(DeliveryError) as caught:
        twilio(receiver).send(make_message())
    assert caught.value.permanent and len(str(caught.value)) <= 1000
