"""The paging jobs: escalation stages, engagement-plan stages, deliveries and activation codes."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.channels import DeliveryError, Message, Transport, activation_message
from incidentd.domain import retry
from incidentd.domain.addresses import masked
from incidentd.domain.jobs import SEND_ACTIVATION_CODE
from incidentd.engine.jobs import JobContext, job_kind
from incidentd.notify import links
from incidentd.ops import metrics
from incidentd.services import engagements
from incidentd.store import channels
from incidentd.store import engagements as store

log = logging.getLogger("incidentd.paging")


@job_kind(engagements.ENGAGEMENT_STAGE)
def engagement_stage(ctx: JobContext) -> None:
    """The next stage of an escalation plan, unless the engagement stopped meanwhile."""
    payload = ctx.job.payload
    engagements.run_stage(ctx.unit, payload["engagementArn"], payload["stage"])


@job_kind(engagements.PAGE_STAGE)
def page_stage(ctx: JobContext) -> None:
    """The next stage of a personal contact's engagement plan, unless the page was read or its engagement stopped."""
    payload = ctx.job.payload
    engagements.run_page_stage(ctx.unit, payload["pageArn"], payload["stage"])


@job_kind(engagements.DELIVER, effect=True)
def deliver(ctx: JobContext) -> None:
    """Send one page to one channel; a failure is a receipt and, unless permanent, a later attempt."""
    account = ctx.job.account_id
    payload = ctx.job.payload
    with ctx.read() as conn:
        message = _page_message(ctx, conn, account, payload["pageArn"], payload["channelArn"])
    if message is None:
        return  # read, stopped, deleted or not activated: the worker marks the job done
    per_hour = ctx.settings.paging.pages_per_channel_per_hour
    # Counted before it goes out, in the database, so that concurrent deliveries on any node can't pass the limit.
    with ctx.db.write() as conn:
        allowed = channels.reserve_page(conn, account, payload["channelArn"], ctx.current_ms(), per_hour)
    if not allowed:
        _not_sent(ctx, payload, per_hour)
        return
    try:
        provider_id = _transport(ctx, message.channel_type).send(message)
    except DeliveryError as error:
        with ctx.transaction() as conn:
            answered = ctx.current_ms()
            store.add_receipt(conn, account, payload["pageArn"], "ERROR", answered, str(error), payload["channelArn"])
            attempt = int(payload["attempt"])
            policy = retry.page_delivery(payload.get("retryMinutes"))
            retrying = not error.permanent and not policy.exhausted(attempt)
            if retrying:
                delay = policy.delay_ms(attempt)
                ctx.enqueue(engagements.DELIVER, dict(payload, attempt=attempt + 1), delay, conn=conn)
            ctx.finish(conn)
        metrics.delivery(message.channel_type.lower(), metrics.RETRYING if retrying else metrics.FAILED)
        log.warning(
            "page %s to %s failed (attempt %s): %s",
            payload["pageArn"],
            payload["channelArn"],
            payload["attempt"],
            error,
        )
        return
    with ctx.transaction() as conn:
        sent = ctx.current_ms()
        store.add_receipt(conn, account, payload["pageArn"], "SENT", sent, provider_id, payload["channelArn"])
        store.mark_page(conn, account, payload["pageArn"], "sent_ms", sent)
        ctx.finish(conn)
    metrics.delivery(message.channel_type.lower(), metrics.SENT)
    log.info("page %s sent to %s (attempt %s): %s", payload["pageArn"], _to(message), payload["attempt"], provider_id)


def _not_sent(ctx: JobContext, payload: dict[str, Any], per_hour: int) -> None:
    """A page over its channel's hourly limit: an ERROR receipt that says so, and no retry."""
    account = ctx.job.account_id
    reason = f"not sent: the contact channel was paged {per_hour} times in the last hour ([paging] limit)"
    with ctx.transaction() as conn:
        store.add_receipt(conn, account, payload["pageArn"], "ERROR", ctx.current_ms(), reason, payload["channelArn"])
        ctx.finish(conn)
    log.warning("page %s to %s %s", payload["pageArn"], payload["channelArn"], reason)


def _page_message(ctx: JobContext, conn: Connection, account: str, page_arn: str, channel_arn: str) -> Message | None:
    """What to send for a page on a channel; None when it must not be sent any more."""
    found = store.delivery(conn, account, page_arn, channel_arn)
    # Gone, read, or its engagement stopped: nothing to send.
    if found is None or found["read_ms"] is not None or found["stop_ms"] is not None:
        return None
    page, channel = found["page"], found["channel"]
    # A channel of someone else is ignored, as is a deleted one (model); one not activated is never paged
    # (aws-behaviour §4.3).
    if channel["ContactArn"] != found["contact_arn"] or channel.get("ActivationStatus") != "ACTIVATED":
        return None
    # An e-mail carries signed links to the incident and to the page's one-click acknowledgement.
    incident_link, acknowledge_link = links.page_links(
        ctx.settings.notifications,
        channel["Type"],
        page_arn,
        page.get("IncidentId"),
        ctx.settings.region,
        ctx.current_ms(),
    )
    return Message(
        channel_type=channel["Type"],
        address=channel["DeliveryAddress"]["SimpleAddress"],
        subject=page["Subject"],
        content=page["Content"],
        public_subject=page.get("PublicSubject"),
        public_content=page.get("PublicContent"),
        code=found["accept_code"],
        reference=page_arn,
        incident_link=incident_link,
        acknowledge_link=acknowledge_link,
    )


@job_kind(SEND_ACTIVATION_CODE, effect=True)
def send_activation_code(ctx: JobContext) -> None:
    """Send a channel its activation code, through the channel itself."""
    account = ctx.job.account_id
    payload = ctx.job.payload
    with ctx.read() as conn:
        channel = channels.get(conn, account, payload["channelArn"])
    if channel is None or not channel.activation_code:  # deleted, or activated meanwhile
        return
    doc = channel.doc
    address = doc["DeliveryAddress"]["SimpleAddress"]
    message = activation_message(doc["Type"], address, channel.activation_code, doc["ContactChannelArn"], doc["Name"])
    attempt = int(payload.get("attempt", 1))
    try:
        provider_id = _transport(ctx, message.channel_type).send(message)
    except DeliveryError as error:
        log.warning("activation code for %s failed (attempt %s): %s", doc["ContactChannelArn"], attempt, error)
        with ctx.transaction() as conn:
            if not error.permanent and not retry.ACTIVATION_CODE.exhausted(attempt):
                delay = retry.ACTIVATION_CODE.delay_ms(attempt)
                ctx.enqueue(SEND_ACTIVATION_CODE, dict(payload, attempt=attempt + 1), delay, conn=conn)
            ctx.finish(conn)
        return
    log.info(
        "activation code for %s sent to %s (attempt %s): %s", message.reference, _to(message), attempt, provider_id
    )


def _to(message: Message) -> str:
    """Where a message went, for the log: its channel type and its address masked."""
    return f"{message.channel_type} {masked(message.address)}"


def _transport(ctx: JobContext, channel_type: str) -> Transport:
    return ctx.runtime.transports[channel_type]
