"""[[sns_topics]] and [notifications]: who hears about incidents, where links point, how deliveries retry."""

from __future__ import annotations

import hashlib
import re
import string
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.config.credentials import DEV_CREDENTIAL
from incidentd.config.values import ConfigError, no_unknown, positive, section, strings, table
from incidentd.domain import arns, retry
from incidentd.domain.addresses import masked
from incidentd.domain.urls import http_url
from incidentd.protocol.sigv4 import Credential

PROTOCOLS = ("slack", "msteams", "mattermost", "https", "email")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:4570"
URL_FIELDS = ("arn", "id", "plan", "region", "account")

# The keys of [[sns_topics]] (besides its [[sns_topics.subscribers]] array), of a subscriber, of [notifications].
TOPIC_KEYS = frozenset({"arn"})
SUBSCRIBER_KEYS = frozenset({"protocol", "endpoint", "secret"})
NOTIFICATION_KEYS = frozenset(
    {
        "public_url",
        "incident_url",
        "link_secret",
        "previous_link_secrets",
        "link_lifetime_days",
        "retry_seconds",
        "retry_for_seconds",
        "timeout_seconds",
    }
)
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Subscriber:
    """One subscription of a topic: where a chat product, an HTTPS receiver or a mailbox gets its messages."""

    protocol: str
    endpoint: str
    secret: str | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """A stable name for this subscription that jobs carry instead of the endpoint.

        Chat webhook URLs are credentials themselves (anyone holding a Slack hook URL can post), so the job table
        stores this digest and the delivery looks the endpoint up in the config again.
        """
        return hashlib.sha256(f"{self.protocol}\n{self.endpoint}".encode()).hexdigest()[:20]

    def describe(self) -> str:
        """The subscription for logs: host only, since a chat webhook's path is its secret."""
        if self.protocol == "email":
            return f"email {masked(self.endpoint)}"  # logs are read by more people than the config
        parts = urllib.parse.urlsplit(self.endpoint)
        return f"{self.protocol} {parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def link_key(secret: str | None, credentials: Mapping[str, Credential]) -> bytes:
    """The HMAC key of incident links: the configured secret, else one derived from the credentials' secret keys.

    Derived, every node of a cluster computes the same key without a new setting; rotating a secret key changes
    it, which invalidates the links already sent.
    """
    if secret:
        return secret.encode()
    secrets = sorted(c.secret_access_key for c in credentials.values()) or [DEV_CREDENTIAL.secret_access_key]
    return hashlib.sha256(b"incidentd incident links\n" + "\n".join(secrets).encode()).digest()


@dataclass(frozen=True)
class NotifySettings:
    """Which subscribers each topic has, where links point, and how deliveries retry."""

    topics: dict[str, tuple[Subscriber, ...]] = field(default_factory=dict)
    public_url: str = DEFAULT_PUBLIC_URL
    incident_url: str | None = None
    link_key: bytes = field(default_factory=lambda: link_key(None, {}), repr=False)
    # Keys links were signed with before link_secret changed: their links open until they expire.
    previous_link_keys: tuple[bytes, ...] = field(default=(), repr=False)
    link_lifetime_days: float = 30.0
    retry_seconds: float = 5.0
    retry_for_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    @property
    def link_keys(self) -> tuple[bytes, ...]:
        """Every key a link may be signed with: the current one first (it signs new links), then the previous."""
        return (self.link_key, *self.previous_link_keys)

    @property
    def link_lifetime_seconds(self) -> int:
        """How long a new link opens its incident."""
        return max(1, round(self.link_lifetime_days * 86_400))

    def subscribers(self, topic_arn: str) -> tuple[Subscriber, ...]:
        """The subscribers of a topic; none for a topic the config doesn't name."""
        return self.topics.get(topic_arn, ())

    def subscriber(self, topic_arn: str, key: str) -> Subscriber | None:
        """A topic's subscriber by its key, if the config still has it."""
        return next((sub for sub in self.subscribers(topic_arn) if sub.key == key), None)

    def retry_delay_ms(self, attempt: int) -> int:
        """The wait after a failed attempt: retry_seconds, doubling each time, at most five minutes."""
        return retry.notice(self.retry_seconds).delay_ms(attempt)

    @classmethod
    def read(
        cls, raw: Mapping[str, Any], env: Mapping[str, str], credentials: Mapping[str, Credential]
    ) -> NotifySettings:
        """The sections from the file, with INCIDENTD_PUBLIC_URL and INCIDENTD_LINK_SECRET over them."""
        found = section(raw, "notifications")
        no_unknown(found, NOTIFICATION_KEYS, "[notifications]")
        public_url = env.get("INCIDENTD_PUBLIC_URL") or found.get("public_url") or DEFAULT_PUBLIC_URL
        try:
            http_url(str(public_url))
        except ValueError as exc:
            raise ConfigError(f"[notifications] public_url / INCIDENTD_PUBLIC_URL: {exc}") from None
        template = found.get("incident_url")
        if template is not None:
            _check_template(template)
        secret = env.get("INCIDENTD_LINK_SECRET") or found.get("link_secret")
        if secret is not None and not isinstance(secret, str):
            raise ConfigError("[notifications] link_secret must be a string")

        def seconds(key: str, default: float) -> float:
            return positive(found.get(key, default), f"[notifications] {key}")

        previous = strings(found.get("previous_link_secrets", []), "[notifications] previous_link_secrets")
        if any(not old for old in previous):
            raise ConfigError("[notifications] previous_link_secrets must not hold an empty secret")

        return cls(
            topics=_topics(raw.get("sns_topics", [])),
            public_url=str(public_url).rstrip("/"),
            incident_url=template,
            link_key=link_key(secret, credentials),
            previous_link_keys=tuple(old.encode() for old in previous),
            link_lifetime_days=positive(found.get("link_lifetime_days", 30.0), "[notifications] link_lifetime_days"),
            retry_seconds=seconds("retry_seconds", 5.0),
            retry_for_seconds=seconds("retry_for_seconds", 3600.0),
            timeout_seconds=seconds("timeout_seconds", 10.0),
        )

    def describe(self) -> list[str]:
        """One line per configured topic for the start-up log: where its messages go (hosts only)."""
        return [
            f"SNS topic {arn} delivers to {', '.join(s.describe() for s in subscribers) or 'nobody'}"
            for arn, subscribers in self.topics.items()
        ]


def _topics(entries: Any) -> dict[str, tuple[Subscriber, ...]]:
    if not isinstance(entries, list):
        raise ConfigError("sns_topics must be an array of tables: [[sns_topics]]")
    topics: dict[str, tuple[Subscriber, ...]] = {}
    for number, entry in enumerate(entries, 1):
        where = f"[[sns_topics]] entry {number}"
        entry = table(entry, where)
        no_unknown(entry, TOPIC_KEYS | {"subscribers"}, where)
        arn = str(entry.get("arn", ""))
        parsed = arns.parse(arn)
        if parsed is None or parsed.service != "sns" or not parsed.account or ":" in parsed.resource:
            raise ConfigError(f"{where}: arn must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
        if arn in topics:
            raise ConfigError(f"{where}: topic {arn} is configured twice")
        subscribers = entry.get("subscribers", [])
        if not isinstance(subscribers, list):
            raise ConfigError(f"{where} ({arn}): subscribers must be an array of tables")
        found = [_subscriber(item, f"{where} ({arn}) subscriber {i}") for i, item in enumerate(subscribers, 1)]
        if len({sub.key for sub in found}) != len(found):
            raise ConfigError(f"{where} ({arn}): a subscriber is listed twice (same protocol and endpoint)")
        topics[arn] = tuple(found)
    return topics


def _subscriber(item: Any, where: str) -> Subscriber:
    item = table(item, where)
    no_unknown(item, SUBSCRIBER_KEYS, where)
    protocol, endpoint, secret = item.get("protocol"), item.get("endpoint"), item.get("secret")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"{where}: protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if not isinstance(endpoint, str) or not endpoint:
        raise ConfigError(f"{where}: endpoint is missing")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise ConfigError(f"{where}: secret must be a non-empty string")
    if protocol == "email":
        if not _ADDRESS.match(endpoint):
            raise ConfigError(f"{where}: endpoint must be an e-mail address, not {endpoint!r}")
    else:
        try:
            http_url(endpoint)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return Subscriber(protocol, endpoint, secret)


def _check_template(template: Any) -> None:
    """An incident_url template may use only the documented fields."""
    if not isinstance(template, str):
        raise ConfigError("[notifications] incident_url must be a string")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"[notifications] incident_url: {exc}") from None
    unknown = names - set(URL_FIELDS)
    if unknown:
        raise ConfigError(
            f"[notifications] incident_url uses {', '.join(sorted(unknown))}; it may use {{{'}, {'.join(URL_FIELDS)}}}"
        )
    try:
        http_url(template.format(**dict.fromkeys(URL_FIELDS, "x")))
    except ValueError as exc:
        raise ConfigError(f"[notifications] incident_url: {exc}") from None
