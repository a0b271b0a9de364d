"""Other AWS clients than boto3 against the server: the aws-cli and the AWS SDK for JavaScript v3."""

from __future__ import annotations

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


def aws(server: Server, account: Account, *args: str) -> dict:  # type: ignore[type-arg]
    """Run one `aws ssm-incidents` command and parse its JSON output."""
    command = [
        sys.executable,
        "-m",
        "awscli",
        "ssm-incidents",
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


def test_the_javascript_sdk_runs_the_first_incident(server, account, replication_set):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules").is_dir():
        pytest.fail(f"the JavaScript SDK is not installed in {JS_DIR}: run `npm ci --prefix tests/js`")
    started_at_ms = time.time() * 1000
    env = {**client_env(account), "INCIDENTD_ENDPOINT": server.endpoint}
    finished = subprocess.run(["node", str(JS_DIR / "smoke.mjs")], env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    result = json.loads(finished.stdout)

    assert result["planArn"] == f"arn:aws:ssm-incidents::{account.account_id}:response-plan/js-smoke"
    assert (result["title"], result["impact"], result["status"]) == ("Raised from JavaScript", 2, "OPEN")
    assert result["openArns"] == [result["incidentRecordArn"]]
    assert result["resolvedArns"] == []
    # Epoch-second numbers on the wire become Dates for the SDK; an ISO string would have failed to parse.
    for name in ("creationTime", "lastModifiedTime"):
        assert result[name]["isDate"] is True
        assert abs(result[name]["epochMs"] - started_at_ms) < 60_000
