"""The development outbox: the transport of a server without credentials for channel types it has no transport for.

A developer trying incidentd on a laptop has no SMTP server or Twilio account; instead of waiting for one, pages,
activation codes and chat notices are kept in the database (store/outbox.py) and read with `incidentd outbox` or
the console's outbox page. Each entry logs one line that says where to read it; the code stays out of the log.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Connection

from incidentd.channels.message import DeliveryError, Message
from incidentd.clock import Clock, SystemClock
from incidentd.domain import arns
from incidentd.domain.addresses import masked
from incidentd.store import outbox
from incidentd.store.db import Database

log = logging.getLogger("incidentd.outbox")

NOTICE_CHANNEL = "SNS"  # the channel type an outbox entry of a topic's notice shows


class OutboxTransport:
    """Keeps every Message in the outbox table of its account (the account of the message's reference ARN)."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    def describe(self) -> str:
        """What it is and where to read what it keeps."""
        return "the development outbox (read it with: incidentd outbox)"

    def send(self, message: Message) -> str:
        """Store the message in its own transaction; a provider id like outbox-12, so receipts read as sent."""
        with self.db.write() as conn:
            return self.keep(conn, message)

    def keep(self, conn: Connection, message: Message, channel_type: str | None = None) -> str:
        """Store the message in the caller's transaction (a job that must not open a second writer); its id."""
        parsed = arns.parse(message.reference)
        if parsed is None or not parsed.account:
            raise DeliveryError(f"no account in {message.reference!r}: not kept in the outbox", permanent=True)
        entry = outbox.Entry(
            id=0,
            account_id=parsed.account,
            created_ms=self.clock.now_ms(),
            kind=message.kind,
            channel_type=channel_type or message.channel_type,
            address=message.address,
            subject=message.subject,
            text=message.plain_text(),
            code=message.code,
            reference=message.reference,
        )
        entry_id = outbox.add(conn, entry)
        shown = entry.address if entry.channel_type == NOTICE_CHANNEL else masked(entry.address)
        log.info(
            'outbox: %s to %s %s "%s" (see: incidentd outbox)', entry.kind, entry.channel_type, shown, entry.subject
        )
        return f"outbox-{entry_id}"
