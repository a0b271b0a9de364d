"""An X-Twilio-Signature that is not ASCII is refused like any wrong signature: a 403 and one log line at most."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from paging_support import PAGING_CONFIG

from incidentd.inbound.twilio import signature
from support import Server
from twilio_standin import FROM, TwilioStandIn

PUBLIC_URL = "https://incidentd.example.com"


@pytest.fixture(scope="module")
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as running:
        yield running


@pytest.fixture(scope="module")
def callbacks_server(
    own_database: str, twilio: TwilioStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server taking Twilio's callbacks, whose log holds only what these requests made it write."""
    env = {**twilio.environment(), "INCIDENTD_TWILIO_PUBLIC_URL": PUBLIC_URL}
    running = Server(own_database, tmp_path_factory.mktemp("signature-header"), PAGING_CONFIG, extra_env=env)
    running.start()
    yield running
    running.stop()


def post(server: Server, target: str, fields: list[tuple[str, str]], sign: bytes) -> tuple[int, bytes]:
    """POST a form with the signature header's bytes exactly as given; the status and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("POST", target)
        body = urllib.parse.urlencode(fields).encode()
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(len(body)))
        connection.putheader("X-Twilio-Signature", sign)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def log_lines(server: Server) -> int:
    return len(Path(server.workdir, f"server-{server.port}.log").read_bytes().splitlines())


SIGNATURES = {
    "latin-1": "sïgnature".encode("latin-1"),
    "utf-8": "✓ signed".encode(),
    "valid but for one character": b"\xff",  # filled in below with a real signature's prefix
}


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/voice?page=x"])
@pytest.mark.parametrize("kind", SIGNATURES.keys())
def test_a_non_ascii_signature_is_a_403_with_one_log_line_at_most(callbacks_server, twilio, path, kind):
    fields = [("AccountSid", twilio.account_sid), ("From", "+15550000001"), ("To", FROM), ("Body", "123456")]
    sign = SIGNATURES[kind]
    if kind == "valid but for one character":
        real = signature(twilio.auth_token, PUBLIC_URL + path, fields).encode()
        sign = real[:-1] + b"\xe9"
    before = log_lines(callbacks_server)
    status, body = post(callbacks_server, path, fields, sign)
    time.sleep(0.2)  # anything the request logs is written as it is answered
    assert status == 403, body
    assert b"X-Twilio-Signature" in body
    assert log_lines(callbacks_server) - before <= 1
