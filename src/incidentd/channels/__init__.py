"""Delivery transports behind one interface, and the choice of transport per channel type from settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from incidentd.channels.email import SmtpTransport
from incidentd.channels.memory import MemoryTransport
from incidentd.channels.message import CHANNEL_TYPES, DeliveryError, Message, Transport, activation_message
from incidentd.channels.outbox import OutboxTransport
from incidentd.channels.twilio import TwilioTransport
from incidentd.channels.webhook import WebhookTransport, verify_signature
from incidentd.clock import Clock
from incidentd.config.delivery import DeliverySettings
from incidentd.config.settings import Settings
from incidentd.config.values import ConfigError
from incidentd.store.db import Database

__all__ = [
    "CHANNEL_TYPES",
    "DeliveryError",
    "MemoryTransport",
    "Message",
    "OutboxTransport",
    "SmtpTransport",
    "Transport",
    "Transports",
    "TwilioTransport",
    "UnconfiguredTransport",
    "WebhookTransport",
    "activation_message",
    "transports_for",
    "transports_from_settings",
    "verify_signature",
]

_HINTS = {
    "EMAIL": "set INCIDENTD_SMTP_URL and INCIDENTD_EMAIL_FROM (or [smtp] url and from)",
    "SMS": "set INCIDENTD_TWILIO_ACCOUNT_SID, INCIDENTD_TWILIO_AUTH_TOKEN and INCIDENTD_TWILIO_FROM "
    "(or [twilio]), or INCIDENTD_SMS_WEBHOOK_URL and INCIDENTD_SMS_WEBHOOK_SECRET (or [sms_webhook])",
}
_HINTS["VOICE"] = _HINTS["SMS"]


class UnconfiguredTransport:
    """Stands in for a channel type with no transport: its pages wait for one instead of being dropped."""

    def __init__(self, channel_type: str, hint: str | None = None) -> None:
        self.channel_type = channel_type
        self.hint = hint or _HINTS.get(channel_type, "configure a transport for it")

    def describe(self) -> str:
        """What is missing."""
        return f"unconfigured ({self.hint})"

    def send(self, message: Message) -> str:
        """Always a temporary failure that names the settings to set."""
        raise DeliveryError(f"no transport for {self.channel_type} channels: {self.hint}")


class Transports(Mapping[str, Transport]):
    """The transport for each channel type; types with none map to the outbox when there is one (development
    mode), else to an UnconfiguredTransport."""

    def __init__(
        self, transports: Mapping[str, Transport] | None = None, outbox: OutboxTransport | None = None
    ) -> None:
        given = dict(transports or {})
        self.outbox = outbox  # where a chat notice for a topic with no subscribers goes, in development mode
        missing: dict[str, Transport] = {kind: outbox or UnconfiguredTransport(kind) for kind in CHANNEL_TYPES}
        self._by_type: dict[str, Transport] = {**missing, **given}

    def __getitem__(self, channel_type: str) -> Transport:
        return self._by_type[channel_type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_type)

    def __len__(self) -> int:
        return len(self._by_type)

    def send(self, message: Message) -> str:
        """Deliver through the transport for the message's channel type."""
        transport = self._by_type.get(message.channel_type)
        if transport is None:
            raise DeliveryError(f"unknown channel type {message.channel_type!r}", permanent=True)
        return transport.send(message)

    def configured(self, channel_type: str) -> bool:
        """Whether a channel type's pages go out (through a real transport, or into the development outbox)."""
        transport = self._by_type.get(channel_type)
        return transport is not None and not isinstance(transport, UnconfiguredTransport)

    def describe(self) -> str:
        """One line for the start-up log: each channel type and its transport."""
        return "; ".join(f"{kind}: {transport.describe()}" for kind, transport in self._by_type.items())


def transports_for(settings: Settings, db: Database, clock: Clock | None = None, timeout: float = 10.0) -> Transports:
    """A worker's transports: the configured ones, and in development mode the outbox for every type without one.

    With credentials configured, a type without a transport keeps an UnconfiguredTransport: its pages wait.
    """
    configured = transports_from_settings(settings.delivery, timeout)
    if not settings.development:
        return configured
    given = {kind: configured[kind] for kind in configured if configured.configured(kind)}
    return Transports(given, outbox=OutboxTransport(db, clock))


def transports_from_settings(delivery: DeliverySettings, timeout: float = 10.0) -> Transports:
    """The transport of each channel type that the delivery settings configure; Twilio wins over the SMS webhook."""
    chosen: dict[str, Transport] = {}
    if delivery.smtp is not None:
        smtp = delivery.smtp
        chosen["EMAIL"] = _build(lambda: SmtpTransport(smtp.url, smtp.sender, timeout=timeout), "email settings")
    phone: Transport | None = None
    if delivery.twilio is not None:
        twilio = delivery.twilio
        from_number = twilio.from_number
        if from_number is None:
            # Half a configuration is a mistake: a worker would send nothing and say nothing of why.
            raise ConfigError(
                "INCIDENTD_TWILIO_ACCOUNT_SID, INCIDENTD_TWILIO_AUTH_TOKEN set "
                "but not INCIDENTD_TWILIO_FROM ([twilio] from)"
            )
        phone = _build(
            lambda: TwilioTransport(
                twilio.account_sid, twilio.auth_token, from_number, twilio.base_url, timeout, twilio.public_url
            ),
            "Twilio settings",
        )
    elif delivery.sms_webhook is not None:
        webhook = delivery.sms_webhook
        phone = _build(lambda: WebhookTransport(webhook.url, webhook.secret, timeout), "SMS webhook settings")
    if phone is not None:
        chosen["SMS"] = chosen["VOICE"] = phone
    return Transports(chosen)


def _build(make: Callable[[], Transport], what: str) -> Transport:
    """Construct a transport, turning its complaint about a value into a ConfigError naming the settings."""
    try:
        transport: Transport = make()
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    return transport
