"""CloudWatch alarm notifications through an SNS HTTP(S) subscription: signatures, confirmation, alarms."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from incidentd.ingest.common import IGNORE, RESOLVE, START, PayloadError, Refused, Signal, epoch, raw_data

SOURCE = "aws.cloudwatch"  # the alarm is AWS's own, so its source is what Incident Manager shows for alarms
TIMEOUT = 10.0
CACHE_SIZE = 64
# SNS signs with a certificate it serves from its regional endpoint (SNS developer guide, "Verifying the
# signatures of Amazon SNS messages"): anything else could be anyone's certificate.
_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
# The members signed, in order, per message type; Subject only when present (same guide).
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
# SNS gives up on an HTTP/S delivery within 3,600 seconds, a hard limit (SNS developer guide, "Amazon SNS message
# delivery retries"); with 15 minutes for clocks, an older notification can only be a replay of a captured one.
MAX_AGE = datetime.timedelta(seconds=3600 + 900)
MAX_SKEW = datetime.timedelta(seconds=900)

Fetch = Callable[[str], bytes]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead from an SNS host to any other: refuse it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str) -> bytes:
    """GET a URL (a certificate, a SubscribeURL); Refused(502) when it can't be had."""
    try:
        with _opener.open(urllib.request.Request(url, method="GET"), timeout=TIMEOUT) as response:
            body: bytes = response.read(1024 * 1024)
            return body
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Refused(502, f"could not fetch {url.split('?', 1)[0]}: {exc}") from None


class SnsVerifier:
    """Checks SNS message signatures against certificates from allowed URLs, keeping the certificates."""

    def __init__(self, allowed_prefixes: Iterable[str] = (), fetcher: Fetch = fetch) -> None:
        self.allowed_prefixes = [urllib.parse.urlsplit(p) for p in allowed_prefixes]
        self.fetch = fetcher
        self._keys: dict[str, tuple[rsa.RSAPublicKey, datetime.datetime]] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str, pem: bool = False) -> bool:
        """Whether a URL is SNS's own (https, an sns.<region> host) or under a configured prefix."""
        parts = urllib.parse.urlsplit(url)
        for prefix in self.allowed_prefixes:
            same_origin = (parts.scheme, parts.hostname, parts.port) == (prefix.scheme, prefix.hostname, prefix.port)
            if same_origin and parts.path.startswith(prefix.path or "/"):
                return True
        sns_host = parts.scheme == "https" and _SNS_HOST.match(parts.hostname or "") is not None
        return sns_host and parts.port in (None, 443) and (not pem or parts.path.endswith(".pem"))

    def verify(self, message: dict[str, Any]) -> None:
        """Refused(403) unless the message is signed by SNS's certificate over exactly its members."""
        kind = message.get("Type")
        if kind not in _SIGNED:
            raise PayloadError(f"unknown SNS message Type {kind!r}")
        algorithm = _HASHES.get(str(message.get("SignatureVersion")))
        if algorithm is None:
            raise Refused(403, "SignatureVersion must be 1 or 2")
        url = message.get("SigningCertURL")
        if not isinstance(url, str) or not self.allowed(url, pem=True):
            raise Refused(403, "SigningCertURL is not an SNS certificate URL")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except binascii.Error:
            raise Refused(403, "the Signature is not base64") from None
        try:
            self._key(url).verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise Refused(403, "the message signature does not verify") from None

    def _key(self, url: str) -> rsa.RSAPublicKey:
        now = datetime.datetime.now(datetime.UTC)
        with self._lock:
            cached = self._keys.get(url)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            certificate = x509.load_pem_x509_certificate(self.fetch(url))
        except ValueError:
            raise Refused(403, "SigningCertURL does not hold a PEM certificate") from None
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise Refused(403, "the signing certificate's key is not RSA")
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise Refused(403, "the signing certificate is not valid now")
        with self._lock:
            if len(self._keys) >= CACHE_SIZE:
                self._keys.pop(next(iter(self._keys)))
            self._keys[url] = (key, certificate.not_valid_after_utc)
        return key


def check_fresh(message: dict[str, Any], now: float) -> None:
    """Refused(403) for a notification SNS could not be delivering now: sent too long ago, or in the future.

    A signature stays valid for good, so without this anyone who once saw a signed ALARM could post it again
    to open an incident whenever they liked.
    """
    try:
        sent = datetime.datetime.fromisoformat(str(message.get("Timestamp")))
    except ValueError:
        raise Refused(403, "the message Timestamp is not an ISO 8601 time") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=datetime.UTC)
    age = datetime.datetime.fromtimestamp(now, datetime.UTC) - sent
    if age > MAX_AGE:
        raise Refused(403, f"the message was sent at {message['Timestamp']}, longer ago than SNS retries a delivery")
    if age < -MAX_SKEW:
        raise Refused(403, f"the message Timestamp {message['Timestamp']} is in the future")


def string_to_sign(message: dict[str, Any]) -> bytes:
    """`Name\\nvalue\\n` for each signed member the message has, in SNS's order."""
    lines = []
    for name in _SIGNED[str(message["Type"])]:
        value = message.get(name)
        if value is None:
            if name == "Subject":
                continue
            raise Refused(403, f"the message lacks {name}, which SNS signs")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode()


def confirm(verifier: SnsVerifier, message: dict[str, Any]) -> Signal:
    """Confirm a verified subscription by visiting its SubscribeURL, as SNS asks."""
    url = message.get("SubscribeURL")
    if not isinstance(url, str) or not verifier.allowed(url):
        raise Refused(403, "SubscribeURL is not an SNS URL")
    verifier.fetch(url)
    details = {"confirmed": True, "topicArn": message.get("TopicArn")}
    return Signal(action=IGNORE, source=SOURCE, timestamp=0.0, raw_data="", details=details)


def parse_alarm(message: dict[str, Any], now: float) -> Signal:
    """A CloudWatch alarm state change: ALARM starts, OK resolves, INSUFFICIENT_DATA changes nothing."""
    try:
        alarm = json.loads(message.get("Message") or "")
    except ValueError:
        alarm = None
    if not isinstance(alarm, dict) or not alarm.get("AlarmName") or "NewStateValue" not in alarm:
        raise PayloadError("the SNS Message is not a CloudWatch alarm state change")
    state = alarm["NewStateValue"]
    action = {"ALARM": START, "OK": RESOLVE}.get(state, IGNORE)
    arn = alarm.get("AlarmArn") or _alarm_arn(alarm, str(message.get("TopicArn", "")))
    reason = alarm.get("NewStateReason")
    description = alarm.get("AlarmDescription")
    summary = "\n\n".join(str(part) for part in (description, reason) if part) or None
    return Signal(
        action=action,
        source=SOURCE,
        timestamp=epoch(_iso(alarm.get("StateChangeTime")), now),
        raw_data=raw_data(alarm),
        group=arn,
        trigger_arn=arn,
        alert=str(alarm["AlarmName"]),
        summary=summary,
        details={"alarmState": state},
    )


def _alarm_arn(alarm: dict[str, Any], topic_arn: str) -> str:
    """The alarm's ARN for a message without AlarmArn: its Region is a display name, so the topic's is used."""
    parts = topic_arn.split(":")
    region = parts[3] if len(parts) > 5 else "us-east-1"
    partition = parts[1] if len(parts) > 5 else "aws"
    return f"arn:{partition}:cloudwatch:{region}:{alarm.get('AWSAccountId', '')}:alarm:{alarm['AlarmName']}"


def _iso(text: Any) -> Any:
    """CloudWatch writes offsets as +0000; ISO 8601 readers want +00:00."""
    if isinstance(text, str) and re.search(r"[+-]\d{4}$", text):
        return text[:-2] + ":" + text[-2:]
    return text
