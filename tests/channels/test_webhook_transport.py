"""WebhookTransport against an HTTP server on loopback, and the signature its receivers check."""

from __future__ import annotations

import json
import uuid

import pytest
from channel_support import Receiver, make_message

from incidentd.channels import DeliveryError, WebhookTransport, verify_signature
from incidentd.channels.webhook import sign

SECRET = "whsec-0f1e2d3c"
NOW = 1_718_000_000.0


def webhook(receiver: Receiver) -> WebhookTransport:
    return WebhookTransport(receiver.url + "/pages", SECRET, clock=lambda: NOW)


def test_posts_signed_json(receiver: Receiver) -> None:
    receiver.respond(204)
    message = make_message(channel_type="VOICE", public_subject="Sev 1")
    returned = webhook(receiver).send(message)
    [request] = receiver.requests
    assert request.path == "/pages"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Incidentd-Timestamp"] == "1718000000"
    document = json.loads(request.body)
    assert document == {
        "type": "page",
        "channelType": "VOICE",
        "address": "+15005550199",
        "subject": "Database is down",
        "content": "Primary DB in us-east-1 stopped answering at 03:12 UTC.",
        "publicSubject": "Sev 1",
        "publicContent": None,
        "code": "425440",
        "reference": message.reference,
        "id": returned,
    }
    assert uuid.UUID(returned)
    signature = request.headers["X-Incidentd-Signature"]
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify_signature(SECRET, request.headers["X-Incidentd-Timestamp"], request.body, signature, now=NOW + 10)


def test_each_request_has_its_own_id(receiver: Receiver) -> None:
    receiver.respond(200, b"ok")
    receiver.respond(200, b"ok")
    transport = webhook(receiver)
    assert transport.send(make_message()) != transport.send(make_message())


def test_returns_the_receivers_id_when_it_gives_one(receiver: Receiver) -> None:
    receiver.respond(202, {"id": "gw-77"})
    assert webhook(receiver).send(make_message(kind="activation")) == "gw-77"
    assert json.loads(receiver.requests[0].body)["type"] == "activation"


def test_tampering_breaks_the_signature() -> None:
    body = b'{"code":"425440"}'
    header = sign(SECRET, "1718000000", body)
    assert verify_signature(SECRET, "1718000000", body, header, now=NOW)
    assert verify_signature(SECRET, 1718000000, body.decode(), header, now=NOW)
    assert not verify_signature(SECRET, "1718000000", b'{"code":"000000"}', header, now=NOW)
    assert not verify_signature(SECRET, "1718000001", body, header, now=NOW)
    assert not verify_signature("other-secret", "1718000000", body, header, now=NOW)
    assert not verify_signature(SECRET, "1718000000", body, header.removeprefix("sha256="), now=NOW)
    assert not verify_signature(SECRET, "soon", body, header, now=NOW)


def test_stale_or_future_timestamps_fail() -> None:
    body = b"{}"
    header = sign(SECRET, "1718000000", body)
    assert verify_signature(SECRET, "1718000000", body, header, now=NOW + 300)
    assert not verify_signature(SECRET, "1718000000", body, header, now=NOW + 301)
    assert not verify_signature(SECRET, "1718000000", body, header, now=NOW - 301)
    assert verify_signature(SECRET, "1718000000", body, header, now=NOW + 3000, tolerance_s=3600)


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (502, False), (429, False), (400, True), (404, True)])
def test_status_mapping(receiver: Receiver, status: int, permanent: bool) -> None:
    receiver.respond(status, {"message": "nope"})
    with pytest.raises(DeliveryError) as caught:
        webhook(receiver).send(make_message())
    assert caught.value.permanent is permanent and str(status) in str(caught.value)


def test_closed_port_is_temporary(closed_port: int) -> None:
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(f"http://127.0.0.1:{closed_port}/pages", SECRET).send(make_message())
    assert not caught.value.permanent


def test_describe_hides_credentials_in_the_url() -> None:
    described = WebhookTransport("https://user:pw@hooks.example.com:8443/sms?token=abc", SECRET).describe()
    assert described == "webhook https://hooks.example.com:8443/sms (signed)"


@pytest.mark.parametrize(
    ("url", "secret"),
    [("https://hooks.example.com/x", ""), ("file:///tmp/x", SECRET), ("https://hooks.example.com:99999/x", SECRET)],
)
def test_unusable_settings_are_refused(url: str, secret: str) -> None:
    with pytest.raises(ValueError):
        WebhookTransport(url, secret)


@pytest.mark.parametrize("answer", [{"id": ""}, {"id": "x" * 300}, {"id": {"nested": 1}}, ["gw-1"]])
def test_odd_receiver_ids_are_replaced_by_the_request_id(receiver: Receiver, answer: object) -> None:
    receiver.respond(200, answer)
    returned = webhook(receiver).send(make_message())
    assert returned == json.loads(receiver.requests[0].body)["id"]
