"""Authentication end to end over HTTP: who gets in, who is refused with which AWS error, the dev key pair."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from support import Account, Server, free_port

REGION = "us-east-1"
TWENTY_MIN = datetime.timedelta(minutes=20)
DEV_ACCOUNT = Account("test", "test", "000000000000")
PLAN_BODY = json.dumps({"name": "refused-plan", "incidentTemplate": {"title": "R", "impact": 3}}).encode()


@pytest.fixture(autouse=True)
def _no_ambient_aws_settings(monkeypatch):
    # A developer's own AWS profile must not leak into what these tests sign or where they connect.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@dataclass(frozen=True)
class Answer:
    """What the server sent back."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def error_type(self) -> str | None:
        return self.headers.get("x-amzn-ErrorType")


def create_plan_request(server: Server) -> AWSRequest:
    """An unsigned CreateResponsePlan request that would store a plan if it were let in."""
    return AWSRequest(
        method="POST",
        url=f"{server.endpoint}/createResponsePlan",
        data=PLAN_BODY,
        headers={"Content-Type": "application/json"},
    )


def sign(request: AWSRequest, key: str, secret: str, service: str = "ssm-incidents") -> AWSRequest:
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(request)
    return request


def send(server: Server, request: AWSRequest) -> Answer:
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(prepared.method, target, body=prepared.body, headers=dict(prepared.headers))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def plan_names(incidents) -> list[str]:  # type: ignore[no-untyped-def]
    return [plan["name"] for plan in incidents.list_response_plans()["responsePlanSummaries"]]


def assert_refused(answer: Answer, error_type: str) -> None:
    assert answer.status == 403, answer.body
    assert answer.error_type == error_type
    assert json.loads(answer.body)["message"]


def test_a_correctly_signed_raw_request_is_accepted(server, account, incidents, replication_set):
    # The control for the refusals below: the same request, signed properly, does store a plan.
    answer = send(server, sign(create_plan_request(server), account.access_key_id, account.secret_access_key))
    assert answer.status == 201, answer.body
    assert plan_names(incidents) == ["refused-plan"]


def test_an_unsigned_request_is_refused_as_missing_a_token(server, incidents, replication_set):
    answer = send(server, create_plan_request(server))
    assert_refused(answer, "MissingAuthenticationTokenException")
    assert plan_names(incidents) == []


def test_an_unknown_access_key_is_refused(server, incidents, replication_set):
    answer = send(server, sign(create_plan_request(server), "AKIDNOBODYKNOWS00000", "whatever"))
    assert_refused(answer, "UnrecognizedClientException")
    assert plan_names(incidents) == []


def test_a_wrong_secret_is_refused_as_an_invalid_signature(server, account, incidents, replication_set):
    answer = send(server, sign(create_plan_request(server), account.access_key_id, "not-the-secret"))
    assert_refused(answer, "InvalidSignatureException")
    assert plan_names(incidents) == []


def test_a_request_signed_20_minutes_ago_is_refused(server, account, incidents, replication_set, monkeypatch):
    real_now = botocore.auth.get_current_datetime
    with monkeypatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: real_now(*a, **k) - TWENTY_MIN)
        request = sign(create_plan_request(server), account.access_key_id, account.secret_access_key)
    answer = send(server, request)
    assert_refused(answer, "InvalidSignatureException")
    assert "expired" in json.loads(answer.body)["message"].lower()
    assert plan_names(incidents) == []


def test_a_request_signed_for_another_service_is_refused(server, account, incidents, replication_set):
    request = create_plan_request(server)
    answer = send(server, sign(request, account.access_key_id, account.secret_access_key, service="ssm"))
    assert_refused(answer, "InvalidSignatureException")
    assert plan_names(incidents) == []


def test_a_refused_request_still_gets_a_request_id(server):
    answer = send(server, create_plan_request(server))
    request_id = answer.headers.get("x-amzn-RequestId")
    # A random (version 4) UUID, as AWS's request ids are.
    assert str(uuid.UUID(request_id)) == request_id and uuid.UUID(request_id).version == 4


def test_a_presigned_get_url_works_without_an_sdk(incidents, response_plan):
    url = incidents.generate_presigned_url("get_response_plan", Params={"arn": response_plan}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        plan = json.loads(response.read())
    assert plan["arn"] == response_plan
    assert plan["incidentTemplate"]["title"] == "Test incident"


def test_boto3_finds_the_server_through_the_endpoint_environment_variable(server, account, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM_INCIDENTS", server.endpoint)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    client = boto3.session.Session().client(
        "ssm-incidents",
        region_name=REGION,
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    arn = client.create_replication_set(regions={REGION: {}})["arn"]
    assert f":{account.account_id}:" in arn


# The development key pair: servers of their own, since the shared ones are configured with test accounts.


def test_a_loopback_server_without_credentials_accepts_the_dev_key_pair(tmp_path: Path):
    dev_server = Server(
        f"sqlite:///{tmp_path / 'dev.db'}",
        tmp_path,
        test_credentials=False,
        extra_env={"INCIDENTD_CREDENTIALS": ""},
    )
    dev_server.start()
    try:
        arn = dev_server.client(DEV_ACCOUNT).create_replication_set(regions={REGION: {}})["arn"]
        other = send(dev_server, sign(create_plan_request(dev_server), "AKIDTEST000000000001", "secret-1"))
    finally:
        dev_server.stop()
    assert ":000000000000:" in arn
    assert other.error_type == "UnrecognizedClientException"
    log = (tmp_path / f"server-{dev_server.port}.log").read_text()
    assert "'test'" in log and "000000000000" in log


def test_a_public_server_without_credentials_refuses_to_start(tmp_path: Path):
    config = tmp_path / "incidentd.toml"
    config.write_text("")
    command = [
        sys.executable,
        "-m",
        "incidentd.cli",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        str(free_port()),
        "--database",
        f"sqlite:///{tmp_path / 'public.db'}",
        "--config",
        str(config),
    ]
    env = {**_environ_without_incidentd(), "INCIDENTD_CREDENTIALS": ""}
    # A server that did start would never exit: the timeout then fails the test.
    finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert finished.returncode != 0
    assert "no credentials configured" in finished.stderr
    assert "INCIDENTD_CREDENTIALS" in finished.stderr


def _environ_without_incidentd() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("INCIDENTD_")}
