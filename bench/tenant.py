"""The benchmark's data set-up and read-backs, all through real boto3 calls (and the database for jobs)."""

from __future__ import annotations

import http.client
import json
import socket
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from botocore.exceptions import ClientError
from internals import job_handlers, jobs, policy, queue, reading
from servers import BenchAccount
from signing import REGION, client

PLAN_NAME = "bench-plan"


def plan_request(account_id: str) -> dict[str, Any]:
    """A plan whose incidents get a full response: a job each for engagement, chat, notification, runbook."""
    topic = f"arn:aws:sns:{REGION}:{account_id}:bench-topic"
    return {
        "name": PLAN_NAME,
        "displayName": "Benchmark plan",
        # No dedupeString: each StartIncident must open a new incident, not fold into an open one.
        "incidentTemplate": {
            "title": "bench",
            "impact": 3,
            "summary": "benchmark incident",
            "notificationTargets": [{"snsTopicArn": topic}],
            "incidentTags": {"team": "bench"},
        },
        "chatChannel": {"chatbotSns": [topic]},
        "engagements": [f"arn:aws:ssm-contacts:{REGION}:{account_id}:contact/bench-oncall"],
        "actions": [
            {
                "ssmAutomation": {
                    "documentName": "AWS-RestartEC2Instance",
                    "roleArn": f"arn:aws:iam::{account_id}:role/bench-automation",
                }
            }
        ],
    }


# --policy (bench/run.py, bench/instructions.py): a second key of the bench account signs GetResponsePlan and
# StartIncident holding policy.json, ten statements, as the config's `file:` reference; the first key holds none.
POLICY_FILE = Path(__file__).resolve().parent / "policy.json"
POLICY_HOLDER = BenchAccount(access_key="AKIDBENCHPOLICY0000", secret_key="bench-policy")
# The statement that allows the bench plan's GetResponsePlan and StartIncident, the fifth. For these actions three
# others before it come into play: a Deny of another plan (its resource doesn't match), a Deny without TLS (its
# condition is checked) and an Allow by the plan's team tag (the plan's tags are read: it has none).
POLICY_DECIDER = "RespondOnBenchPlans"


def policy_config(account: BenchAccount = POLICY_HOLDER) -> str:
    """The config file's lines that give the key policy.json (its account's other keys keep full access).

    The bench is served as if behind a TLS proxy ([auth] secure_transport), so that DenyWithoutTls lets it through.
    """
    return (
        "[auth]\nsecure_transport = true\n\n[[credentials]]\n"
        f'access_key_id = "{account.access_key}"\nsecret_access_key = "{account.secret_key}"\n'
        f'account_id = "{account.account_id}"\npolicies = ["file:{POLICY_FILE}"]\n'
    )


class _OverTls:
    """The bench plan's requests as the policy sees them: over TLS (as configured), and the plan has no tags."""

    def value(self, key: str) -> str | bool | list[str] | None:
        return True if key == "aws:securetransport" else None


def check_policy(endpoint: str, account: BenchAccount, plan_arn: str) -> None:
    """The policy is in force for the key (another plan is refused), and allows the bench plan by POLICY_DECIDER."""
    try:
        client(endpoint, account).get_response_plan(arn=plan_arn.replace(f"/{PLAN_NAME}", "/payments-prod"))
    except ClientError as error:
        if error.response["Error"]["Code"] != "AccessDeniedException":
            raise
    else:
        raise RuntimeError("the policy key read the payments plan: is its policy in force?")
    document = policy.parse(POLICY_FILE.read_text(), POLICY_FILE.name)
    found = policy.evaluate([document], "ssm-incidents:GetResponsePlan", plan_arn, _OverTls())
    if not found.allowed or found.statement != POLICY_DECIDER:
        raise RuntimeError(f"{POLICY_FILE.name} decides GetResponsePlan by {found}, not by {POLICY_DECIDER}")


JOBS_PER_INCIDENT = 1  # one RESPOND job whose parts engage, tell the chat channel and target, start the runbook


def prepare(endpoint: str, account: BenchAccount) -> str:
    """Onboard the account and create the plan; its ARN."""
    api = client(endpoint, account)
    api.create_replication_set(regions={REGION: {}})
    arn = api.create_response_plan(**plan_request(account.account_id))["arn"]
    api.get_response_plan(arn=arn)  # readable through boto3 before anything raw is sent
    return str(arn)


def send_raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send one pre-signed request as-is; its status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def check_raw_get(port: int, request: bytes, plan_arn: str) -> None:
    """The pre-signed GetResponsePlan is accepted and answers what boto3 reads."""
    status, body = send_raw(port, request)
    if status != 200 or plan_arn.encode() not in body:
        raise RuntimeError(f"pre-signed GetResponsePlan was refused: {status} {body[:300]!r}")


def check_raw_start(port: int, request: bytes, endpoint: str, account: BenchAccount) -> None:
    """A pre-signed StartIncident is accepted and the incident it reports really exists."""
    status, body = send_raw(port, request)
    if status != 200:
        raise RuntimeError(f"pre-signed StartIncident was refused: {status} {body[:300]!r}")
    arn = json.loads(body)["incidentRecordArn"]
    client(endpoint, account).get_incident_record(arn=arn)


def count_incidents(endpoint: str, account: BenchAccount) -> int:
    """Incidents the account has, read back page by page with ListIncidentRecords."""
    paginator = client(endpoint, account).get_paginator("list_incident_records")
    return sum(len(page["incidentRecordSummaries"]) for page in paginator.paginate(PaginationConfig={"PageSize": 100}))


def count_rows(database_url: str, table: sa.Table, account_id: str, *where: Any) -> int:
    """Rows of one of incidentd's tables that belong to the account (and match where)."""
    with reading(database_url) as conn:
        query = sa.select(sa.func.count()).select_from(table).where(table.c.account_id == account_id, *where)
        return int(conn.execute(query).scalar_one())


def count_response_jobs(database_url: str, account_id: str) -> int:
    """Response jobs recorded for the account in any state (the worker may have run some)."""
    return count_rows(database_url, jobs, account_id, jobs.c.kind.like("response.%"))


def settle(seconds: float = 1.0) -> None:
    """Let requests still in flight when wrk stopped finish before reading back."""
    time.sleep(seconds)


def wait_for_worker(database_url: str, timeout: float = 600) -> float:
    """Wait until the worker has run every due job; the seconds waited."""
    # A StartIncident run leaves its response jobs behind; a measurement that started before they ran would charge their
    # work to whatever is measured next.
    kinds = list(job_handlers())
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        with reading(database_url) as conn:
            running = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.state == "running"))
            if not running.scalar_one() and not queue.any_due(conn, kinds, int(time.time() * 1000)):
                return time.monotonic() - began
        time.sleep(0.5)
    raise TimeoutError(f"the worker did not catch up within {timeout}s")
