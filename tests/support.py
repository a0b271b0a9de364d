"""Starting real incidentd servers and making real AWS clients for them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

PG_ADMIN_URL = os.environ.get("INCIDENTD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The sample request of the CreateResponsePlan API reference (shared/seed/CreateResponsePlan.txt), verbatim.
SEED_REQUEST: dict[str, Any] = {
    "actions": [
        {
            "ssmAutomation": {
                "documentName": "AWSIncidents-CriticalIncidentRunbookTemplate",
                "documentVersion": "$DEFAULT",
                "roleArn": "arn:aws:iam::111122223333:role/aws-service-role/ssm-incidents.amazonaws.com/"
                "AWSServiceRoleForIncidentManager",
                "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
            }
        }
    ],
    "chatChannel": {"chatbotSns": ["arn:aws:sns:us-east-1:111122223333:Standard_User"]},
    "displayName": "Example response plan",
    "engagements": ["arn:aws:ssm-contacts:us-east-1:111122223333:contact/example"],
    "incidentTemplate": {"impact": 5, "title": "example-incident"},
    "name": "example-response",
    "clientToken": "aa1b2cde-27e3-42ff-9cac-99380EXAMPLE",
}

ACCOUNTS = 5000  # every test takes fresh accounts; both database kinds share one counter
# Test servers' workers look for due jobs every 50 ms instead of every 500: most of what the suite waits for is a
# job (a page, a notice, a runbook step) falling due, and a server's own requests only wake its own worker.
TEST_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Account:
    """One tenant with its own key pair."""

    access_key_id: str
    secret_access_key: str
    account_id: str


def test_account(index: int) -> Account:
    """The index-th account the test servers know."""
    return Account(f"AKIDTEST{index:012d}", f"secret-{index}", f"{100000000000 + index}")


def with_quick_worker(config_text: str) -> str:
    """The config with [worker] poll_seconds set to TEST_POLL_SECONDS, unless it sets its own."""
    if "poll_seconds" in config_text:
        return config_text
    if "[worker]" in config_text:
        return config_text.replace("[worker]", f"[worker]\npoll_seconds = {TEST_POLL_SECONDS}", 1)
    return f"{config_text}\n[worker]\npoll_seconds = {TEST_POLL_SECONDS}\n"


def credentials_toml() -> str:
    """The test accounts as [[credentials]] entries (too many for an environment variable)."""
    return "".join(
        f'\n[[credentials]]\naccess_key_id = "{a.access_key_id}"\n'
        f'secret_access_key = "{a.secret_access_key}"\naccount_id = "{a.account_id}"\n'
        for a in map(test_account, range(ACCOUNTS))
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_postgres_database() -> str:
    """A fresh, empty PostgreSQL database for one test session; its URL."""
    name = f"incidentd_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    """Remove a database made by create_postgres_database."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    """A running `incidentd serve` process."""

    database_url: str
    workdir: Path
    config_text: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    worker: bool = True
    test_credentials: bool = True  # configure the test accounts; False leaves the server with none
    processes: int = 1  # serve --processes
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """The URL clients use."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start the process and wait until it answers."""
        self.port = self.port or free_port()
        config_path = self.workdir / "incidentd.toml"
        config_text = with_quick_worker(self.config_text)
        config_path.write_text(config_text + (credentials_toml() if self.test_credentials else ""))
        env = dict(os.environ, **self.extra_env)
        command = [
            sys.executable,
            "-m",
            "incidentd.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database",
            self.database_url,
            "--config",
            str(config_path),
        ]
        if not self.worker:
            command.append("--no-worker")
        if self.processes > 1:
            command += ["--processes", str(self.processes)]
        self.log = open(self.workdir / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process)
        return self

    def stop(self, kill: bool = False) -> None:
        """Stop the process (SIGKILL when kill is set) and wait for it."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=30)
        self.process = None
        self.log.close()

    def client(self, account: Account, service: str = "ssm-incidents", **config: object):  # type: ignore[no-untyped-def]
        """An unmodified boto3 client for this server, signed with the account's key; no retries."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=account.access_key_id,
            aws_secret_access_key=account.secret_access_key,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),  # type: ignore[arg-type]
        )


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Block until something accepts connections on the port, or fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"incidentd exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def wait_until(predicate, timeout: float = 10, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll until predicate() returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


def refused(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    """Make a call that must fail; the parsed error response."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response  # type: ignore[return-value]


def status_of(response: dict[str, Any]) -> int:
    """The HTTP status of a parsed boto3 response or error response."""
    return int(response["ResponseMetadata"]["HTTPStatusCode"])


SHARED_PLAN_ACTIONS = ("ssm-incidents:GetResponsePlan", "ssm-incidents:StartIncident")


def sharing_policy(
    plan_arn: str, consumer: str = "444455556666", actions: tuple[str, ...] = SHARED_PLAN_ACTIONS
) -> str:
    """A resource policy as AWS RAM writes one to share a response plan and its incidents with a consumer."""
    account, name = plan_arn.split(":")[4], plan_arn.rsplit("/", 1)[1]
    principal = consumer if consumer.startswith("arn:") else f"arn:aws:iam::{consumer}:root"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ShareWithOps",
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": list(actions),
                    "Resource": [
                        f"arn:aws:ssm-incidents:*:{account}:response-plan/{name}",
                        f"arn:aws:ssm-incidents:*:{account}:incident-record/{name}/*",
                    ],
                }
            ],
        },
        indent=2,
    )
