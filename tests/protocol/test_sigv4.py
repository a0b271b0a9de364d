"""SigV4 verification against requests signed by botocore and boto3 themselves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentd.protocol import sigv4
from incidentd.protocol.sigv4 import AuthError, Credential, SignedRequestInfo, SigV4Verifier, signing_service

NOW = datetime(2021, 8, 10, 21, 35, 32, tzinfo=UTC)
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCOUNT = "111122223333"
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:1"
ARN = "arn:aws:ssm-incidents::111122223333:response-plan/example"
INCIDENTS = ("ssm-incidents",)
CONTACTS = ("ssm-contacts",)
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture(autouse=True, scope="module")
def frozen_botocore_clock():
    """Make botocore sign at NOW, so every request is verified at its own signing time."""
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        yield


@dataclass(frozen=True)
class Wire:
    """A request as the server sees it: raw path and query, lower-case headers, body bytes."""

    method: str
    raw_path: bytes
    query_string: bytes
    headers: dict[str, str]
    body: bytes


def to_wire(method: str, url: str, headers: object, body: object) -> Wire:
    parts = urlsplit(url)
    lowered: dict[str, str] = {}
    for name, value in headers.items():  # type: ignore[attr-defined]
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        key = name.lower()
        lowered[key] = f"{lowered[key]},{text}" if key in lowered else text
    # The HTTP client adds Host from the URL, as botocore assumed when it signed.
    lowered.setdefault("host", parts.netloc)
    if isinstance(body, str):
        body = body.encode()
    return Wire(method, parts.path.encode(), parts.query.encode(), lowered, body or b"")


def sign(
    method: str,
    url: str,
    *,
    data: bytes = b"",
    headers: dict[str, str] | None = None,
    params: list[tuple[str, str]] | None = None,
    service: str = "ssm-incidents",
    secret: str = SECRET,
    token: str | None = None,
    context: dict[str, object] | None = None,
) -> Wire:
    """Sign with botocore's SigV4Auth and return what would go on the wire."""
    request = AWSRequest(method=method, url=url, data=data, headers=headers or {}, params=params or {})
    request.context.update(context or {})
    SigV4Auth(Credentials(AKID, secret, token), service, REGION).add_auth(request)
    prepared = request.prepare()
    return to_wire(prepared.method, prepared.url, prepared.headers, prepared.body)


def verify(
    wire: Wire,
    *,
    services: tuple[str, ...] = INCIDENTS,
    now: datetime = NOW,
    verifier: SigV4Verifier | None = None,
) -> SignedRequestInfo:
    return (verifier or VERIFIER).verify(
        method=wire.method,
        raw_path=wire.raw_path,
        query_string=wire.query_string,
        headers=wire.headers,
        body=wire.body,
        expected_services=services,
        now=now,
    )


def refused(wire: Wire, **kwargs: object) -> AuthError:
    with pytest.raises(AuthError) as caught:
        verify(wire, **kwargs)  # type: ignore[arg-type]
    return caught.value


def with_headers(wire: Wire, **changes: str | None) -> Wire:
    headers = dict(wire.headers)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return replace(wire, headers=headers)


CREDENTIALS = {AKID: Credential(AKID, SECRET, ACCOUNT)}
VERIFIER = SigV4Verifier(CREDENTIALS.get)


class _Raw:
    def stream(self, **_: object):
        yield b"{}"


class Capture:
    """A boto3 client whose requests are captured at before-send and never sent."""

    def __init__(self, service: str):
        self.sent: list[Wire] = []
        self.client = boto3.client(
            service,
            endpoint_url=ENDPOINT,
            region_name=REGION,
            aws_access_key_id=AKID,
            aws_secret_access_key=SECRET,
        )
        self.client.meta.events.register("before-send", self._capture)

    def _capture(self, request, **_: object) -> AWSResponse:
        self.sent.append(to_wire(request.method, request.url, request.headers, request.body))
        return AWSResponse(request.url, 200, {}, _Raw())

    def last(self) -> Wire:
        return self.sent[-1]


@pytest.fixture(scope="module")
def incidents() -> Capture:
    return Capture("ssm-incidents")


@pytest.fixture(scope="module")
def contacts() -> Capture:
    return Capture("ssm-contacts")


@pytest.fixture
def get_plan(incidents: Capture) -> Wire:
    incidents.client.get_response_plan(arn=ARN)
    return incidents.last()


@pytest.fixture
def untag(incidents: Capture) -> Wire:
    incidents.client.untag_resource(resourceArn=ARN, tagKeys=["a", "b c"])
    return incidents.last()


@pytest.fixture
def tag(incidents: Capture) -> Wire:
    incidents.client.tag_resource(resourceArn=ARN, tags={"team": "on call"})
    return incidents.last()


@pytest.fixture
def presigned(incidents: Capture) -> Wire:
    url = incidents.client.generate_presigned_url("get_response_plan", Params={"arn": ARN}, ExpiresIn=3600)
    # Whoever follows the URL sends no headers but Host.
    return to_wire("GET", url, {}, b"")


# Accepted requests.


def test_get_with_arn_in_query_string(get_plan: Wire) -> None:
    assert get_plan.query_string.startswith(b"arn=arn%3Aaws%3Assm-incidents%3A%3A")
    assert verify(get_plan) == SignedRequestInfo(AKID, ACCOUNT, REGION, "ssm-incidents")


def test_post_with_json_body(tag: Wire) -> None:
    assert tag.method == "POST" and tag.body == b'{"tags": {"team": "on call"}}'
    assert verify(tag).account_id == ACCOUNT


def test_delete_with_encoded_arn_in_path_and_repeated_query_keys(untag: Wire) -> None:
    assert untag.method == "DELETE"
    assert untag.raw_path == b"/tags/arn%3Aaws%3Assm-incidents%3A%3A111122223333%3Aresponse-plan%2Fexample"
    assert untag.query_string == b"tagKeys=a&tagKeys=b%20c"
    assert verify(untag).service == "ssm-incidents"


def test_post_with_empty_body() -> None:
    wire = sign("POST", f"{ENDPOINT}/listResponsePlans", data=b"")
    assert wire.body == b""
    assert verify(wire).access_key_id == AKID


def test_aws_json_request_for_ssm_contacts(contacts: Capture) -> None:
    contacts.client.list_contacts()
    wire = contacts.last()
    assert wire.headers["x-amz-target"] == "SSMContacts.ListContacts"
    assert "x-amz-target" in wire.headers["authorization"]
    assert verify(wire, services=CONTACTS) == SignedRequestInfo(AKID, ACCOUNT, REGION, "ssm-contacts")


def test_several_expected_services(contacts: Capture) -> None:
    contacts.client.list_contacts()
    assert verify(contacts.last(), services=("ssm-incidents", "ssm-contacts")).service == "ssm-contacts"


def test_presigned_get_url(presigned: Wire) -> None:
    query = dict(parse_qsl(presigned.query_string.decode()))
    assert query["X-Amz-SignedHeaders"] == "host" and query["X-Amz-Expires"] == "3600"
    assert verify(presigned) == SignedRequestInfo(AKID, ACCOUNT, REGION, "ssm-incidents")


def test_presigned_url_is_valid_until_its_last_second(presigned: Wire) -> None:
    verify(presigned, now=NOW + timedelta(seconds=3600))


def test_date_header_signed_instead_of_x_amz_date() -> None:
    # botocore signs an RFC 1123 Date header, and no X-Amz-Date, when the caller set Date.
    wire = sign("GET", f"{ENDPOINT}/getResponsePlan?arn=x", headers={"Date": "anything"})
    assert "x-amz-date" not in wire.headers and wire.headers["date"].startswith("Tue, 10 Aug 2021 21:35:32")
    verify(wire)


def test_session_token_header_is_signed_and_accepted() -> None:
    wire = sign("POST", f"{ENDPOINT}/listResponsePlans", data=b"{}", token="session-token")
    assert "x-amz-security-token" in wire.headers["authorization"]
    verify(wire)


def test_signed_content_sha256_header_as_the_js_sdk_sends() -> None:
    body = b'{"maxResults": 5}'
    wire = sign(
        "POST",
        f"{ENDPOINT}/listResponsePlans",
        data=body,
        headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()},
    )
    assert "x-amz-content-sha256" in wire.headers["authorization"]
    verify(wire)


def test_unsigned_payload_is_refused_even_when_it_is_what_was_signed() -> None:
    # botocore sends UNSIGNED-PAYLOAD over HTTPS for operations that opt out of payload signing; only S3 has any,
    # and these services need the body signed, or one signature would carry any body.
    wire = sign(
        "POST",
        "https://127.0.0.1:1/listResponsePlans",
        data=b"{}",
        context={"payload_signing_enabled": False},
    )
    assert wire.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    error = refused(replace(wire, body=b'{"anything": "goes"}'))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message == (
        "x-amz-content-sha256: UNSIGNED-PAYLOAD is accepted only by Amazon S3; "
        "ssm-incidents requires the SHA-256 of the body to be signed."
    )


def test_header_values_are_trimmed_and_inner_whitespace_collapsed() -> None:
    wire = sign("GET", f"{ENDPOINT}/getResponsePlan?arn=x", headers={"X-Amz-Meta": "  two   spaces\there "})
    assert wire.headers["x-amz-meta"] == "  two   spaces\there "
    verify(wire)


@pytest.mark.parametrize(
    ("hoisted", "body", "refusal"),
    [
        (hashlib.sha256(b"").hexdigest(), b"", None),
        (hashlib.sha256(b"").hexdigest(), b"another body", "does not match what was computed"),
        ("UNSIGNED-PAYLOAD", b"", "UNSIGNED-PAYLOAD is accepted only by Amazon S3"),
    ],
)
def test_presigned_payload_hash_hoisted_into_the_query(hoisted: str, body: bytes, refusal: str | None) -> None:
    # The JS SDK's presigner moves an x-amz-content-sha256 header into the query and signs
    # its value as the payload hash; botocore's signer only needs its payload swapped to match.
    class HoistingQueryAuth(SigV4QueryAuth):
        def payload(self, request: AWSRequest) -> str:
            return hoisted

    url = f"{ENDPOINT}/getResponsePlan?arn=x&X-Amz-Content-Sha256={hoisted}"
    request = AWSRequest(method="GET", url=url)
    HoistingQueryAuth(Credentials(AKID, SECRET), "ssm-incidents", REGION, expires=60).add_auth(request)
    wire = to_wire("GET", request.url, {}, body)
    if refusal is None:
        verify(wire)
    else:
        assert refusal in refused(wire).message


def test_botocore_query_auth_signs_the_empty_payload_hash() -> None:
    request = AWSRequest(method="GET", url=f"{ENDPOINT}/getResponsePlan?arn=x")
    signer = SigV4QueryAuth(Credentials(AKID, SECRET), "ssm-incidents", REGION, expires=60)
    signer.add_auth(request)
    assert signer.payload(request) == hashlib.sha256(b"").hexdigest()
    verify(to_wire("GET", request.url, {}, b""))


def test_canonical_uri_and_query_match_botocore() -> None:
    path = "/tags/arn%3Aaws%3Assm-incidents%3A%3A1%3Aresponse-plan%2Fex/./a//b/../c~d!"
    botocore_signer = SigV4Auth(Credentials(AKID, SECRET), "ssm-incidents", REGION)
    assert sigv4._canonical_uri(path.encode()) == botocore_signer._normalize_url_path(path)
    assert sigv4._canonical_uri(b"/tags/arn%3Aaws") == "/tags/arn%253Aaws"
    params = [("tagKeys", "b c"), ("tagKeys", "a"), ("arn", "arn:aws:x/y+z"), ("e", "")]
    expected = botocore_signer._canonical_query_string_params(params)
    query = sigv4._split_query(urlencode(params).encode())
    assert sigv4._canonical_query(query, drop_signature=False) == expected


def test_signing_keys_are_cached(tag: Wire) -> None:
    verifier = SigV4Verifier(CREDENTIALS.get)
    verify(tag, verifier=verifier)
    verify(tag, verifier=verifier)
    info = verifier._signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 1)


@pytest.mark.parametrize("minutes", [-14, 14, -15, 15])
def test_clock_skew_within_the_window_is_accepted(tag: Wire, minutes: int) -> None:
    verify(tag, now=NOW + timedelta(minutes=minutes))


def test_signing_service(get_plan: Wire, presigned: Wire) -> None:
    assert signing_service(get_plan.headers, get_plan.query_string) == "ssm-incidents"
    assert signing_service(presigned.headers, presigned.query_string) == "ssm-incidents"
    assert signing_service({"host": "h"}, b"arn=x") is None
    assert signing_service({"authorization": "AWS4-HMAC-SHA256 Credential=AKID/x"}, b"") is None


# Refused requests.


def test_tampered_body_is_refused(tag: Wire) -> None:
    error = refused(replace(tag, body=tag.body.replace(b"on call", b"on cell")))
    assert (error.code, error.status, error.message) == ("InvalidSignatureException", 403, MISMATCH)


def test_tampered_path_is_refused(untag: Wire) -> None:
    error = refused(replace(untag, raw_path=untag.raw_path.replace(b"example", b"exampl3")))
    assert (error.code, error.message) == ("InvalidSignatureException", MISMATCH)


def test_tampered_query_is_refused(get_plan: Wire, untag: Wire) -> None:
    assert refused(replace(get_plan, query_string=get_plan.query_string + b"2")).message == MISMATCH
    assert refused(replace(untag, query_string=b"tagKeys=a")).message == MISMATCH


def test_tampered_signed_header_is_refused(contacts: Capture) -> None:
    contacts.client.list_contacts()
    wire = with_headers(contacts.last(), x_amz_target="SSMContacts.DeleteContact")
    assert refused(wire, services=CONTACTS).code == "InvalidSignatureException"


def test_tampered_method_is_refused(untag: Wire) -> None:
    assert refused(replace(untag, method="GET")).message == MISMATCH


def test_wrong_secret_is_refused() -> None:
    wire = sign("POST", f"{ENDPOINT}/listResponsePlans", data=b"{}", secret="not-the-secret")
    error = refused(wire)
    assert (error.code, error.status, error.message) == ("InvalidSignatureException", 403, MISMATCH)


def test_unknown_access_key_is_refused(tag: Wire) -> None:
    error = refused(tag, verifier=SigV4Verifier(lambda key: None))
    assert (error.code, error.status, error.message) == (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    )


def test_signature_too_old_is_refused(tag: Wire) -> None:
    error = refused(tag, now=NOW + timedelta(minutes=16))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message == (
        "Signature expired: 20210810T213532Z is now earlier than 20210810T213632Z (20210810T215132Z - 15 min.)"
    )


def test_signature_from_the_future_is_refused(tag: Wire) -> None:
    error = refused(tag, now=NOW - timedelta(minutes=16))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message == (
        "Signature not yet current: 20210810T213532Z is still later than 20210810T213432Z (20210810T211932Z + 15 min.)"
    )


def test_skew_limit_is_exclusive_and_configurable(tag: Wire) -> None:
    refused(tag, now=NOW + timedelta(minutes=15, seconds=1))
    strict = SigV4Verifier(CREDENTIALS.get, max_skew_seconds=300)
    assert "(20210810T214132Z - 5 min.)" in refused(tag, now=NOW + timedelta(minutes=6), verifier=strict).message


def test_wrong_service_in_scope_is_refused(contacts: Capture) -> None:
    contacts.client.list_contacts()
    error = refused(contacts.last(), services=INCIDENTS)
    assert (error.code, error.status, error.message) == (
        "InvalidSignatureException",
        403,
        "Credential should be scoped to correct service: 'ssm-incidents'. ",
    )


def test_missing_signature_is_refused(get_plan: Wire) -> None:
    error = refused(with_headers(get_plan, authorization=None))
    assert (error.code, error.status, error.message) == (
        "MissingAuthenticationTokenException",
        403,
        "Request is missing Authentication Token",
    )


AUTH = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20210810/us-east-1/ssm-incidents/aws4_request"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (
            "Bearer abc",
            "Unsupported AWS 'algorithm': 'Bearer'.",
        ),
        (
            "AWS4-HMAC-SHA256 FooBar, BazBurp",
            (
                "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: "
                "'AWS4-HMAC-SHA256 FooBar, BazBurp'."
            ),
        ),
        (
            "AWS4-HMAC-SHA256",
            (
                "Authorization header requires 'Credential' parameter. "
                "Authorization header requires 'Signature' parameter. "
                "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
            ),
        ),
        (
            f"{AUTH}, SignedHeaders=host;x-amz-date",
            "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256",
        ),
        (
            f"{AUTH}, Signature=abc",
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20210810/us-east-1, SignedHeaders=host, Signature=abc",
            (
                "Credential must have exactly 5 slash-delimited elements, "
                "e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20210810/us-east-1'"
            ),
        ),
    ],
)
def test_malformed_authorization_header_is_incomplete(tag: Wire, authorization: str, message: str) -> None:
    error = refused(with_headers(tag, authorization=authorization))
    assert (error.code, error.status, error.message) == ("IncompleteSignatureException", 400, message)


def test_missing_date_is_incomplete(tag: Wire) -> None:
    error = refused(with_headers(tag, x_amz_date=None))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert error.message.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


def test_malformed_date_is_incomplete(tag: Wire) -> None:
    error = refused(with_headers(tag, x_amz_date="2021-08-10T21:35:32Z"))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert error.message.startswith("Date must be in ISO-8601 'basic format'. Got '2021-08-10T21:35:32Z'.")


def test_host_must_be_signed(tag: Wire) -> None:
    authorization = tag.headers["authorization"].replace("SignedHeaders=content-type;host;", "SignedHeaders=")
    error = refused(with_headers(tag, authorization=authorization))
    assert (error.code, error.message) == (
        "InvalidSignatureException",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    )


def test_scope_date_and_terminator_are_checked(tag: Wire) -> None:
    authorization = (
        tag.headers["authorization"].replace("/20210810/", "/20210811/").replace("aws4_request", "aws5_request")
    )
    error = refused(with_headers(tag, authorization=authorization))
    assert (error.code, error.status, error.message) == (
        "InvalidSignatureException",
        403,
        (
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20210811' != '20210810', from '20210810T213532Z'. "
        ),
    )


def test_tampered_body_under_signed_content_hash_is_refused() -> None:
    body = b'{"maxResults": 5}'
    wire = sign(
        "POST",
        f"{ENDPOINT}/listResponsePlans",
        data=body,
        headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()},
    )
    error = refused(replace(wire, body=b'{"maxResults": 6}'))
    assert (error.code, error.message) == (
        "InvalidSignatureException",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )


def test_expired_presigned_url_is_refused(presigned: Wire) -> None:
    error = refused(presigned, now=NOW + timedelta(seconds=3601))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message == (
        "Signature expired: the presigned URL was valid until 20210810T223532Z "
        "(X-Amz-Date 20210810T213532Z + X-Amz-Expires 3600 s); it is now 20210810T223533Z."
    )


def test_presigned_url_from_the_future_is_refused(presigned: Wire) -> None:
    assert refused(presigned, now=NOW - timedelta(minutes=16)).message.startswith("Signature not yet current:")


def test_tampered_presigned_url_is_refused(presigned: Wire) -> None:
    wire = replace(presigned, query_string=presigned.query_string.replace(b"example", b"exampl3"))
    assert refused(wire).message == MISMATCH
    assert refused(replace(presigned, method="DELETE")).message == MISMATCH


def test_presigned_url_without_signature_is_incomplete(presigned: Wire) -> None:
    query = b"&".join(p for p in presigned.query_string.split(b"&") if not p.startswith(b"X-Amz-Signature="))
    error = refused(replace(presigned, query_string=query))
    assert (error.code, error.status, error.message) == (
        "IncompleteSignatureException",
        400,
        "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.",
    )


def test_presigned_url_lifetime_is_capped(presigned: Wire) -> None:
    query = presigned.query_string.replace(b"X-Amz-Expires=3600", b"X-Amz-Expires=604801")
    wire = replace(presigned, query_string=query)
    assert refused(wire).code == "IncompleteSignatureException"


# Property: whatever botocore signs verifies, and no byte of the body can change.

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_PATHS = st.lists(_TEXT, max_size=5).map(
    lambda segments: "/" + "/".join(quote(s, safe="!$&'()*+,;=:@") for s in segments)
)
_PARAMS = st.lists(st.tuples(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8), _TEXT))


@settings(max_examples=150, deadline=None, database=None)
@given(path=_PATHS, params=_PARAMS, body=st.binary(min_size=1, max_size=200), data=st.data())
def test_botocore_signed_requests_verify_and_body_bytes_are_bound(
    path: str, params: list[tuple[str, str]], body: bytes, data: st.DataObject
) -> None:
    wire = sign("POST", f"{ENDPOINT}{path}", data=body, params=params)
    assert verify(wire).access_key_id == AKID

    index = data.draw(st.integers(0, len(body) - 1), label="index")
    flip = data.draw(st.integers(1, 255), label="xor")
    tampered = bytearray(body)
    tampered[index] ^= flip
    assert refused(replace(wire, body=bytes(tampered))).message == MISMATCH
