"""The verifier's rules for what a signature must cover, and what it keeps, without a server (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from incidentd.protocol import sigv4
from incidentd.protocol.sigv4 import AuthError, Credential, SigV4Verifier

NOW = datetime(2021, 8, 10, 21, 35, 32, tzinfo=UTC)
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDENTIALS = {AKID: Credential(AKID, SECRET, "111122223333")}


def signed(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None, **kw: str) -> dict:  # type: ignore[type-arg]
    """The wire form of a request botocore signed at NOW: the verifier's keyword arguments."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        SigV4Auth(
            Credentials(AKID, kw.get("secret", SECRET)), kw.get("service", "ssm-incidents"), "us-east-1"
        ).add_auth(request)
    prepared = request.prepare()
    path, _, query = prepared.url.split("127.0.0.1:1", 1)[1].partition("?")
    wire_headers = {name.lower(): str(value) for name, value in prepared.headers.items()}
    wire_headers.setdefault("host", "127.0.0.1:1")
    return {
        "method": method,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": wire_headers,
        "body": prepared.body or b"",
        "expected_services": (kw.get("service", "ssm-incidents"),),
        "now": NOW,
    }


def kept(verifier: SigV4Verifier) -> tuple[int, int, int]:
    return len(verifier._canonical_queries), len(verifier._canonical_uris), len(verifier._signed_names)


def test_a_verified_request_is_kept_and_answered_from_what_was_kept_again() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    request = signed("GET", "http://127.0.0.1:1/getResponsePlan?arn=x")
    verifier.verify(**request)
    assert kept(verifier) == (1, 1, 1)
    verifier.verify(**request)
    assert kept(verifier) == (1, 1, 1)


def test_a_refused_request_leaves_nothing_behind() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    forged = signed("GET", "http://127.0.0.1:1/getResponsePlan?arn=x", secret="not-the-secret")
    with pytest.raises(AuthError):
        verifier.verify(**forged)
    unsigned = dict(forged, headers={"host": "127.0.0.1:1"}, query_string=b"a=1&" * 10_000)
    with pytest.raises(AuthError):
        verifier.verify(**unsigned)
    assert kept(verifier) == (0, 0, 0)


def test_long_query_strings_are_not_kept_even_when_signed() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    verifier.verify(**signed("GET", "http://127.0.0.1:1/getResponsePlan?arn=" + "x" * 2000))
    assert kept(verifier) == (0, 1, 1)


def test_what_is_kept_is_bounded_in_count() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    for index in range(sigv4._KEPT_ENTRIES + 5):
        verifier.verify(**signed("GET", f"http://127.0.0.1:1/getResponsePlan?arn={index}"))
    assert len(verifier._canonical_queries) == sigv4._KEPT_ENTRIES


def test_an_overlong_region_is_refused_before_it_reaches_the_signing_key_cache() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    request = signed("GET", "http://127.0.0.1:1/getResponsePlan?arn=x")
    headers = dict(request["headers"])
    headers["authorization"] = headers["authorization"].replace("/us-east-1/", "/" + "r" * 65 + "/")
    with pytest.raises(AuthError, match="valid region"):
        verifier.verify(**dict(request, headers=headers))
    assert verifier._signing_key.cache_info().currsize == 0


def test_the_aws_json_target_must_be_signed_but_a_signed_one_is_accepted() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    headers = {"X-Amz-Target": "SSMContacts.ListContacts", "Content-Type": "application/x-amz-json-1.1"}
    request = signed("POST", "http://127.0.0.1:1/", b"{}", headers, service="ssm-contacts")
    assert verifier.verify(**request).service == "ssm-contacts"
    replayed = dict(request["headers"], **{"x-amz-target": "SSMContacts.DeleteContact"})
    with pytest.raises(AuthError) as caught:
        verifier.verify(**dict(request, headers=replayed))
    assert caught.value.code == "InvalidSignatureException"


def test_a_restjson_request_needs_no_target() -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    assert verifier.verify(**signed("POST", "http://127.0.0.1:1/listResponsePlans", b"{}")).account_id
