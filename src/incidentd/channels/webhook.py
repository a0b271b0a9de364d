"""Pages as signed JSON POSTs to an HTTP endpoint of the operator's choosing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable

from incidentd.channels import _http
from incidentd.channels.message import Message
from incidentd.domain.urls import http_url, safe_url

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Incidentd-Signature value: HMAC-SHA256 over "<timestamp>.<body>"."""
    # Signing the timestamp with the body stops a captured request from being replayed later with a new timestamp.
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    secret: str, timestamp: str | int, body: bytes | str, header: str, now: float, tolerance_s: float = 300
) -> bool:
    """Whether a received request is signed with the secret and was sent within the tolerance of now."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, str(timestamp), raw), header.strip())


class WebhookTransport:
    """POSTs each message as signed JSON; the receiver delivers it (an SMS gateway, a phone bridge, a test)."""

    def __init__(self, url: str, secret: str, timeout: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        http_url(url)
        if not secret:
            raise ValueError("a webhook needs a secret to sign its requests")
        self.url = url
        self.timeout = timeout
        self._secret = secret
        self._clock = clock

    def describe(self) -> str:
        """Where this posts, without user info, query or secret."""
        return f"webhook {safe_url(self.url)} (signed)"

    def send(self, message: Message) -> str:
        """POST the message; the receiver's `id` if it answers with one, else the request's own id."""
        request_id = str(uuid.uuid4())
        body = json.dumps(payload(message, request_id), separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            "X-Incidentd-Timestamp": timestamp,
            "X-Incidentd-Signature": sign(self._secret, timestamp, body),
        }
        _, answer = _http.post(self.url, body, headers, self.timeout)
        receiver_id = _http.json_object(answer).get("id")
        # The id becomes a receipt's ReceiptInfo (at most 2048 characters): an odd one is replaced by ours.
        if isinstance(receiver_id, str | int) and 0 < len(str(receiver_id)) <= 256:
            return str(receiver_id)
        return request_id


def payload(message: Message, request_id: str) -> dict[str, str | None]:
    """The JSON document a webhook receives."""
    return {
        "type": message.kind,
        "channelType": message.channel_type,
        "address": message.address,
        "subject": message.subject,
        "content": message.content,
        "publicSubject": message.public_subject,
        "publicContent": message.public_content,
        "code": message.code,
        "reference": message.reference,
        "id": request_id,
    }
