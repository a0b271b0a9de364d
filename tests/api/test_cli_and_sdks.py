"""Other AWS clients than boto3 against the server: the aws-cli and the AWS SDK for JavaScript v3."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import SEED_REQUEST, Account, Server, wait_until

JS_DIR = Path(__file__).resolve().parent.parent / "js"
REGION = "us-east-1"


def client_env(account: Account) -> dict[str, str]:
    """The environment of a user whose only AWS settings are the account's key pair and a region."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=account.access_key_id,
        AWS_SECRET_ACCESS_KEY=account.secret_access_key,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def aws(server: Server, account: Account, *args: str, service: str = "ssm-incidents") -> dict:  # type: ignore[type-arg]
    """Run one `aws <service>` command and parse its JSON output."""
    command = [
        sys.executable,
        "-m",
        "awscli",
        service,
        *args,
        "--endpoint-url",
        server.endpoint,
        "--output",
        "json",
    ]
    finished = subprocess.run(command, env=client_env(account), capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout) if finished.stdout.strip() else {}


def replication_status(server: Server, account: Account, arn: str) -> str:
    return str(aws(server, account, "get-replication-set", "--arn", arn)["replicationSet"]["status"])


def test_the_aws_cli_runs_the_first_incident(server, account, tmp_path: Path):
    onboarded = aws(server, account, "create-replication-set", "--regions", json.dumps({REGION: {}}))["arn"]
    wait_until(lambda: replication_status(server, account, onboarded) == "ACTIVE", timeout=60)
    request = tmp_path / "response-plan.json"
    request.write_text(json.dumps(SEED_REQUEST))
    plan_arn = aws(server, account, "create-response-plan", "--cli-input-json", f"file://{request}")["arn"]
    assert plan_arn == f"arn:aws:ssm-incidents::{account.account_id}:response-plan/example-response"

    started = aws(server, account, "start-incident", "--response-plan-arn", plan_arn)
    incident_arn = started["incidentRecordArn"]
    listed = aws(server, account, "list-incident-records")["incidentRecordSummaries"]
    assert [summary["arn"] for summary in listed] == [incident_arn]

    record = aws(server, account, "get-incident-record", "--arn", incident_arn)["incidentRecord"]
    assert (record["title"], record["impact"], record["status"]) == ("example-incident", 5, "OPEN")
    assert record["chatChannel"] == SEED_REQUEST["chatChannel"]


def test_the_aws_cli_manages_contacts_and_rotations(server, account, replication_set):
    contact = aws(
        server,
        account,
        "create-contact",
        "--alias",
        "cli-akua",
        "--type",
        "PERSONAL",
        "--plan",
        json.dumps({"Stages": []}),
        service="ssm-contacts",
    )["ContactArn"]
    assert contact == f"arn:aws:ssm-contacts:{REGION}:{account.account_id}:contact/cli-akua"
    aws(
        server,
        account,
        "create-contact-channel",
        "--contact-id",
        contact,
        "--name",
        "cli mail",
        "--type",
        "EMAIL",
        "--delivery-address",
        json.dumps({"SimpleAddress": "akua@example.com"}),
        "--defer-activation",
        service="ssm-contacts",
    )
    (channel,) = aws(server, account, "list-contact-channels", "--contact-id", contact, service="ssm-contacts")[
        "ContactChannels"
    ]
    assert (channel["Type"], channel["ActivationStatus"]) == ("EMAIL", "NOT_ACTIVATED")
    rotation = aws(
        server,
        account,
        "create-rotation",
        "--name",
        "cli rotation",
        "--contact-ids",
        contact,
        "--time-zone-id",
        "Europe/Berlin",
        "--start-time",
        "2030-03-25T08:00:00Z",
        "--recurrence",
        json.dumps(
            {"NumberOfOnCalls": 1, "RecurrenceMultiplier": 1, "DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}]}
        ),
        service="ssm-contacts",
    )["RotationArn"]
    shifts = aws(
        server,
        account,
        "list-rotation-shifts",
        "--rotation-id",
        rotation,
        "--start-time",
        "2030-03-30T00:00:00Z",
        "--end-time",
        "2030-04-01T00:00:00Z",
        service="ssm-contacts",
    )["RotationShifts"]
    # Berlin moves to summer time on 31 March 2030: the 09:00 hand-off is 08:00 UTC before, 07:00 UTC after.
    expected = [
        ("2030-03-30T00:00:00Z", "2030-03-30T08:00:00Z"),
        ("2030-03-30T08:00:00Z", "2030-03-31T07:00:00Z"),
        ("2030-03-31T07:00:00Z", "2030-04-01T00:00:00Z"),
    ]
    assert [(s["StartTime"], s["EndTime"]) for s in shifts] == [(epoch(a), epoch(b)) for a, b in expected]


def epoch(iso: str) -> int:
    """An ISO 8601 UTC time as the epoch seconds the CLI prints."""
    return int(datetime.datetime.fromisoformat(iso).timestamp())


def run_node(script: str, server: Server, account: Account) -> dict:  # type: ignore[type-arg]
    """Run one of the JavaScript SDK scripts against the server; its JSON output."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules").is_dir():
        pytest.fail(f"the JavaScript SDK is not installed in {JS_DIR}: run `npm ci --prefix tests/js`")
    env = {**client_env(account), "INCIDENTD_ENDPOINT": server.endpoint}
    finished = subprocess.run(["node", str(JS_DIR / script)], env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)  # type: ignore[no-any-return]


def test_the_javascript_sdk_manages_contacts_and_rotations(server, account, replication_set):
    result = run_node("contacts.mjs", server, account)
    assert result["contactArn"] == f"arn:aws:ssm-contacts:{REGION}:{account.account_id}:contact/js-akua"
    assert (result["displayName"], result["aliases"]) == ("Akua from JS", ["js-akua"])
    # Epoch-second numbers on the wire become Dates for the SDK: a daily 09:00 UTC hand-off, one contact.
    assert result["shifts"] == [
        {"start": "2030-01-07T09:00:00.000Z", "end": "2030-01-08T09:00:00.000Z", "contacts": [result["contactArn"]]},
        {"start": "2030-01-08T09:00:00.000Z", "end": "2030-01-09T09:00:00.000Z", "contacts": [result["contactArn"]]},
    ]


def test_the_javascript_sdk_runs_the_first_incident(server, account, replication_set):
    started_at_ms = time.time() * 1000
    result = run_node("smoke.mjs", server, account)

    assert result["planArn"] == f"arn:aws:ssm-incidents::{account.account_id}:response-plan/js-smoke"
    assert (result["title"], result["impact"], result["status"]) == ("Raised from JavaScript", 2, "OPEN")
    assert result["openArns"] == [result["incidentRecordArn"]]
    assert result["resolvedArns"] == []
    # Epoch-second numbers on the wire become Dates for the SDK; an ISO string would have failed to parse.
    for name in ("creationTime", "lastModifiedTime"):
        assert result[name]["isDate"] is True
        assert abs(result[name]["epochMs"] - started_at_ms) < 60_000
