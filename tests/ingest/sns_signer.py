"""A stand-in for SNS's side of an HTTP(S) subscription: a signing key, its certificate served on loopback.

Messages are built and signed as SNS builds them (SNS developer guide, "Parsing message formats" and
"Verifying the signatures of Amazon SNS messages"): the string to sign is `Name\\nvalue\\n` for the signed
members in order, signed with SHA1withRSA (SignatureVersion 1) or SHA256withRSA (2). The server also answers
the SubscribeURL of a confirmation and records that it was visited.
"""

from __future__ import annotations

import base64
import datetime
import json
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

import loopback_http

TOPIC = "arn:aws:sns:us-east-1:111122223333:incidentd-alarms"
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


class SnsSigner:
    """Signs SNS messages with a fresh key whose self-signed certificate it serves."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.confirmations: list[dict[str, list[str]]] = []
        self.certificate_fetches = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> SnsSigner:
        """Serve the certificate and the SubscribeURL on a free loopback port."""
        signer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's hook name)
                parts = urllib.parse.urlsplit(self.path)
                if parts.path.endswith(".pem"):
                    signer.certificate_fetches += 1
                    body, kind = signer.pem, "application/x-pem-file"
                elif parts.path == "/confirm":
                    signer.confirmations.append(urllib.parse.parse_qs(parts.query))
                    body, kind = b"<ConfirmSubscriptionResponse/>", "text/xml"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = loopback_http.serve(Handler)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            loopback_http.close(self._server)
            self._server = None

    @property
    def url(self) -> str:
        """The origin the certificate and SubscribeURL live on (for `[ingest] sns_cert_url_prefixes`)."""
        assert self._server is not None, "not started"
        return loopback_http.origin(self._server) + "/"

    @property
    def cert_url(self) -> str:
        return self.url + "SimpleNotificationService-0000000000000000000000.pem"

    def notification(self, message: str, subject: str | None = "ALARM", version: str = "1") -> dict[str, Any]:
        """A signed Notification carrying a message (a CloudWatch alarm's JSON)."""
        body: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC,
            "Message": message,
            "Timestamp": _now(),
            "SignatureVersion": version,
            "SigningCertURL": self.cert_url,
            "UnsubscribeURL": self.url + f"unsubscribe?SubscriptionArn={TOPIC}:{uuid.uuid4()}",
        }
        if subject is not None:
            body["Subject"] = subject
        return self.sign(body)

    def confirmation(self, version: str = "1") -> dict[str, Any]:
        """A signed SubscriptionConfirmation whose SubscribeURL is served here."""
        token = uuid.uuid4().hex * 2
        query = urllib.parse.urlencode({"Action": "ConfirmSubscription", "TopicArn": TOPIC, "Token": token})
        return self.sign(
            {
                "Type": "SubscriptionConfirmation",
                "MessageId": str(uuid.uuid4()),
                "Token": token,
                "TopicArn": TOPIC,
                "Message": f"You have chosen to subscribe to the topic {TOPIC}.\n"
                "To confirm the subscription, visit the SubscribeURL included in this message.",
                "SubscribeURL": self.url + "confirm?" + query,
                "Timestamp": _now(),
                "SignatureVersion": version,
                "SigningCertURL": self.cert_url,
            }
        )

    def sign(self, body: dict[str, Any]) -> dict[str, Any]:
        """The message with its Signature over the members SNS signs."""
        text = "".join(f"{name}\n{body[name]}\n" for name in _SIGNED[body["Type"]] if name in body)
        algorithm = hashes.SHA1() if body["SignatureVersion"] == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        return dict(body, Signature=base64.b64encode(signature).decode())


def alarm_message(template: dict[str, Any], state: str, name: str) -> str:
    """A CloudWatch alarm message of the sample's shape for another alarm and state."""
    alarm = dict(template, AlarmName=name, NewStateValue=state)
    alarm["AlarmArn"] = f"arn:aws:cloudwatch:us-east-1:111122223333:alarm:{name}"
    alarm["OldStateValue"] = "OK" if state == "ALARM" else "ALARM"
    return json.dumps(alarm)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
