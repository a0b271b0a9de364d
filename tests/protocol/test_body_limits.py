"""A signed request body nested hundreds of levels deep is a plain client error with one log line at most."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import support
from support import Account, Server

CONFIG = """
[replication]
settle_seconds = 0.2
"""
# Accounts no other module uses: this module runs a server of its own.
ACCOUNT = support.test_account(4950)
DEPTH = 900


@pytest.fixture(scope="module")
def body_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own, whose log holds only what these requests made it write."""
    running = Server(own_database, tmp_path_factory.mktemp("body-limits"), CONFIG).start()
    yield running
    running.stop()


def nested(depth: int) -> str:
    """A JSON value of lists inside lists, depth levels deep."""
    return "[" * depth + "]" * depth


def send_signed(
    server: Server, account: Account, service: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """Sign a POST as boto3 would, with the account's key, and send it as it is; status, headers and body."""
    request = AWSRequest(method="POST", url=server.endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials(account.access_key_id, account.secret_access_key), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers=dict(prepared.headers))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def log_lines(server: Server) -> int:
    """How many lines the server has logged so far."""
    return len(Path(server.workdir, f"server-{server.port}.log").read_bytes().splitlines())


CASES = {
    "ssm-incidents (restJson1)": (
        "ssm-incidents",
        "/createResponsePlan",
        '{"name": "deep", "incidentTemplate": {"title": NESTED, "impact": 3}}',
        {"Content-Type": "application/json"},
    ),
    "ssm-contacts (awsJson1_1)": (
        "ssm-contacts",
        "/",
        '{"Alias": "deep", "Type": "PERSONAL", "Plan": {"Stages": NESTED}}',
        {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SSMContacts.CreateContact"},
    ),
    "ssm (awsJson1_1), a member of no shape": (
        "ssm",
        "/",
        '{"Name": "deep", "Content": "{}", "Unmodelled": NESTED}',
        {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.CreateDocument"},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_deeply_nested_signed_body_is_a_client_error_with_one_log_line_at_most(body_server, case):
    service, path, template, headers = case
    body = template.replace("NESTED", nested(DEPTH)).encode()
    before = log_lines(body_server)
    status, answer_headers, answer = send_signed(body_server, ACCOUNT, service, path, body, headers)
    time.sleep(0.2)  # the log line of a request is written as it is answered; give it time to reach the file
    assert status == 400, answer[:300]
    assert answer_headers["x-amzn-errortype"] in ("ValidationException", "SerializationException")
    message = json.loads(answer).get("message") or json.loads(answer).get("Message")
    assert "deep" in message
    assert log_lines(body_server) - before <= 1


def test_an_ordinarily_nested_body_still_reaches_the_operation(body_server):
    stages = [{"DurationInMinutes": 1, "Targets": []} for _ in range(3)]
    body = json.dumps({"Alias": "shallow", "Type": "PERSONAL", "Plan": {"Stages": stages}}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SSMContacts.CreateContact"}
    status, _, answer = send_signed(body_server, ACCOUNT, "ssm-contacts", "/", body, headers)
    # Not onboarded: the operation itself answers, which a body refused as too deep would never reach.
    assert status in (200, 400), answer
    assert b"nested" not in answer
