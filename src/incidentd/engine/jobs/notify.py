"""Chat channels and notification targets: news fans out to one delivery job per (topic, subscriber)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from incidentd.channels import DeliveryError
from incidentd.config.notifications import NotifySettings, Subscriber
from incidentd.domain import arns, response
from incidentd.engine.jobs import JobContext, job_kind, notice_outbox
from incidentd.notify import deliver as delivery
from incidentd.notify import links, notice
from incidentd.ops import metrics
from incidentd.store import incidents, timeline

log = logging.getLogger("incidentd.notify")

DELIVER = "notify.deliver"

_unknown_topics: set[str] = set()  # topics already logged as having no subscribers, so a busy one logs once


@job_kind(response.CHAT)
def notify_chat_channel(ctx: JobContext) -> None:
    """A chat channel's news: one delivery per subscriber of each of its SNS topics."""
    fan_out(ctx, list(ctx.job.payload.get("topicArns", [])))


@job_kind(response.NOTIFY)
def notify_target(ctx: JobContext) -> None:
    """A notification target's news: one delivery per subscriber of its SNS topic."""
    topic = (ctx.job.payload.get("target") or {}).get("snsTopicArn")
    fan_out(ctx, [topic] if isinstance(topic, str) else [])


def fan_out(ctx: JobContext, topics: list[str]) -> None:
    """Compose the notice and queue its deliveries, in this job's transaction.

    The notice tells the event with the incident as the event left it (the payload's `incident`), and says if its
    status changed since; the record as it is now only decides that, and stands in for payloads without one.
    """
    payload = ctx.job.payload
    account = ctx.job.account_id
    record = ctx.incident(payload["incidentArn"])
    if record is None:
        return  # deleted since: there is nobody left to tell about it
    note = None
    if payload["event"] == response.NOTE_ADDED:
        event = timeline.get(ctx.conn, account, record["arn"], payload.get("eventId", ""))
        if event is None:
            return  # the note was deleted before anyone heard of it
        note = notice.note_text(event["eventData"])
    settings = ctx.settings.notifications
    for topic in dict.fromkeys(topics):  # a topic named twice is still published to once
        parsed = arns.parse(topic)
        # Accounts are tenants: a plan may not post into another account's topic, as on AWS,
        # where a chat channel's topics must be the plan's own (aws-behaviour §3.2).
        if parsed is None or parsed.account != account:
            log.warning("%s names SNS topic %s of another account: not delivered", record["arn"], topic)
            continue
        subscribers = settings.subscribers(topic)
        # In development mode a topic nobody subscribes to has its notices kept in the outbox instead.
        outboxed = not subscribers and ctx.runtime.transports.outbox is not None
        if not subscribers and not outboxed:
            if topic not in _unknown_topics:
                _unknown_topics.add(topic)
                log.info("SNS topic %s has no subscribers in the config: its messages go nowhere", topic)
            continue
        composed = notice.compose(
            record,
            payload,
            message_id=str(uuid.uuid4()),
            link=links.link(settings, record["arn"], ctx.settings.region),
            topic_arn=topic,
            sent_at=ctx.now_ms / 1000,
            note=note,
        )
        if outboxed:
            notice_outbox.keep(ctx, composed)
        for subscriber in subscribers:
            job = {
                "incidentArn": record["arn"],
                "topicArn": topic,
                "subscriber": subscriber.key,
                "protocol": subscriber.protocol,
                "notice": composed.to_dict(),
                "attempt": 1,
                "firstAttemptMs": ctx.now_ms,
            }
            ctx.enqueue(DELIVER, job)


@job_kind(DELIVER, effect=True)
def deliver(ctx: JobContext) -> None:
    """Send one notice to one subscriber; a temporary failure tries again later, alone, for a bounded time."""
    payload = ctx.job.payload
    settings = ctx.settings.notifications
    subscriber = settings.subscriber(payload["topicArn"], payload["subscriber"])
    if subscriber is None:
        log.warning("a %s subscriber of %s left the config: message not sent", payload["protocol"], payload["topicArn"])
        return
    with ctx.read() as conn:
        if incidents.get(conn, ctx.job.account_id, payload["incidentArn"]) is None:
            return  # deleted meanwhile
    composed = notice.Notice.from_dict(payload["notice"])
    attempt = int(payload["attempt"])
    try:
        answer = delivery.send(subscriber, composed, ctx.runtime.transports, settings.timeout_seconds)
    except DeliveryError as error:
        _failed(ctx, settings, subscriber, error, attempt)
        return
    metrics.delivery(subscriber.protocol, metrics.SENT)
    log.info(
        "%s of %s delivered to %s (attempt %s): %s",
        composed.event,
        composed.incident_arn,
        subscriber.describe(),
        attempt,
        answer,
    )


def _failed(
    ctx: JobContext,
    settings: NotifySettings,
    subscriber: Subscriber,
    error: DeliveryError,
    attempt: int,
) -> None:
    """Schedule the next attempt of a temporary failure while time is left; give up on the rest, loudly."""
    payload: dict[str, Any] = ctx.job.payload
    now = ctx.current_ms()
    delay = settings.retry_delay_ms(attempt)
    within = now + delay - int(payload["firstAttemptMs"]) <= settings.retry_for_seconds * 1000
    what = f"{payload['notice']['event']} of {payload['incidentArn']} to {subscriber.describe()}"
    metrics.delivery(subscriber.protocol, metrics.FAILED if error.permanent or not within else metrics.RETRYING)
    if error.permanent or not within:
        reason = "permanent failure" if error.permanent else f"still failing after {settings.retry_for_seconds:g} s"
        log.error("gave up delivering %s after %s attempt(s), %s: %s", what, attempt, reason, error)
        return
    log.warning("delivering %s failed (attempt %s), trying again in %s ms: %s", what, attempt, delay, error)
    with ctx.transaction() as conn:
        # enqueue() counts from the job's start; the failed attempt may have waited out a timeout since.
        ctx.enqueue(DELIVER, dict(payload, attempt=attempt + 1), delay + now - ctx.now_ms, conn=conn)
        ctx.finish(conn)
