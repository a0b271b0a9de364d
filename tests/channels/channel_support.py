"""Helpers for the transport tests: a sample message, loopback ports, an HTTP receiver, a TLS certificate."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from incidentd.channels import Message


def make_message(**changes: Any) -> Message:
    """A page to an SMS channel, with any field replaced."""
    fields: dict[str, Any] = {
        "channel_type": "SMS",
        "address": "+15005550199",
        "subject": "Database is down",
        "content": "Primary DB in us-east-1 stopped answering at 03:12 UTC.",
        "public_subject": None,
        "public_content": None,
        "code": "425440",
        "reference": "arn:aws:ssm-contacts:us-east-1:111122223333:page/akua/0d7ab1c4-9a7f-4bb3-8c6e-6e3a1f0e52aa",
    }
    fields.update(changes)
    return Message(**fields)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorded:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on loopback that records requests and answers with queued responses."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    responses: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, bytes, dict[str, str]] = (201, b'{"sid": "SM6656c1e2f3"}', {})

    def respond(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Queue the answer to the next request; a dict or list body is sent as JSON."""
        raw = json.dumps(body).encode() if isinstance(body, dict | list) else (body or b"")
        self.responses.append((status, raw, headers or {}))


@contextmanager
def serve_http() -> Iterator[Receiver]:
    """A running Receiver, shut down and its socket closed on exit."""
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Recorded("POST", self.path, dict(self.headers.items()), body))
                status, raw, headers = state.responses.pop(0) if state.responses else state.default
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, with its key."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A server context that presents this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and checks the host name against it)."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path) -> Certificate:
    """A self-signed EC certificate for 127.0.0.1 and localhost, valid for a day, made now."""
    made = Certificate(folder / "cert.pem", folder / "key.pem")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    made.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    made.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return made


def _key_usage() -> x509.KeyUsage:
    """Signing and certificate signing: what a self-signed server certificate needs under strict verification."""
    flags = dict.fromkeys(
        ["content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "crl_sign"], False
    )
    return x509.KeyUsage(digital_signature=True, key_cert_sign=True, encipher_only=False, decipher_only=False, **flags)
