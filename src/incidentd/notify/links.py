"""Links to incidents: incidentd's own signed read-only page, or the team's own tool through a template."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse

from incidentd.config.notifications import NotifySettings
from incidentd.domain import arns

PAGE_PREFIX = "/incidents/"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,200}$")  # plan names and incident ids (model patterns)


def signature(key: bytes, incident_arn: str) -> str:
    """The `sig` of an incident's link: HMAC-SHA256 of its ARN, URL-safe base64."""
    # The ARN names the account, so a signature for one account's incident opens nothing in another.
    mac = hmac.new(key, incident_arn.encode(), hashlib.sha256).digest()
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


def link(settings: NotifySettings, incident_arn: str, region: str) -> str:
    """Where a message sends its reader for an incident (the region fills an incident_url template's {region})."""
    found = parts(incident_arn)
    if found is None:
        return settings.public_url
    account, plan, incident_id = found
    if settings.incident_url:
        values = {"arn": incident_arn, "id": incident_id, "plan": plan, "region": region, "account": account}
        return settings.incident_url.format(**{k: urllib.parse.quote(v, safe="") for k, v in values.items()})
    sig = signature(settings.link_key, incident_arn)
    return f"{settings.public_url}{PAGE_PREFIX}{account}/{plan}/{incident_id}?sig={sig}"


def verified_arn(raw_path: bytes, query_string: bytes, key: bytes) -> str | None:
    """The incident ARN a page request names, if its signature is right; None for anything else."""
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
    given = query.get("sig", [""])[0]
    arn = arns.incident_record(account, plan, incident_id)
    if not given or not hmac.compare_digest(signature(key, arn).encode(), given.encode()):
        return None
    return arn
