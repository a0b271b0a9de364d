"""Sending one notice to one subscriber: a POST in its chat product's format, a signed JSON POST, or an e-mail."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from incidentd.channels import DeliveryError, Message, Transport, _http
from incidentd.channels.webhook import sign
from incidentd.config.notifications import Subscriber
from incidentd.notify import documents, mattermost, slack, teams
from incidentd.notify.notice import Notice

FORMATS: dict[str, Callable[[Notice], dict[str, Any]]] = {
    "slack": slack.message,
    "msteams": teams.message,
    "mattermost": mattermost.message,
    "https": documents.document,
}


def body(subscriber: Subscriber, notice: Notice) -> bytes:
    """The request body a subscriber gets."""
    return json.dumps(FORMATS[subscriber.protocol](notice), separators=(",", ":"), ensure_ascii=False).encode()


def headers(subscriber: Subscriber, notice: Notice, raw: bytes, now: float) -> dict[str, str]:
    """The request headers; an HTTPS subscriber with a secret gets webhook.sign()'s signature over the body."""
    found = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "incidentd"}
    if subscriber.protocol == "https":
        found["X-Incidentd-Event"] = notice.event
        found["X-Incidentd-Message-Id"] = notice.message_id
        if subscriber.secret:
            timestamp = str(int(now))
            found["X-Incidentd-Timestamp"] = timestamp
            found["X-Incidentd-Signature"] = sign(subscriber.secret, timestamp, raw)
    return found


def send(
    subscriber: Subscriber,
    notice: Notice,
    transports: Mapping[str, Transport] | None,
    timeout: float,
    clock: Callable[[], float] = time.time,
) -> str:
    """Deliver; what the receiver answered (HTTP status or Message-ID). Raises DeliveryError."""
    if subscriber.protocol == "email":
        return _mail(subscriber, notice, transports)
    raw = body(subscriber, notice)
    status, _ = _http.post(subscriber.endpoint, raw, headers(subscriber, notice, raw, clock()), timeout)
    return f"HTTP {status}"


def _mail(subscriber: Subscriber, notice: Notice, transports: Mapping[str, Transport] | None) -> str:
    """Through the SMTP transport that pages use, so one [smtp] setting serves both."""
    if transports is None or "EMAIL" not in transports:
        raise DeliveryError("no e-mail transport: set INCIDENTD_SMTP_URL and INCIDENTD_EMAIL_FROM (or [smtp])")
    message = Message(
        channel_type="EMAIL",
        address=subscriber.endpoint,
        subject=documents.email_subject(notice),
        content=documents.email_text(notice),
        public_subject=None,
        public_content=None,
        code="",  # no accept code: nothing to acknowledge
        reference=notice.incident_arn,
        kind="notification",
    )
    return transports["EMAIL"].send(message)
