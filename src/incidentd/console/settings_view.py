"""Settings, for admins: the replication set, the SNS topics, the page transports and the console's users.

Everything shown from the config file is masked where it could hold a secret (a chat webhook's path is a
credential, an SMTP URL may hold a password): an admin of the console is not necessarily an admin of the host.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd import channels
from incidentd.config.delivery import DeliverySettings
from incidentd.config.notifications import Subscriber
from incidentd.config.values import ConfigError
from incidentd.console import oncall_data
from incidentd.console.app import PREFIX, Console, reader, writer
from incidentd.console.errors import FormErrors
from incidentd.console.sessions import SignedIn
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.store import console_users

INCIDENTS = "ssm-incidents"
ADMIN = "admin"
MASK = "••••"
PROTOCOL_NAMES = {
    "slack": "Slack",
    "msteams": "Microsoft Teams",
    "mattermost": "Mattermost",
    "https": "HTTPS",
    "email": "E-mail",
}
NOT_ADMIN = "Only admins see and change the settings."


@dataclass(frozen=True)
class Transport:
    """How one channel type's pages leave: the transport's kind and where it sends, secrets masked."""

    channel_type: str
    kind: str  # "SMTP", "Twilio", "SMS webhook", or "" when there is none
    details: list[str]


# Masking: what the page shows of a URL or an identifier that may carry a secret.


def masked_url(url: str) -> str:
    """Scheme, host and port; user info, path, query and fragment (where webhook tokens live) masked."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port: show the host alone
        port = ""
    user = f"{MASK}@" if parts.username or parts.password else ""
    rest = f"/{MASK}" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{user}{host}{port}{rest}"


def smtp_url(url: str) -> str:
    """An SMTP URL with its user name (it says which mailbox sends) and its password masked."""
    parts = urllib.parse.urlsplit(url)
    shown = masked_url(url)
    if parts.username:
        user = urllib.parse.unquote(parts.username) + (f":{MASK}" if parts.password else "")
        shown = shown.replace(f"{MASK}@", f"{user}@", 1)
    return shown


def masked_id(value: str) -> str:
    """An identifier that is not a secret but need not be shown whole (a Twilio account SID): its ends only."""
    return f"{value[:2]}{MASK}{value[-4:]}" if len(value) > 8 else MASK


def subscriber_view(subscriber: Subscriber) -> dict[str, str]:
    """One subscriber as the page lists it: product, endpoint (masked unless an address), whether signed."""
    endpoint = subscriber.endpoint if subscriber.protocol == "email" else masked_url(subscriber.endpoint)
    return {
        "protocol": PROTOCOL_NAMES.get(subscriber.protocol, subscriber.protocol),
        "endpoint": endpoint,
        "signed": "signed (secret hidden)" if subscriber.secret else "",
    }


# What the page reads.


def topics(console: Console, who: SignedIn) -> list[dict[str, Any]]:
    """The configured SNS topics of the signed-in person's account (the topic ARN's account), with subscribers."""
    found = []
    for arn, subscribers in sorted(console.settings.notifications.topics.items()):
        parsed = arns.parse(arn)
        if parsed is None or parsed.account != who.account_id:
            continue  # accounts are tenants: another account's topic and its webhooks are none of this admin's business
        found.append({"arn": arn, "subscribers": [subscriber_view(s) for s in subscribers]})
    return found


def transports(delivery: DeliverySettings) -> tuple[list[Transport], str]:
    """Each channel type's transport, chosen as the worker and `incidentd check-paging` choose it; and the
    configuration's problem, if it has one."""
    try:
        chosen = channels.transports_from_settings(delivery)
    except ConfigError as error:
        return [Transport(kind, "", []) for kind in channels.CHANNEL_TYPES], str(error)
    found = []
    for channel_type in channels.CHANNEL_TYPES:
        transport = chosen[channel_type]
        if isinstance(transport, channels.SmtpTransport) and delivery.smtp is not None:
            found.append(Transport(channel_type, "SMTP", _smtp_details(delivery)))
        elif isinstance(transport, channels.TwilioTransport) and delivery.twilio is not None:
            found.append(Transport(channel_type, "Twilio", _twilio_details(delivery)))
        elif isinstance(transport, channels.WebhookTransport) and delivery.sms_webhook is not None:
            webhook = delivery.sms_webhook
            details = [f"POST to {masked_url(webhook.url)}", "signed with a secret (hidden)"]
            found.append(Transport(channel_type, "SMS webhook", details))
        else:
            hint = transport.hint if isinstance(transport, channels.UnconfiguredTransport) else ""
            found.append(Transport(channel_type, "", [hint] if hint else []))
    return found, ""


def _smtp_details(delivery: DeliverySettings) -> list[str]:
    assert delivery.smtp is not None
    return [f"server {smtp_url(delivery.smtp.url)}", f"from {delivery.smtp.sender}"]


def _twilio_details(delivery: DeliverySettings) -> list[str]:
    twilio = delivery.twilio
    assert twilio is not None
    details = [
        f"account {masked_id(twilio.account_sid)}, auth token hidden",
        f"from {twilio.from_number or '(no number)'}",
        f"API {masked_url(twilio.base_url)}",
        "acknowledging by SMS reply and key press: "
        + (f"on ({masked_url(twilio.public_url)})" if twilio.public_url else "off (no public_url)"),
    ]
    if delivery.sms_webhook is not None:
        details.append("the SMS webhook is configured too, but Twilio comes first")
    return details


def users(console: Console, who: SignedIn) -> list[dict[str, Any]]:
    """The account's local console users, by name (never another account's, nor anyone's password hash)."""
    with console.db.read() as conn:
        return console_users.of_account(conn, who.account_id)


def sso(console: Console, who: SignedIn) -> dict[str, Any] | None:
    """The single sign-on provider and this account's claim mappings; never the client secret."""
    oidc = console.settings.console.oidc
    if oidc is None:
        return None
    return {
        "issuer": oidc.issuer,
        "client_id": oidc.client_id,
        "confidential": bool(oidc.client_secret),
        "claim": oidc.claim,
        "name_claim": oidc.name_claim,
        "mappings": [m for m in oidc.mappings if m.account_id == who.account_id],
    }


def replication_set(console: Console, who: SignedIn) -> dict[str, Any] | None:
    """The account's replication set through the API (it has at most one), or None."""
    listed = console.call(who, INCIDENTS, "ListReplicationSets", {}).get("replicationSetArns", [])
    if not listed:
        return None
    try:
        found: dict[str, Any] = console.call(who, INCIDENTS, "GetReplicationSet", {"arn": listed[0]})["replicationSet"]
    except ServiceError as error:
        if error.code == "ResourceNotFoundException":
            return None  # deleted between the two calls
        raise
    return found


def _aliases(console: Console, who: SignedIn) -> set[str] | None:
    """The aliases of the account's contacts, to say which user's linked contact is missing; None if unreadable."""
    try:
        return {contact["Alias"] for contact in oncall_data.contacts(console, who, "PERSONAL")}
    except ServiceError:
        return None  # no replication set yet: the contacts API still answers, but don't let it break the page


def show(
    console: Console, request: Request, who: SignedIn, errors: FormErrors | None = None, status: int = 200
) -> Response:
    """The settings page; errors (of a refused form) beside the replication set's forms."""
    try:
        found = replication_set(console, who)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        raise
    by_type, delivery_problem = transports(console.settings.delivery)
    if console.settings.development and not delivery_problem:  # a type without a transport goes to the outbox
        outbox = ["kept for incidentd outbox and the Outbox page (development mode)"]
        by_type = [t if t.kind else Transport(t.channel_type, "Development outbox", outbox) for t in by_type]
    return console.page(
        request,
        who,
        "settings.html",
        status=status,
        replication_set=found,
        region=console.settings.region,
        topics=topics(console, who),
        public_url=console.settings.notifications.public_url,
        transports=by_type,
        delivery_problem=delivery_problem,
        users=users(console, who),
        aliases=_aliases(console, who),
        sso=sso(console, who),
        errors=errors,
    )


def settings(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/settings: admins only."""
    if who.role != ADMIN:
        return console.refused(request, who, NOT_ADMIN)
    return show(console, request, who)


def _write(console: Console, request: Request, who: SignedIn, name: str, params: dict[str, Any]) -> Response:
    """Run one write as the admin; back to the page, or the page again with the API's refusal."""
    try:
        console.call(who, INCIDENTS, name, params)
    except ServiceError as error:
        if error.code == "AccessDeniedException":
            return console.refused(request, who, error.message)
        return show(console, request, who, FormErrors.of(error, {}), status=400)
    return RedirectResponse(f"{PREFIX}/settings", status_code=303)


def deletion_protection(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/settings/deletion-protection: UpdateDeletionProtection on the account's replication set."""
    if who.role != ADMIN:
        return console.refused(request, who, NOT_ADMIN)
    try:
        listed = console.call(who, INCIDENTS, "ListReplicationSets", {}).get("replicationSetArns", [])
    except ServiceError as error:
        return console.refused(request, who, error.message)
    if not listed:
        return show(console, request, who, FormErrors(form="This account has no replication set."), status=400)
    # The form says which state it asks for, so that a second click (or a stale page) doesn't flip it back.
    wanted = form.get("deletion_protected", "")
    if wanted not in ("true", "false"):
        return show(console, request, who, FormErrors(form="Choose on or off."), status=400)
    return _write(
        console, request, who, "UpdateDeletionProtection", {"arn": listed[0], "deletionProtected": wanted == "true"}
    )


def create_replication_set(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/settings/replication-set: CreateReplicationSet in the server's region."""
    if who.role != ADMIN:
        return console.refused(request, who, NOT_ADMIN)
    return _write(console, request, who, "CreateReplicationSet", {"regions": {console.settings.region: {}}})


def routes(console: Console) -> list[BaseRoute]:
    """The settings' endpoints."""
    return [
        Route("/settings", reader(console, settings), methods=["GET"]),
        Route("/settings/deletion-protection", writer(console, deletion_protection), methods=["POST"]),
        Route("/settings/replication-set", writer(console, create_replication_set), methods=["POST"]),
    ]
