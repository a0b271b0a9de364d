"""A small client of PagerDuty's REST API: open an incident on a service, find it again, resolve it."""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentd.channels._http import describe_error, json_object, status_is_permanent
from incidentd.channels.message import DeliveryError
from incidentd.domain import arns
from incidentd.domain.urls import safe_url

# PagerDuty serves each service region from its own API host (support.pagerduty.com "Service Regions").
REGION_BASE_URLS = {"US": "https://api.pagerduty.com", "EU": "https://api.eu.pagerduty.com"}
ACCEPT = "application/vnd.pagerduty+json;version=2"
MAX_INCIDENT_KEY = 255  # PagerDuty's limit on incident_key


@dataclass(frozen=True)
class PagerDutySecret:
    """What AWS's Secrets Manager secret for the integration holds (UG integrations-pagerduty-secret)."""

    token: str  # pagerDutyToken: a General Access or User Token REST API key
    from_email: str  # pagerDutyFromEmail: a user of the PagerDuty subdomain, sent as the From header
    region: str  # pagerDutyServiceRegion: "US" or "EU"


class SecretError(ValueError):
    """A secret id the config does not hold, or holds in a form that can't be used."""


def find_secret(table: Mapping[str, Any], secret_id: str, account_id: str) -> PagerDutySecret:
    """The `[secrets]` entry for a secret id (a name or an ARN), as the given account may use it."""
    key = _matching_key(table, secret_id)
    if key is None:
        raise SecretError(f"the config's [secrets] table has no secret {secret_id!r}")
    entry = table[key]
    if isinstance(entry, str):  # the secret string exactly as Secrets Manager would hold it
        try:
            entry = json.loads(entry)
        except ValueError:
            raise SecretError(f"secret {secret_id!r} is not a JSON object") from None
    if not isinstance(entry, Mapping):
        raise SecretError(f"secret {secret_id!r} must be a table or a JSON object string")
    # A secret is an account's own: an ARN names its account, and `accounts` may list who else may use it.
    owner = arns.parse(key)
    allowed = entry.get("accounts") or ([owner.account] if owner and owner.account else None)
    if allowed is not None and account_id not in [str(a) for a in allowed]:
        raise SecretError(f"secret {secret_id!r} does not belong to account {account_id}")
    missing = [k for k in ("pagerDutyToken", "pagerDutyFromEmail") if not entry.get(k)]
    if missing:
        raise SecretError(f"secret {secret_id!r} lacks {', '.join(missing)}")
    region = str(entry.get("pagerDutyServiceRegion") or "US").upper()
    if region not in REGION_BASE_URLS:
        raise SecretError(f"secret {secret_id!r}: pagerDutyServiceRegion must be US or EU, not {region!r}")
    return PagerDutySecret(str(entry["pagerDutyToken"]), str(entry["pagerDutyFromEmail"]), region)


def _matching_key(table: Mapping[str, Any], secret_id: str) -> str | None:
    """The key for a secret id: exact, or a secret ARN and a bare name that name the same secret."""
    if secret_id in table:
        return secret_id
    wanted = _secret_name(secret_id)
    for key in table:
        if _secret_name(key) == wanted:
            return str(key)
    return None


def _secret_name(secret_id: str) -> str:
    """The name in a Secrets Manager ARN (without the 6-character suffix it adds), or the id itself."""
    parsed = arns.parse(secret_id)
    if parsed is None or parsed.service != "secretsmanager" or not parsed.resource.startswith("secret:"):
        return secret_id
    name = parsed.resource.removeprefix("secret:")
    stem, dash, suffix = name.rpartition("-")
    return stem if dash and len(suffix) == 6 else name


def base_url_for(configured: str | None, secret: PagerDutySecret) -> str:
    """`[pagerduty] base_url` when set (a stand-in, a proxy), else the API host of the secret's region."""
    return configured or REGION_BASE_URLS[secret.region]


def incident_key(incident_arn: str) -> str:
    """PagerDuty's de-duplication key for an incident: its ARN, or a digest of one that is too long."""
    if len(incident_arn) <= MAX_INCIDENT_KEY:
        return incident_arn
    return "incidentd:" + hashlib.sha256(incident_arn.encode()).hexdigest()


class PagerDutyClient:
    """PagerDuty's REST API v2 with one secret's credentials; failures are DeliveryErrors."""

    def __init__(self, base_url: str, secret: PagerDutySecret, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout

    def create_incident(self, service_id: str, title: str, key: str, details: str) -> str:
        """Open an incident on a service; its id. A retry after a lost answer finds the first one by its key."""
        body = {
            "incident": {
                "type": "incident",
                "title": title,
                "service": {"id": service_id, "type": "service_reference"},
                "incident_key": key,
                "body": {"type": "incident_body", "details": details},
            }
        }
        try:
            answer = self._call("POST", "/incidents", body)
        except DeliveryError as error:
            # PagerDuty refuses a second open incident with the same key on a service (400): that is the one
            # an earlier attempt opened before its answer was lost, so it is adopted instead of given up on.
            if error.permanent and "HTTP 400" in str(error):
                existing = self.find_open_incident(service_id, key)
                if existing is not None:
                    return existing
            raise
        incident = answer.get("incident")
        if not isinstance(incident, dict) or not incident.get("id"):
            raise DeliveryError(f"{safe_url(self.base_url)} answered without an incident id")
        return str(incident["id"])

    def find_open_incident(self, service_id: str, key: str) -> str | None:
        """The id of the service's unresolved incident with this key, if any."""
        query = urllib.parse.urlencode(
            [
                ("incident_key", key),
                ("service_ids[]", service_id),
                ("statuses[]", "triggered"),
                ("statuses[]", "acknowledged"),
            ]
        )
        answer = self._call("GET", f"/incidents?{query}", None)
        for incident in answer.get("incidents") or []:
            if isinstance(incident, dict) and incident.get("id"):
                return str(incident["id"])
        return None

    def resolve_incident(self, incident_id: str) -> None:
        """Resolve an incident (resolving a resolved one changes nothing)."""
        path = "/incidents/" + urllib.parse.quote(incident_id, safe="")
        try:
            self._call("PUT", path, {"incident": {"type": "incident_reference", "status": "resolved"}})
        except DeliveryError as error:
            # A responder may have resolved it in PagerDuty already; if PagerDuty refuses the repeat, the
            # incident being resolved is all that was asked for.
            if not (error.permanent and "HTTP 400" in str(error)):
                raise
            incident = self._call("GET", path, None).get("incident")
            if not (isinstance(incident, dict) and incident.get("status") == "resolved"):
                raise

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        url = self.base_url + path
        headers = {
            "Accept": ACCEPT,
            "Authorization": f"Token token={self.secret.token}",
            "From": self.secret.from_email,
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                return json_object(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read(65536)
            message = f"{safe_url(url)} answered HTTP {exc.code}{_pagerduty_error(detail)}"
            raise DeliveryError(message, status_is_permanent(exc.code)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise DeliveryError(f"can't reach {safe_url(url)}: {str(reason) or type(reason).__name__}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a redirected POST would become a GET without its body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _pagerduty_error(body: bytes) -> str:
    """PagerDuty's error object ({"error": {"message", "code", "errors"}}) as text."""
    error = json_object(body).get("error")
    if not isinstance(error, dict):
        return describe_error(body)
    details = "; ".join(str(e) for e in error.get("errors") or [])
    text = f": {error.get('message', '')}" + (f" ({details})" if details else "")
    return text + (f" (code {error['code']})" if error.get("code") is not None else "")
