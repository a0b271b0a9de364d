"""How pages leave: [smtp], [twilio] and [sms_webhook], each with its INCIDENTD_* twins (the environment wins)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.config.values import ConfigError, no_unknown, section

# Each setting: (config-file section, key, environment variable). The environment wins, key by key.
Setting = tuple[str, str, str]
SMTP = (("smtp", "url", "INCIDENTD_SMTP_URL"), ("smtp", "from", "INCIDENTD_EMAIL_FROM"))
TWILIO = (
    ("twilio", "account_sid", "INCIDENTD_TWILIO_ACCOUNT_SID"),
    ("twilio", "auth_token", "INCIDENTD_TWILIO_AUTH_TOKEN"),
)
TWILIO_FROM = ("twilio", "from", "INCIDENTD_TWILIO_FROM")
TWILIO_BASE_URL = ("twilio", "base_url", "INCIDENTD_TWILIO_BASE_URL")
TWILIO_PUBLIC_URL = ("twilio", "public_url", "INCIDENTD_TWILIO_PUBLIC_URL")
SMS_WEBHOOK = (
    ("sms_webhook", "url", "INCIDENTD_SMS_WEBHOOK_URL"),
    ("sms_webhook", "secret", "INCIDENTD_SMS_WEBHOOK_SECRET"),
)
DEFAULT_TWILIO_BASE_URL = "https://api.twilio.com"


def section_keys() -> dict[str, frozenset[str]]:
    """The keys each of [smtp], [twilio] and [sms_webhook] accepts."""
    found: dict[str, set[str]] = {}
    for name, key, _ in (*SMTP, *TWILIO, TWILIO_FROM, TWILIO_BASE_URL, TWILIO_PUBLIC_URL, *SMS_WEBHOOK):
        found.setdefault(name, set()).add(key)
    return {name: frozenset(keys) for name, keys in found.items()}


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail pages go, and who they come from."""

    url: str = field(repr=False)  # may hold a user and password
    sender: str


@dataclass(frozen=True)
class TwilioSettings:
    """The Twilio account SMS and voice pages go through, and whose callbacks acknowledge pages."""

    account_sid: str
    auth_token: str = field(repr=False)
    # The number pages come from: needed to send, so a worker refuses to start without it (channels), while a
    # node that only serves the API may check Twilio's callbacks without it.
    from_number: str | None = None
    base_url: str = DEFAULT_TWILIO_BASE_URL
    # incidentd's URL as Twilio reaches it: turns on acknowledging by SMS reply and by a key pressed on a call.
    public_url: str | None = None


@dataclass(frozen=True)
class TwilioCallbacks:
    """What Twilio's signed callbacks are checked against: the account, its auth token, the URL Twilio calls."""

    account_sid: str
    auth_token: str = field(repr=False)
    public_url: str


@dataclass(frozen=True)
class SmsWebhookSettings:
    """Instead of Twilio: where SMS and voice pages are POSTed as signed JSON."""

    url: str = field(repr=False)
    secret: str = field(repr=False)


@dataclass(frozen=True)
class DeliverySettings:
    """The page transports the settings describe; a channel type with none keeps its pages waiting for one."""

    smtp: SmtpSettings | None = None
    twilio: TwilioSettings | None = None
    sms_webhook: SmsWebhookSettings | None = None  # used only when Twilio is not configured

    @classmethod
    def read(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> DeliverySettings:
        """The three groups from the file and the environment; half a group is a mistake, refused."""
        for name, keys in section_keys().items():
            no_unknown(section(raw, name), keys, f"[{name}]")
        smtp = _group(raw, env, SMTP)
        twilio = _group(raw, env, TWILIO)
        webhook = _group(raw, env, SMS_WEBHOOK)
        extra = _read(raw, env, (TWILIO_FROM, TWILIO_BASE_URL, TWILIO_PUBLIC_URL))
        return cls(
            smtp=SmtpSettings(*smtp) if smtp else None,
            twilio=TwilioSettings(
                account_sid=twilio[0],
                auth_token=twilio[1],
                from_number=extra.get(TWILIO_FROM[2]),
                base_url=extra.get(TWILIO_BASE_URL[2], DEFAULT_TWILIO_BASE_URL),
                public_url=extra.get(TWILIO_PUBLIC_URL[2]),
            )
            if twilio
            else None,
            sms_webhook=SmsWebhookSettings(*webhook) if webhook else None,
        )

    def twilio_callbacks(self) -> TwilioCallbacks | None:
        """What Twilio's callbacks are checked against; None, and the callbacks off, without a public URL."""
        twilio = self.twilio
        if twilio is None or not twilio.public_url:
            return None
        return TwilioCallbacks(twilio.account_sid, twilio.auth_token, twilio.public_url.rstrip("/"))


def _group(raw: Mapping[str, Any], env: Mapping[str, str], settings: tuple[Setting, ...]) -> list[str] | None:
    """All of a group's values in order, None when none is set, or an error naming the ones missing."""
    found = _read(raw, env, settings)
    if not found:
        return None
    missing = [f"{variable} ([{section}] {key})" for section, key, variable in settings if variable not in found]
    if missing:
        raise ConfigError(f"{', '.join(sorted(found))} set but not {', '.join(missing)}")
    return [found[variable] for _, _, variable in settings]


def _read(raw: Mapping[str, Any], env: Mapping[str, str], settings: tuple[Setting, ...]) -> dict[str, str]:
    """The non-empty values of some settings, keyed by variable name, the environment over the file."""
    found: dict[str, str] = {}
    for name, key, variable in settings:
        table = section(raw, name)
        value = env.get(variable) or table.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"[{name}] {key} must be a string, not {value!r}")
        if value not in (None, ""):
            found[variable] = str(value)
    return found
