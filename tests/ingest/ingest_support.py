"""Helpers of the ingest tests: the server's config, tokens, posting alerts, reading what they did."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from support import Server
from support import test_account as numbered_account

PAYLOADS = Path(__file__).parent / "payloads"
ACCOUNT = numbered_account(4300)  # the account whose plans the alerts use
OTHER = numbered_account(4301)  # another tenant with a token of its own
TOKEN = "ingest-token-account-a-0123456789"
OTHER_TOKEN = "ingest-token-account-b-9876543210"
NARROW_TOKEN = "ingest-token-only-one-plan-000001"
NARROW_PLAN = "narrow-plan"


def server_config(cert_url_prefix: str) -> str:
    """Fast onboarding, three tokens (one narrowed to a plan), and the SNS stand-in's certificate origin."""
    return f"""
[replication]
settle_seconds = 0.2

[ingest]
sns_cert_url_prefixes = ["{cert_url_prefix}"]

[[ingest_tokens]]
token = "{TOKEN}"
account = "{ACCOUNT.account_id}"

[[ingest_tokens]]
token = "{OTHER_TOKEN}"
account = "{OTHER.account_id}"

[[ingest_tokens]]
token = "{NARROW_TOKEN}"
account = "{ACCOUNT.account_id}"
plans = ["{NARROW_PLAN}"]
"""


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A sample payload from payloads/, with some top-level members changed."""
    return dict(json.loads((PAYLOADS / f"{name}.json").read_text()), **changes)


def post(
    server: Server,
    path: str,
    body: dict[str, Any] | bytes,
    token: str | None = TOKEN,
    scheme: str = "Bearer",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    """POST to an ingest path; the status, the JSON answer and the headers (an email.message.Message)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        if scheme == "Basic":
            sent["Authorization"] = "Basic " + base64.b64encode(f"sns:{token}".encode()).decode()
        else:
            sent["Authorization"] = f"{scheme} {token}"
    request = urllib.request.Request(server.endpoint + path, data=data, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}"), error.headers


def incidents_of(incidents: Any, plan_name: str) -> list[dict[str, Any]]:
    """Summaries of the incidents opened with one plan."""
    summaries = incidents.list_incident_records()["incidentRecordSummaries"]
    return [s for s in summaries if f":incident-record/{plan_name}/" in s["arn"]]


def triggers(incidents: Any, arn: str) -> list[dict[str, Any]]:
    """The eventData of the incident's "SSM Incident Trigger" events, oldest first."""
    summaries = incidents.list_timeline_events(incidentRecordArn=arn, sortBy="EVENT_TIME", sortOrder="ASCENDING")[
        "eventSummaries"
    ]
    found = []
    for summary in summaries:
        if summary["eventType"] == "SSM Incident Trigger":
            event = incidents.get_timeline_event(incidentRecordArn=arn, eventId=summary["eventId"])["event"]
            found.append(json.loads(event["eventData"]))
    return found
