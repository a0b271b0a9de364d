"""Delivery transports behind one interface, and the choice of transport per channel type from settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from incidentd.channels.email import SmtpTransport
from incidentd.channels.memory import MemoryTransport
from incidentd.channels.message import CHANNEL_TYPES, DeliveryError, Message, Transport, activation_message
from incidentd.channels.twilio import DEFAULT_BASE_URL, TwilioTransport
from incidentd.channels.webhook import WebhookTransport, verify_signature

__all__ = [
    "CHANNEL_TYPES",
    "ChannelConfigError",
    "DeliveryError",
    "MemoryTransport",
    "Message",
    "SmtpTransport",
    "Transport",
    "Transports",
    "TwilioTransport",
    "UnconfiguredTransport",
    "WebhookTransport",
    "activation_message",
    "transports_from_settings",
    "verify_signature",
]

# Each setting: (config-file section, key, environment variable). The environment wins, key by key.
SMTP_SETTINGS = (("smtp", "url", "INCIDENTD_SMTP_URL"), ("smtp", "from", "INCIDENTD_EMAIL_FROM"))
TWILIO_SETTINGS = (
    ("twilio", "account_sid", "INCIDENTD_TWILIO_ACCOUNT_SID"),
    ("twilio", "auth_token", "INCIDENTD_TWILIO_AUTH_TOKEN"),
    ("twilio", "from", "INCIDENTD_TWILIO_FROM"),
)
TWILIO_BASE_URL = ("twilio", "base_url", "INCIDENTD_TWILIO_BASE_URL")
TWILIO_PUBLIC_URL = ("twilio", "public_url", "INCIDENTD_TWILIO_PUBLIC_URL")
WEBHOOK_SETTINGS = (
    ("sms_webhook", "url", "INCIDENTD_SMS_WEBHOOK_URL"),
    ("sms_webhook", "secret", "INCIDENTD_SMS_WEBHOOK_SECRET"),
)

_HINTS = {
    "EMAIL": "set INCIDENTD_SMTP_URL and INCIDENTD_EMAIL_FROM (or [smtp] url and from)",
    "SMS": "set INCIDENTD_TWILIO_ACCOUNT_SID, INCIDENTD_TWILIO_AUTH_TOKEN and INCIDENTD_TWILIO_FROM "
    "(or [twilio]), or INCIDENTD_SMS_WEBHOOK_URL and INCIDENTD_SMS_WEBHOOK_SECRET (or [sms_webhook])",
}
_HINTS["VOICE"] = _HINTS["SMS"]


class ChannelConfigError(ValueError):
    """Delivery settings that are present but can't be used."""


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
    """The transport for each channel type; types with none map to an UnconfiguredTransport."""

    def __init__(self, transports: Mapping[str, Transport] | None = None) -> None:
        given = dict(transports or {})
        self._by_type: dict[str, Transport] = {kind: UnconfiguredTransport(kind) for kind in CHANNEL_TYPES}
        self._by_type.update(given)

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
        """Whether a channel type has a real transport."""
        transport = self._by_type.get(channel_type)
        return transport is not None and not isinstance(transport, UnconfiguredTransport)

    def describe(self) -> str:
        """One line for the start-up log: each channel type and its transport."""
        return "; ".join(f"{kind}: {transport.describe()}" for kind, transport in self._by_type.items())


def transports_from_settings(
    env: Mapping[str, str], raw_config: Mapping[str, Any], timeout: float = 10.0
) -> Transports:
    """Transports from INCIDENTD_* variables and their config-file twins; the environment wins."""
    chosen: dict[str, Transport] = {}
    smtp = _read(env, raw_config, SMTP_SETTINGS)
    if smtp:
        url, sender = _require(smtp, SMTP_SETTINGS)
        chosen["EMAIL"] = _build(lambda: SmtpTransport(url, sender, timeout=timeout), "email settings")
    twilio = _read(env, raw_config, TWILIO_SETTINGS)
    webhook = _read(env, raw_config, WEBHOOK_SETTINGS)
    phone: Transport | None = None
    if twilio:  # Twilio wins over the webhook when both are set
        sid, token, from_number = _require(twilio, TWILIO_SETTINGS)
        extra = _read(env, raw_config, (TWILIO_BASE_URL, TWILIO_PUBLIC_URL))
        base_url = extra.get("INCIDENTD_TWILIO_BASE_URL", DEFAULT_BASE_URL)
        public_url = extra.get("INCIDENTD_TWILIO_PUBLIC_URL")
        phone = _build(
            lambda: TwilioTransport(sid, token, from_number, base_url, timeout, public_url), "Twilio settings"
        )
    elif webhook:
        url, secret = _require(webhook, WEBHOOK_SETTINGS)
        phone = _build(lambda: WebhookTransport(url, secret, timeout), "SMS webhook settings")
    if phone is not None:
        chosen["SMS"] = chosen["VOICE"] = phone
    return Transports(chosen)


def twilio_callback_settings(env: Mapping[str, str], raw_config: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The account SID, auth token and public URL that Twilio's callbacks are checked against; None if any is unset."""
    found = _read(env, raw_config, (*TWILIO_SETTINGS, TWILIO_PUBLIC_URL))
    names = ("INCIDENTD_TWILIO_ACCOUNT_SID", "INCIDENTD_TWILIO_AUTH_TOKEN", "INCIDENTD_TWILIO_PUBLIC_URL")
    if not all(name in found for name in names):
        return None
    sid, token, url = (found[name] for name in names)
    return sid, token, url.rstrip("/")


def _read(env: Mapping[str, str], raw: Mapping[str, Any], settings: tuple[tuple[str, str, str], ...]) -> dict[str, str]:
    """The non-empty values of some settings, keyed by variable name, the environment over the file."""
    found: dict[str, str] = {}
    for section, key, variable in settings:
        table = raw.get(section, {})
        if not isinstance(table, Mapping):
            raise ChannelConfigError(f"[{section}] in the config file must be a table")
        value = env.get(variable) or table.get(key)
        if value not in (None, ""):
            found[variable] = str(value)
    return found


def _require(found: dict[str, str], settings: tuple[tuple[str, str, str], ...]) -> list[str]:
    """All of a group's values, or an error naming the ones missing: half a configuration is a mistake."""
    missing = [f"{variable} ([{section}] {key})" for section, key, variable in settings if variable not in found]
    if missing:
        raise ChannelConfigError(f"{', '.join(sorted(found))} set but not {', '.join(missing)}")
    return [found[variable] for _, _, variable in settings]


def _build(make: Callable[[], Transport], what: str) -> Transport:
    """Construct a transport, turning its complaint about a value into a ChannelConfigError."""
    try:
        transport: Transport = make()
    except ValueError as exc:
        raise ChannelConfigError(f"{what}: {exc}") from None
    return transport
