"""A signature authorizes only what it covers: the JSON protocols' X-Amz-Target and every request's body (issue 17).

Each test replays or forges a request against a real server, the way an attacker holding one signed request (or one
presigned URL) would, and checks that the refused request changed nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support import Account, Server

REGION = "us-east-1"
CONTACTS_JSON = "application/x-amz-json-1.1"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
WEEK = 7 * 24 * 3600


@dataclass(frozen=True)
class Answer:
    """What the server sent back."""

    status: int
    error_type: str | None
    message: str


def send(server: Server, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
    """Send these headers and body over a fresh connection (http.client sets Content-Length for the body)."""
    headers = {name: value for name, value in headers.items() if name.lower() != "content-length"}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    message = ""
    if payload and response.status >= 400:
        error = json.loads(payload)
        message = error.get("message") or error.get("Message", "")  # restJson1 and awsJson spell it differently
    return Answer(response.status, response.headers.get("x-amzn-ErrorType"), message)


def now_stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def hand_signature(
    account: Account,
    *,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    signed: list[str],
    payload_hash: str,
    stamp: str,
    service: str = "ssm-contacts",
) -> str:
    """The SigV4 signature over exactly the named headers and the given payload hash, computed as the spec says."""
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical_request = "\n".join((method, path, query, canonical_headers, ";".join(signed), payload_hash))
    scope = f"{stamp[:8]}/{REGION}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = ("AWS4" + account.secret_access_key).encode()
    for part in (stamp[:8], REGION, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return hmac.digest(key, string_to_sign.encode(), "sha256").hex()


def host_only_list_contacts(server: Server, account: Account) -> dict[str, str]:
    """The headers of a ListContacts request signed over host;x-amz-date only, with UNSIGNED-PAYLOAD."""
    stamp = now_stamp()
    headers = {
        "host": f"127.0.0.1:{server.port}",
        "x-amz-date": stamp,
        "x-amz-content-sha256": UNSIGNED_PAYLOAD,
        "x-amz-target": "SSMContacts.ListContacts",
        "content-type": CONTACTS_JSON,
    }
    signature = hand_signature(
        account,
        method="POST",
        path="/",
        query="",
        headers=headers,
        signed=["host", "x-amz-date"],
        payload_hash=UNSIGNED_PAYLOAD,
        stamp=stamp,
    )
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={account.access_key_id}/{stamp[:8]}/{REGION}/ssm-contacts/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )
    return headers


def json_request(server: Server, target: str, body: dict[str, object]) -> AWSRequest:
    """An unsigned awsJson1_1 request as botocore would build it."""
    return AWSRequest(
        method="POST",
        url=f"{server.endpoint}/",
        data=json.dumps(body).encode(),
        headers={"X-Amz-Target": target, "Content-Type": CONTACTS_JSON},
    )


def send_prepared(server: Server, request: AWSRequest, body: bytes | None = None) -> Answer:
    prepared = request.prepare()
    return send(server, prepared.method, "/", dict(prepared.headers), prepared.body if body is None else body)


class _TargetLeftOut(SigV4Auth):
    """botocore's signer, told to leave X-Amz-Target out of the signed headers."""

    def headers_to_sign(self, request):  # type: ignore[no-untyped-def]
        headers = super().headers_to_sign(request)
        del headers["x-amz-target"]
        return headers


@pytest.fixture
def contacts(server: Server, account: Account, replication_set: str):  # type: ignore[no-untyped-def]
    """The onboarded account's boto3 ssm-contacts client."""
    return server.client(account, "ssm-contacts")


@pytest.fixture
def contact(contacts) -> str:  # type: ignore[no-untyped-def]
    """A contact the attacks below try to delete; its ARN."""
    return contacts.create_contact(Alias="survivor", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]


def still_there(contacts, arn: str) -> bool:  # type: ignore[no-untyped-def]
    return contacts.get_contact(ContactId=arn)["ContactArn"] == arn


def test_a_list_contacts_signature_replayed_as_delete_contact_is_refused(server, account, contacts, contact):
    headers = host_only_list_contacts(server, account)
    headers["x-amz-target"] = "SSMContacts.DeleteContact"
    answer = send(server, "POST", "/", headers, json.dumps({"ContactId": contact}).encode())
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer
    assert "X-Amz-Target" in answer.message
    assert still_there(contacts, contact)


def test_the_host_only_signature_is_refused_even_for_the_operation_it_was_made_for(server, account, contacts):
    answer = send(server, "POST", "/", host_only_list_contacts(server, account), b"{}")
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer


@pytest.mark.parametrize(
    ("service", "target", "body"),
    [
        ("ssm-contacts", "SSMContacts.DeleteContact", "contact"),
        ("ssm", "AmazonSSM.ListDocuments", None),
    ],
)
def test_an_unsigned_x_amz_target_is_refused(server, account, contacts, contact, service, target, body):
    request = json_request(server, target, {"ContactId": contact} if body else {})
    _TargetLeftOut(Credentials(account.access_key_id, account.secret_access_key), service, REGION).add_auth(request)
    assert "x-amz-target" not in request.headers["Authorization"]
    answer = send_prepared(server, request)
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer
    assert answer.message == "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
    assert still_there(contacts, contact)


def test_an_unsigned_payload_replayed_with_another_body_is_refused(server, account, contacts, contact):
    decoy = contacts.create_contact(Alias="decoy", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    request = json_request(server, "SSMContacts.DeleteContact", {"ContactId": decoy})
    # botocore signs UNSIGNED-PAYLOAD over HTTPS for operations that opt out of payload signing (no operation of
    # these services does); the URL's scheme only decides that, the Host header is the same.
    request.url = f"https://127.0.0.1:{server.port}/"
    request.context["payload_signing_enabled"] = False
    SigV4Auth(Credentials(account.access_key_id, account.secret_access_key), "ssm-contacts", REGION).add_auth(request)
    assert request.headers["X-Amz-Content-SHA256"] == UNSIGNED_PAYLOAD
    answer = send_prepared(server, request, body=json.dumps({"ContactId": contact}).encode())
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer
    assert UNSIGNED_PAYLOAD in answer.message
    assert still_there(contacts, contact) and still_there(contacts, decoy)


def test_a_body_that_does_not_match_the_signed_hash_is_refused(server, account, contacts, contact):
    decoy = contacts.create_contact(Alias="decoy", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    signed_body = json.dumps({"ContactId": decoy}).encode()
    request = json_request(server, "SSMContacts.DeleteContact", {"ContactId": decoy})
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(signed_body).hexdigest()
    SigV4Auth(Credentials(account.access_key_id, account.secret_access_key), "ssm-contacts", REGION).add_auth(request)
    answer = send_prepared(server, request, body=json.dumps({"ContactId": contact}).encode())
    assert answer.status == 403 and answer.error_type == "InvalidSignatureException", answer
    assert still_there(contacts, contact) and still_there(contacts, decoy)


def test_a_presigned_url_over_host_runs_no_contacts_operation(server, account, contacts, contact):
    # A week-long URL signed over nothing but Host, with the payload hash hoisted into the query as UNSIGNED-PAYLOAD
    # (as the JS SDK's presigner does): once it ran any ssm-contacts operation with any body.
    stamp = now_stamp()
    scope = f"{stamp[:8]}/{REGION}/ssm-contacts/aws4_request"
    params = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Content-Sha256": UNSIGNED_PAYLOAD,
        "X-Amz-Credential": f"{account.access_key_id}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(WEEK),
        "X-Amz-SignedHeaders": "host",
    }
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items()))
    headers = {"host": f"127.0.0.1:{server.port}"}
    signature = hand_signature(
        account,
        method="POST",
        path="/",
        query=query,
        headers=headers,
        signed=["host"],
        payload_hash=UNSIGNED_PAYLOAD,
        stamp=stamp,
    )
    url = f"/?{query}&X-Amz-Signature={signature}"
    attack = dict(headers, **{"x-amz-target": "SSMContacts.DeleteContact", "content-type": CONTACTS_JSON})
    answer = send(server, "POST", url, attack, json.dumps({"ContactId": contact}).encode())
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer
    assert still_there(contacts, contact)


def test_even_a_presigned_url_that_signs_the_target_and_body_is_refused_by_the_json_apis(
    server, account, contacts, contact
):
    # botocore's query signer covers X-Amz-Target and the body's hash; the JSON APIs still take no presigned URLs:
    # a URL cannot carry their operation or input, and it would authorize a write for up to a week.
    request = json_request(server, "SSMContacts.DeleteContact", {"ContactId": contact})
    credentials = Credentials(account.access_key_id, account.secret_access_key)
    SigV4QueryAuth(credentials, "ssm-contacts", REGION, expires=3600).add_auth(request)
    assert "x-amz-target" in request.url
    answer = send(server, "POST", request.url.split(str(server.port), 1)[1], dict(request.headers), request.body)
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer
    assert "presigned" in answer.message.lower()
    assert still_there(contacts, contact)


def test_a_presigned_get_url_still_reads_a_response_plan(server, account, response_plan, incidents):
    url = incidents.generate_presigned_url("get_response_plan", Params={"arn": response_plan}, ExpiresIn=300)
    answer = send(server, "GET", url.split(str(server.port), 1)[1], {"host": f"127.0.0.1:{server.port}"}, b"")
    assert answer.status == 200, answer


def test_a_presigned_url_with_an_unsigned_payload_is_refused_by_ssm_incidents(
    server, account, incidents, replication_set
):
    # restJson1 names the operation in the signed method and path, but the body must be covered all the same.
    stamp = now_stamp()
    scope = f"{stamp[:8]}/{REGION}/ssm-incidents/aws4_request"
    params = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Content-Sha256": UNSIGNED_PAYLOAD,
        "X-Amz-Credential": f"{account.access_key_id}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": "600",
        "X-Amz-SignedHeaders": "host",
    }
    query = urlencode(sorted(params.items()), quote_via=quote, safe="")
    headers = {"host": f"127.0.0.1:{server.port}"}
    signature = hand_signature(
        account,
        method="POST",
        path="/createResponsePlan",
        query=query,
        headers=headers,
        signed=["host"],
        payload_hash=UNSIGNED_PAYLOAD,
        stamp=stamp,
        service="ssm-incidents",
    )
    body = json.dumps({"name": "forged-plan", "incidentTemplate": {"title": "F", "impact": 3}}).encode()
    answer = send(
        server,
        "POST",
        f"/createResponsePlan?{query}&X-Amz-Signature={signature}",
        dict(headers, **{"content-type": "application/json"}),
        body,
    )
    assert (answer.status, answer.error_type) == (403, "InvalidSignatureException"), answer
    assert [p["name"] for p in incidents.list_response_plans()["responsePlanSummaries"]] == []
