"""Choosing transports from INCIDENTD_* variables and their config-file twins."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from channel_support import Receiver, make_message

from incidentd import channels
from incidentd.channels import (
    DeliveryError,
    MemoryTransport,
    SmtpTransport,
    Transports,
    TwilioTransport,
    UnconfiguredTransport,
    WebhookTransport,
)
from incidentd.config import ConfigError
from incidentd.config.delivery import DeliverySettings

TWILIO_ENV = {
    "INCIDENTD_TWILIO_ACCOUNT_SID": "ACenv",
    "INCIDENTD_TWILIO_AUTH_TOKEN": "env-token",
    "INCIDENTD_TWILIO_FROM": "+15005550006",
}
WEBHOOK_CONFIG = {"sms_webhook": {"url": "https://hooks.example.com/sms", "secret": "file-secret"}}


def transports_from_settings(env: dict[str, str], raw: dict[str, Any]) -> Transports:
    """The transports of a config file's parsed text with these environment variables over it."""
    return channels.transports_from_settings(DeliverySettings.read(raw, env))


def test_nothing_configured_leaves_every_type_waiting() -> None:
    transports = transports_from_settings({}, {})
    assert set(transports) == {"EMAIL", "SMS", "VOICE"}
    assert all(isinstance(transport, UnconfiguredTransport) for transport in transports.values())
    assert not transports.configured("EMAIL")
    with pytest.raises(DeliveryError, match="INCIDENTD_SMTP_URL") as caught:
        transports.send(make_message(channel_type="EMAIL"))
    assert not caught.value.permanent  # the page waits for an operator to configure email
    with pytest.raises(DeliveryError, match="INCIDENTD_TWILIO_ACCOUNT_SID") as caught:
        transports.send(make_message(channel_type="VOICE"))
    assert not caught.value.permanent and "INCIDENTD_SMS_WEBHOOK_URL" in str(caught.value)


def test_smtp_from_the_environment() -> None:
    env = {"INCIDENTD_SMTP_URL": "smtp+starttls://pager:pw@mail.example.com", "INCIDENTD_EMAIL_FROM": "im@example.com"}
    email = transports_from_settings(env, {})["EMAIL"]
    assert isinstance(email, SmtpTransport)
    assert (email.scheme, email.host, email.port, email.sender) == (
        "smtp+starttls",
        "mail.example.com",
        587,
        "im@example.com",
    )


def test_the_environment_wins_over_the_file_key_by_key() -> None:
    env = {"INCIDENTD_SMTP_URL": "smtps://env.example.com", "INCIDENTD_EMAIL_FROM": ""}
    raw = {"smtp": {"url": "smtp://file.example.com", "from": "file@example.com"}}
    email = transports_from_settings(env, raw)["EMAIL"]
    assert isinstance(email, SmtpTransport)
    assert (email.host, email.sender) == ("env.example.com", "file@example.com")  # an empty variable is unset


def test_smtp_from_the_file_alone() -> None:
    email = transports_from_settings({}, {"smtp": {"url": "smtp://file.example.com:2525", "from": "f@example.com"}})[
        "EMAIL"
    ]
    assert isinstance(email, SmtpTransport) and (email.host, email.port) == ("file.example.com", 2525)


def test_twilio_serves_sms_and_voice() -> None:
    raw = {"twilio": {"account_sid": "ACfile", "auth_token": "file-token", "from": "+15005550001"}}
    transports = transports_from_settings({"INCIDENTD_TWILIO_ACCOUNT_SID": "ACenv"}, raw)
    sms, voice = transports["SMS"], transports["VOICE"]
    assert isinstance(sms, TwilioTransport) and sms is voice
    assert (sms.account_sid, sms.from_number, sms.base_url) == ("ACenv", "+15005550001", "https://api.twilio.com")
    assert isinstance(transports["EMAIL"], UnconfiguredTransport)


def test_twilio_wins_over_the_webhook() -> None:
    transports = transports_from_settings(TWILIO_ENV, WEBHOOK_CONFIG)
    assert isinstance(transports["SMS"], TwilioTransport) and isinstance(transports["VOICE"], TwilioTransport)


def test_webhook_serves_sms_and_voice_without_twilio() -> None:
    transports = transports_from_settings({"INCIDENTD_SMS_WEBHOOK_SECRET": "env-secret"}, WEBHOOK_CONFIG)
    assert isinstance(transports["SMS"], WebhookTransport) and transports["SMS"] is transports["VOICE"]
    assert transports["SMS"].url == "https://hooks.example.com/sms"


def test_configured_twilio_delivers_to_its_base_url(receiver: Receiver) -> None:
    transports = transports_from_settings({**TWILIO_ENV, "INCIDENTD_TWILIO_BASE_URL": receiver.url}, {})
    assert transports.send(make_message()) == "SM6656c1e2f3"
    [request] = receiver.requests
    assert request.path == "/2010-04-01/Accounts/ACenv/Messages.json"
    assert urllib.parse.parse_qs(request.body.decode())["From"] == ["+15005550006"]


@pytest.mark.parametrize(
    ("env", "raw", "missing"),
    [
        ({"INCIDENTD_SMTP_URL": "smtp://mail.example.com"}, {}, "INCIDENTD_EMAIL_FROM"),
        ({}, {"smtp": {"from": "a@example.com"}}, "INCIDENTD_SMTP_URL"),
        ({"INCIDENTD_TWILIO_ACCOUNT_SID": "AC1"}, {}, "INCIDENTD_TWILIO_AUTH_TOKEN"),
        ({}, {"sms_webhook": {"url": "https://hooks.example.com"}}, "INCIDENTD_SMS_WEBHOOK_SECRET"),
    ],
)
def test_half_a_configuration_is_an_error(env: dict[str, str], raw: dict[str, Any], missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        transports_from_settings(env, raw)


@pytest.mark.parametrize(
    ("env", "raw"),
    [
        ({"INCIDENTD_SMTP_URL": "http://mail.example.com", "INCIDENTD_EMAIL_FROM": "a@example.com"}, {}),
        ({**TWILIO_ENV, "INCIDENTD_TWILIO_BASE_URL": "api.twilio.com"}, {}),
        ({}, {"smtp": "smtp://mail.example.com"}),
    ],
)
def test_unusable_values_are_errors(env: dict[str, str], raw: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        transports_from_settings(env, raw)


def test_describe_names_every_type_and_no_secret() -> None:
    env = {
        **TWILIO_ENV,
        "INCIDENTD_SMTP_URL": "smtps://pager:smtp-pw@mail.example.com",
        "INCIDENTD_EMAIL_FROM": "a@x.io",
    }
    described = transports_from_settings(env, {}).describe()
    assert "\n" not in described and all(kind in described for kind in ("EMAIL:", "SMS:", "VOICE:"))
    assert "smtp-pw" not in described and "env-token" not in described


def test_transports_dispatch_by_channel_type() -> None:
    email, phone = MemoryTransport("email"), MemoryTransport("phone")
    transports = Transports({"EMAIL": email, "SMS": phone})
    assert transports.send(make_message(channel_type="EMAIL")) == "email-1"
    assert transports.send(make_message(channel_type="SMS")) == "phone-1"
    assert isinstance(transports["VOICE"], UnconfiguredTransport) and transports.configured("SMS")
    with pytest.raises(DeliveryError) as caught:
        transports.send(make_message(channel_type="PAGER"))
    assert caught.value.permanent
