"""Development mode: a chat notice for a topic with no subscribers goes to the outbox, for the developer to read."""

from __future__ import annotations

from incidentd.channels import Message
from incidentd.channels.outbox import NOTICE_CHANNEL
from incidentd.engine.jobs import JobContext
from incidentd.notify import documents
from incidentd.notify.notice import Notice


def keep(ctx: JobContext, composed: Notice) -> None:
    """Keep the notice in the outbox, in the fan-out job's own transaction (SQLite has one writer at a time)."""
    outbox = ctx.runtime.transports.outbox
    if outbox is None:
        return  # not in development mode: the notice goes nowhere, as the config says
    message = Message(
        channel_type=NOTICE_CHANNEL,
        address=composed.topic_arn,
        subject=documents.email_subject(composed),
        content=documents.email_text(composed),
        public_subject=None,
        public_content=None,
        code="",  # nothing to acknowledge
        reference=composed.incident_arn,
        kind="notification",
    )
    outbox.keep(ctx.conn, message)
