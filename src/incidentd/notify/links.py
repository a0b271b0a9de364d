"""Links in messages: to an incident (incidentd's signed read-only page, or the team's own tool through a template),
and to the confirmation page that acknowledges a page with one click."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from incidentd.config.notifications import NotifySettings
from incidentd.domain import arns

PAGE_PREFIX = "/incidents/"
ACKNOWLEDGE_PREFIX = "/acknowledge/"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,200}$")  # plan names and incident ids (model patterns)
_REGION = re.compile(r"^[a-z0-9-]{1,50}$")
_ALIAS = re.compile(r"^[a-z0-9_-]{1,255}$")  # contact aliases (model pattern)


def signature(key: bytes, incident_arn: str, expires: int) -> str:
    """The `sig` of an incident's link: HMAC-SHA256 of its ARN and expiry time, URL-safe base64."""
    # The ARN names the account, so a signature for one account's incident opens nothing in another; the expiry is
    # signed with it, so a link can't be made to last longer.
    mac = hmac.new(key, f"{incident_arn}\n{expires}".encode(), hashlib.sha256).digest()
    return _b64(mac)


def acknowledge_signature(key: bytes, page_arn: str, expires: int) -> str:
    """The `sig` of a page's acknowledge link: HMAC-SHA256 of its purpose, the page ARN and the expiry time."""
    # The purpose is signed too: an incident link's signature never acknowledges anything, whatever its path says.
    mac = hmac.new(key, f"acknowledge\n{page_arn}\n{expires}".encode(), hashlib.sha256).digest()
    return _b64(mac)


def _legacy_signature(key: bytes, incident_arn: str) -> str:
    """The `sig` of links made before links expired: over the ARN alone."""
    return _b64(hmac.new(key, incident_arn.encode(), hashlib.sha256).digest())


def _b64(mac: bytes) -> str:
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def parts(incident_arn: str) -> tuple[str, str, str] | None:
    """(account, plan name, incident id) of an incident ARN, or None when it is not one."""
    parsed = arns.parse(incident_arn)
    if parsed is None or parsed.service != "ssm-incidents":
        return None
    kind, _, rest = parsed.resource.partition("/")
    plan, _, incident_id = rest.partition("/")
    if kind != "incident-record" or not plan or not incident_id:
        return None
    return parsed.account, plan, incident_id


def link(settings: NotifySettings, incident_arn: str, region: str, now_ms: int | None = None) -> str:
    """Where a message sends its reader for an incident (the region fills an incident_url template's {region}).

    incidentd's own links carry their expiry time (epoch seconds) and open the incident until then.
    """
    found = parts(incident_arn)
    if found is None:
        return settings.public_url
    account, plan, incident_id = found
    if settings.incident_url:
        values = {"arn": incident_arn, "id": incident_id, "plan": plan, "region": region, "account": account}
        return settings.incident_url.format(**{k: urllib.parse.quote(v, safe="") for k, v in values.items()})
    made = time.time() if now_ms is None else now_ms / 1000
    expires = int(made) + settings.link_lifetime_seconds
    sig = signature(settings.link_key, incident_arn, expires)
    return f"{settings.public_url}{PAGE_PREFIX}{account}/{plan}/{incident_id}?exp={expires}&sig={sig}"


def acknowledge_link(settings: NotifySettings, page_arn: str, now_ms: int | None = None) -> str | None:
    """The signed link to a page's confirmation page, whose button acknowledges it; None for a malformed ARN.

    Always incidentd's own address (public_url), even with an incident_url template: only incidentd can accept.
    """
    found = page_parts(page_arn)
    if found is None:
        return None
    region, account, alias, page_id = found
    made = time.time() if now_ms is None else now_ms / 1000
    expires = int(made) + settings.link_lifetime_seconds
    sig = acknowledge_signature(settings.link_key, page_arn, expires)
    return f"{settings.public_url}{ACKNOWLEDGE_PREFIX}{region}/{account}/{alias}/{page_id}?exp={expires}&sig={sig}"


def page_links(
    settings: NotifySettings, channel_type: str, page_arn: str, incident_arn: str | None, region: str, now_ms: int
) -> tuple[str | None, str | None]:
    """The incident link and the acknowledge link a page carries on a channel: only e-mail carries them.

    SMS is the channel AWS treats as insecure (it gets PublicSubject and PublicContent), and a link is a
    credential for as long as it lasts; voice can't carry a link at all.
    """
    if channel_type != "EMAIL":
        return None, None
    page, incident = page_parts(page_arn), parts(incident_arn) if incident_arn else None
    # StartEngagement's IncidentId is whatever its caller wrote: a link is signed only for an incident of the
    # page's own account, so no engagement yields a link into another account's incident.
    same_account = page is not None and incident is not None and page[1] == incident[0]
    incident_link = link(settings, incident_arn, region, now_ms) if incident_arn and same_account else None
    return incident_link, acknowledge_link(settings, page_arn, now_ms)


def page_parts(page_arn: str) -> tuple[str, str, str, str] | None:
    """(region, account, contact alias, page id) of a page ARN, or None when it is not one."""
    parsed = arns.parse(page_arn)
    if parsed is None or parsed.service != "ssm-contacts":
        return None
    kind, _, rest = parsed.resource.partition("/")
    alias, _, page_id = rest.partition("/")
    if kind != "page" or not _ALIAS.match(alias) or not _SEGMENT.match(page_id) or not _REGION.match(parsed.region):
        return None
    return parsed.region, parsed.account, alias, page_id


@dataclass(frozen=True)
class Checked:
    """A link whose signature is right under one of the keys: the incident (or page) it names, unless expired."""

    arn: str
    expired: bool


def check(raw_path: bytes, query_string: bytes, keys: Sequence[bytes], now: float) -> Checked | None:
    """The incident a page request names and whether its link has expired, if it was signed with one of the keys.

    None for anything not signed by this server: a bad path, a bad or missing signature, an altered expiry.
    """
    try:
        path = raw_path.decode("ascii")
        query = urllib.parse.parse_qs(query_string.decode("ascii"), strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    if not path.startswith(PAGE_PREFIX):
        return None
    segments = path[len(PAGE_PREFIX) :].rstrip("/").split("/")
    if len(segments) != 3:
        return None
    account, plan, incident_id = segments
    if not (account.isdigit() and len(account) == 12 and _SEGMENT.match(plan) and _SEGMENT.match(incident_id)):
        return None
    given = query.get("sig", [""])[0].encode()
    raw_expiry = query.get("exp", [""])[0]
    arn = arns.incident_record(account, plan, incident_id)
    if not given:
        return None
    if not raw_expiry:
        # A link from before links expired would open forever: one that is genuine says it has expired.
        legacy = any(hmac.compare_digest(_legacy_signature(key, arn).encode(), given) for key in keys)
        return Checked(arn, expired=True) if legacy else None
    return _signed(arn, given, raw_expiry, keys, now, signature)


def check_acknowledge(raw_path: bytes, query_string: bytes, keys: Sequence[bytes], now: float) -> Checked | None:
    """The page an acknowledge link names and whether it has expired, if it was signed with one of the keys.

    None for anything not signed by this server for that page: a bad path, signature or expiry, another page.
    """
    try:
        path = raw_path.decode("ascii")
        query = urllib.parse.parse_qs(query_string.decode("ascii"), strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    if not path.startswith(ACKNOWLEDGE_PREFIX):
        return None
    segments = path[len(ACKNOWLEDGE_PREFIX) :].rstrip("/").split("/")
    if len(segments) != 4:
        return None
    region, account, alias, page_id = segments
    if not (account.isdigit() and len(account) == 12):
        return None
    arn = arns.page(region, account, alias, page_id)
    if page_parts(arn) is None:
        return None
    given = query.get("sig", [""])[0].encode()
    return _signed(arn, given, query.get("exp", [""])[0], keys, now, acknowledge_signature) if given else None


def _signed(
    arn: str, given: bytes, raw_expiry: str, keys: Sequence[bytes], now: float, sign: Callable[[bytes, str, int], str]
) -> Checked | None:
    """The check of a link with an expiry: the signature must be right for the ARN and the expiry under a key."""
    if not (raw_expiry.isdigit() and len(raw_expiry) <= 12):
        return None
    expires = int(raw_expiry)
    if not any(hmac.compare_digest(sign(key, arn, expires).encode(), given) for key in keys):
        return None
    return Checked(arn, expired=now >= expires)


def verified_arn(raw_path: bytes, query_string: bytes, key: bytes, now: float | None = None) -> str | None:
    """The incident ARN a page request names, if its link is signed with the key and has not expired."""
    checked = check(raw_path, query_string, (key,), time.time() if now is None else now)
    return checked.arn if checked is not None and not checked.expired else None
