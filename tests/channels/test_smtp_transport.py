"""SmtpTransport against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from channel_support import Certificate, free_port, make_message

from incidentd.channels import DeliveryError, SmtpTransport, activation_message

SENDER = "incidentd@example.com"


@dataclass
class Mailbox:
    """The aiosmtpd handler: refuses some recipients, keeps what it accepts."""

    received: list[tuple[str, list[str], EmailMessage, bool]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed, bool(session.authenticated)))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False makes aiosmtpd answer a failure with 535 itself.
        return AuthResult(success=(login, password) == ("pager@example.com", "p:ss w/rd"), handled=False)


@dataclass
class SmtpServer:
    """A running aiosmtpd server and its mailbox."""

    port: int
    mailbox: Mailbox


def _serve(**options: Any) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=mailbox.authenticate, **options)
    controller.start()
    try:
        yield SmtpServer(port, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """Plain SMTP that offers AUTH without TLS."""
    yield from _serve(auth_require_tls=False)


def test_sends_a_page_with_code_and_tracing_headers(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp_server.port}", SENDER)
    message = make_message(channel_type="EMAIL", address="akua@example.com", public_subject="ignored for email")
    message_id = transport.send(message)
    [(mail_from, rcpt_tos, mail, authenticated)] = smtp_server.mailbox.received
    assert (mail_from, rcpt_tos, authenticated) == (SENDER, ["akua@example.com"], False)
    assert mail["From"] == SENDER and mail["To"] == "akua@example.com"
    assert mail["Subject"] == "Database is down"
    assert mail["Message-ID"] == message_id and message_id.startswith("<") and message_id.endswith("@example.com>")
    assert mail["X-Incidentd-Reference"] == message.reference
    body = mail.get_content()
    assert "Primary DB in us-east-1 stopped answering at 03:12 UTC." in body
    assert "Accept code: 425440" in body.splitlines()


def test_message_ids_are_unique(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp_server.port}", SENDER)
    message = make_message(channel_type="EMAIL", address="akua@example.com")
    assert transport.send(message) != transport.send(message)


def test_activation_email_says_what_it_is(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp_server.port}", SENDER)
    arn = "arn:aws:ssm-contacts:us-east-1:111122223333:contact-channel/akua/8f4c"
    transport.send(activation_message("EMAIL", "akua@example.com", "918273", arn, "akua's email"))
    [(_, _, mail, _)] = smtp_server.mailbox.received
    assert mail["Subject"] == "Activation code for your contact channel akua's email"
    assert "Activation code: 918273" in mail.get_content().splitlines()
    assert mail["X-Incidentd-Reference"] == arn


def test_line_breaks_in_the_subject_cannot_inject_headers(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp_server.port}", SENDER)
    transport.send(make_message(channel_type="EMAIL", address="a@example.com", subject="Down\r\nBcc: evil@example.com"))
    [(_, rcpt_tos, mail, _)] = smtp_server.mailbox.received
    assert rcpt_tos == ["a@example.com"] and mail["Bcc"] is None
    assert mail["Subject"] == "Down Bcc: evil@example.com"


def test_logs_in_with_percent_decoded_credentials(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://pager%40example.com:p%3Ass%20w%2Frd@127.0.0.1:{smtp_server.port}", SENDER)
    transport.send(make_message(channel_type="EMAIL", address="akua@example.com"))
    assert smtp_server.mailbox.logins == [("pager@example.com", "p:ss w/rd")]
    assert smtp_server.mailbox.received[0][3] is True


def test_rejected_credentials_are_permanent(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://pager%40example.com:wrong@127.0.0.1:{smtp_server.port}", SENDER)
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message(channel_type="EMAIL", address="akua@example.com"))
    assert caught.value.permanent and "535" in str(caught.value)
    assert smtp_server.mailbox.received == []


def test_refused_recipient_is_permanent(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp_server.port}", SENDER)
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message(channel_type="EMAIL", address="nobody@example.com"))
    assert caught.value.permanent and "550" in str(caught.value)


def test_4xx_recipient_reply_is_temporary(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp_server.port}", SENDER)
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message(channel_type="EMAIL", address="busy@example.com"))
    assert not caught.value.permanent and "450" in str(caught.value)


def test_closed_port_is_temporary(closed_port: int) -> None:
    with pytest.raises(DeliveryError) as caught:
        SmtpTransport(f"smtp://127.0.0.1:{closed_port}", SENDER).send(make_message(channel_type="EMAIL"))
    assert not caught.value.permanent


def test_silent_server_times_out_as_temporary(silent_port: int) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{silent_port}", SENDER, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message(channel_type="EMAIL"))
    assert not caught.value.permanent and time.monotonic() - started < 3


def test_other_channel_types_are_refused_without_connecting(closed_port: int) -> None:
    with pytest.raises(DeliveryError) as caught:
        SmtpTransport(f"smtp://127.0.0.1:{closed_port}", SENDER).send(make_message(channel_type="SMS"))
    assert caught.value.permanent


def test_unwritable_address_is_permanent(closed_port: int) -> None:
    with pytest.raises(DeliveryError) as caught:
        message = make_message(channel_type="EMAIL", address="a@example.com\nBcc: b@example.com")
        SmtpTransport(f"smtp://127.0.0.1:{closed_port}", SENDER).send(message)
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("url", "scheme", "port", "user", "password"),
    [
        ("smtp://mail.example.com", "smtp", 25, None, ""),
        ("smtp+starttls://u%40x:s%3Acret@mail.example.com", "smtp+starttls", 587, "u@x", "s:cret"),
        ("smtps://u:p@mail.example.com", "smtps", 465, "u", "p"),
        ("smtps://mail.example.com:2465", "smtps", 2465, None, ""),
    ],
)
def test_url_forms(url: str, scheme: str, port: int, user: str | None, password: str) -> None:
    transport = SmtpTransport(url, SENDER)
    assert (transport.scheme, transport.host, transport.port) == (scheme, "mail.example.com", port)
    assert (transport.username, transport.password) == (user, password)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        SmtpTransport(url, SENDER)


def test_describe_leaves_out_the_password() -> None:
    described = SmtpTransport("smtp+starttls://pager:hunter2@mail.example.com", SENDER).describe()
    assert described == f"smtp+starttls://pager@mail.example.com:587 from {SENDER}"


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[SmtpServer]:
    """SMTP that requires STARTTLS before anything else, and TLS before AUTH."""
    yield from _serve(tls_context=certificate.server_context(), require_starttls=True, auth_require_tls=True)


def test_starttls_then_auth(starttls_server: SmtpServer, certificate: Certificate) -> None:
    url = f"smtp+starttls://pager%40example.com:p%3Ass%20w%2Frd@127.0.0.1:{starttls_server.port}"
    transport = SmtpTransport(url, SENDER, ssl_context=certificate.client_context())
    transport.send(make_message(channel_type="EMAIL", address="akua@example.com"))
    [(_, rcpt_tos, _, authenticated)] = starttls_server.mailbox.received
    assert rcpt_tos == ["akua@example.com"] and authenticated


def test_plain_smtp_to_a_server_that_requires_tls_is_permanent(starttls_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{starttls_server.port}", SENDER)
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message(channel_type="EMAIL", address="akua@example.com"))
    assert caught.value.permanent and "530" in str(caught.value)


def test_untrusted_certificate_is_permanent(starttls_server: SmtpServer) -> None:
    transport = SmtpTransport(f"smtp+starttls://127.0.0.1:{starttls_server.port}", SENDER)  # system trust store only
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message(channel_type="EMAIL", address="akua@example.com"))
    assert caught.value.permanent and "certificate" in str(caught.value)
    assert starttls_server.mailbox.received == []


def test_implicit_tls(certificate: Certificate) -> None:
    for server in _serve(ssl_context=certificate.server_context(), auth_require_tls=False):
        url = f"smtps://pager%40example.com:p%3Ass%20w%2Frd@127.0.0.1:{server.port}"
        transport = SmtpTransport(url, SENDER, ssl_context=certificate.client_context())
        message_id = transport.send(make_message(channel_type="EMAIL", address="akua@example.com"))
        [(_, _, mail, authenticated)] = server.mailbox.received
        assert mail["Message-ID"] == message_id and authenticated
