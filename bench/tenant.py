"""The benchmark's data set-up and read-backs, all through real boto3 calls (and the database for jobs)."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any

import sqlalchemy as sa
from internals import job_handlers, jobs, queue, reading
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
