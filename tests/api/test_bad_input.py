"""Malformed but signed requests get a modelled 4xx in AWS's shape, never a 5xx, and change nothing."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support import Account, Server

REGION = "us-east-1"
MIB = 1024 * 1024
PLAN = "bad-input-plan"
JSON = {"Content-Type": "application/json"}
CONTACTS_JSON = {"Content-Type": "application/x-amz-json-1.1"}


def modelled_errors(service: str) -> set[str]:
    """The error codes a service's botocore model declares."""
    return {shape.name for shape in botocore.session.get_session().get_service_model(service).error_shapes}


@dataclass(frozen=True)
class Case:
    """One malformed request."""

    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    service: str = "ssm-incidents"


@dataclass(frozen=True)
class Answer:
    """What the server sent back."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.body)


def plan_body(template: dict[str, object] | None = None, **members: object) -> bytes:
    """A CreateResponsePlan body that would store a plan if the server accepted it."""
    body = {"name": PLAN, "incidentTemplate": {"title": "T", "impact": 3, **(template or {})}, **members}
    return json.dumps(body).encode()


def raw_plan_body(template_members: str) -> bytes:
    """A CreateResponsePlan body whose template members are JSON text, for what json.dumps can't write."""
    return f'{{"name": "{PLAN}", "incidentTemplate": {{"title": "T", {template_members}}}}}'.encode()


def nested(depth: int) -> bytes:
    """A CreateResponsePlan body whose template nests objects depth levels deep."""
    opening = f'{{"name": "{PLAN}", "incidentTemplate": '.encode()
    return opening + b'{"a": ' * depth + b"1" + b"}" * (depth + 1)


CASES = {
    "broken json": Case("POST", "/createResponsePlan", b'{"name": "bad-input-plan", "incidentTemplate": {'),
    "json array": Case("POST", "/createResponsePlan", b'[{"name": "bad-input-plan"}]'),
    "json string": Case("POST", "/createResponsePlan", b'"createResponsePlan"'),
    "string impact": Case("POST", "/createResponsePlan", plan_body({"impact": "3"})),
    "number title": Case("POST", "/createResponsePlan", plan_body({"title": 42})),
    "object for a list": Case("POST", "/createResponsePlan", plan_body(engagements={})),
    "body over 1 MiB": Case("POST", "/createResponsePlan", plan_body({"summary": "x" * MIB})),
    "unknown path": Case("POST", "/createNothing", plan_body()),
    "unknown method on a known path": Case("DELETE", "/createResponsePlan", plan_body()),
    "bad arn in the query": Case("GET", "/getResponsePlan?arn=not-an-arn", headers={}),
    "non-utf8 query": Case("GET", "/getResponsePlan?arn=%FF%FE", headers={}),
    "non-utf8 body": Case("POST", "/createResponsePlan", b'{"name": "bad-\xff\xfe", "incidentTemplate": {}}'),
    "unpaired surrogate escape": Case("POST", "/createResponsePlan", raw_plan_body('"summary": "\\ud800"')),
    # Found by tests/fuzz: json.loads(bytes) let a UTF-8-encoded surrogate through, and PostgreSQL refused NUL.
    "utf-8-encoded surrogate": Case(
        "POST", "/createResponsePlan", raw_plan_body('"summary": "S"').replace(b'"S"', b'"\xed\xa0\x80"')
    ),
    "nul in a string": Case("POST", "/createResponsePlan", raw_plan_body('"summary": "a\\u0000b"')),
    "nul in a uri label": Case("GET", "/tags/arn%3Aaws%3Assm-incidents%3A%3A1%3Aresponse-plan%2Fx%00", headers={}),
    "deeply nested json": Case("POST", "/createResponsePlan", nested(100_000)),
    # Python refuses to parse integers longer than 4300 digits; both sides of that limit are covered.
    "huge integer": Case("POST", "/createResponsePlan", raw_plan_body('"impact": 1' + "0" * 4000)),
    "unparsably long integer": Case("POST", "/createResponsePlan", raw_plan_body('"impact": 1' + "0" * 5000)),
    "huge exponent": Case("POST", "/createResponsePlan", raw_plan_body('"impact": 1e400')),
    "nan": Case("POST", "/createResponsePlan", raw_plan_body('"impact": NaN')),
    "infinity": Case("POST", "/createResponsePlan", raw_plan_body('"impact": Infinity')),
    "nan timestamp": Case(
        "POST", "/listIncidentRecords", b'{"filters": [{"key": "creationTime", "condition": {"after": NaN}}]}'
    ),
    "unknown ssm-contacts operation": Case(
        "POST", "/", b"{}", {**CONTACTS_JSON, "X-Amz-Target": "SSMContacts.SummonDragon"}, "ssm-contacts"
    ),
    "ssm-contacts broken json": Case(
        "POST", "/", b"{", {**CONTACTS_JSON, "X-Amz-Target": "SSMContacts.ListContacts"}, "ssm-contacts"
    ),
}


def send(
    server: Server,
    account: Account,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    service: str = "ssm-incidents",
) -> Answer:
    """Sign a request as boto3 would, with the account's key, and send it over plain HTTP."""
    request = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=headers or {})
    credentials = Credentials(account.access_key_id, account.secret_access_key)
    SigV4Auth(credentials, service, REGION).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, target, body=body, headers=dict(prepared.headers))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def stored_state(incidents) -> tuple[list, list]:  # type: ignore[no-untyped-def, type-arg]
    """Everything a bad request could have created: plans and incidents."""
    plans = incidents.list_response_plans()["responsePlanSummaries"]
    records = incidents.list_incident_records()["incidentRecordSummaries"]
    return plans, records


@pytest.fixture
def open_incident(incidents, response_plan: str) -> str:  # type: ignore[no-untyped-def]
    """An account with a plan and an incident, so that 'nothing changed' compares something."""
    return incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_malformed_request_gets_a_modelled_client_error_and_changes_nothing(
    server, account, incidents, open_incident, case: Case
):
    before = stored_state(incidents)
    answer = send(server, account, case.method, case.path, case.body, case.headers, case.service)
    assert 400 <= answer.status < 500, answer.body[:500]
    assert answer.headers.get("x-amzn-ErrorType") in modelled_errors(case.service)
    assert answer.headers.get("x-amzn-RequestId")
    body = answer.json()
    if case.service == "ssm-incidents":
        assert body["message"]
    else:
        assert body["__type"] == answer.headers["x-amzn-ErrorType"]
        assert body["Message"]
    assert stored_state(incidents) == before


def test_validation_errors_name_the_offending_member(server, account, replication_set):
    answer = send(server, account, "POST", "/createResponsePlan", plan_body({"impact": "3"}), JSON)
    assert answer.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "incidentTemplate.impact" in answer.json()["message"]


def test_an_unknown_contacts_operation_says_so_in_its_reason(server, account):
    headers = {**CONTACTS_JSON, "X-Amz-Target": "SSMContacts.SummonDragon"}
    answer = send(server, account, "POST", "/", b"{}", headers, "ssm-contacts")
    assert answer.status == 400
    assert answer.json()["Reason"] == "UNKNOWN_OPERATION"


def test_a_204_answer_has_no_body(server, account, open_incident):
    body = json.dumps({"arn": open_incident, "title": "Renamed"}).encode()
    answer = send(server, account, "POST", "/updateIncidentRecord", body, JSON)
    assert answer.status == 204
    assert answer.body == b""
    assert answer.headers.get("x-amzn-RequestId")


def test_a_201_answer_is_json(server, account, replication_set):
    answer = send(server, account, "POST", "/createResponsePlan", plan_body(), JSON)
    assert answer.status == 201
    assert answer.headers.get("Content-Type") == "application/json"
    assert answer.json()["arn"].endswith(":response-plan/bad-input-plan")


def test_a_200_answer_is_json(server, account, response_plan):
    answer = send(server, account, "GET", "/getResponsePlan?" + urlencode({"arn": response_plan}))
    assert answer.status == 200
    assert answer.headers.get("Content-Type") == "application/json"
    assert answer.json()["arn"] == response_plan
