"""Valid-looking requests for any operation, generated from its botocore input shape, serialised and signed."""

from __future__ import annotations

import datetime
import random
import re
import string
import uuid
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.serialize import create_serializer

REGION = "us-east-1"
MAX_DEPTH = 5


@cache
def service_model(service: str) -> ServiceModel:
    """The installed botocore model of a service."""
    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class Raw:
    """One HTTP request as the fuzzer sends it; `must_refuse` when no server may accept it."""

    service: str
    operation: str
    method: str
    target: str  # path and query, exactly as sent
    headers: dict[str, str]
    body: bytes
    mutation: str = "valid"
    must_refuse: bool = False
    routed: bool = True  # still addressed to `operation` (else any of the service's errors is fine)
    signing: str = "now"  # "now", "past" (expired), "none" (absent), "tampered"
    signing_service: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def but(self, **changes: Any) -> Raw:
        """A copy with some fields changed."""
        return replace(self, **changes)


class Values:
    """Values for shapes: within their constraints, drawn from a pool that also holds real ARNs."""

    def __init__(self, rng: random.Random, pool: list[str], real: list[str]) -> None:
        self.rng = rng
        self.pool = pool
        self.real = real  # ARNs of resources that exist: tried first for members that name a resource

    def of(self, shape: Shape, depth: int = 0) -> Any:
        """A value of the shape that its constraints allow (patterns when the pool has a match)."""
        kind = shape.type_name
        rng = self.rng
        if kind == "structure":
            if shape.metadata.get("document"):
                return {"key": "value", "n": 1}
            members = shape.members
            if shape.metadata.get("union") or getattr(shape, "is_tagged_union", False):
                name = rng.choice(sorted(members))
                return {name: self.of(members[name], depth + 1)}
            required = set(shape.required_members)
            chance = 0.6 if depth < MAX_DEPTH else 0.0
            return {
                name: self.of(member, depth + 1)
                for name, member in members.items()
                if name in required or rng.random() < chance
            }
        if kind == "list":
            low, high = _bounds(shape, 0, 3)
            count = rng.randint(low, min(high, low + (2 if depth < MAX_DEPTH else 0)))
            return [self.of(shape.member, depth + 1) for _ in range(count)]
        if kind == "map":
            low, high = _bounds(shape, 0, 2)
            count = rng.randint(low, min(high, low + 2))
            return {self.of(shape.key, depth + 1): self.of(shape.value, depth + 1) for _ in range(count)}
        if kind == "string":
            return self.text(shape, names_resource=depth <= 1 and shape.name.lower().endswith(("arn", "id", "ids")))
        if kind in ("integer", "long"):
            low, high = _bounds(shape, 0, 100)
            return rng.randint(int(low), int(min(high, low + 100)))
        if kind in ("float", "double"):
            low, high = _bounds(shape, 0, 100)
            return rng.uniform(low, min(high, low + 100))
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "timestamp":
            return datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=rng.randint(-600, 600))
        if kind == "blob":
            return rng.randbytes(rng.randint(1, 16))
        raise AssertionError(f"no values for {kind}")

    def text(self, shape: Shape, names_resource: bool = False) -> str:
        """A string for the shape: an enum value, or something from the pool that fits length and pattern."""
        if shape.enum:
            return str(self.rng.choice(shape.enum))
        low, high = _bounds(shape, 0, 64)
        pattern = _pattern(shape.metadata.get("pattern"))
        candidates = self.rng.sample(self.pool, k=min(len(self.pool), 12))
        if names_resource and self.rng.random() < 0.7:
            candidates = self.rng.sample(self.real, k=len(self.real)) + candidates
        for candidate in candidates:
            if low <= len(candidate) <= high and (pattern is None or pattern.fullmatch(candidate)):
                return candidate
        length = self.rng.randint(max(int(low), 1), max(int(min(high, low + 16)), 1))
        return "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def _bounds(shape: Shape, low: float, high: float) -> tuple[float, float]:
    found_low = shape.metadata.get("min", low)
    found_high = shape.metadata.get("max", max(high, found_low))
    return found_low, found_high


@cache
def _pattern(text: str | None) -> re.Pattern[str] | None:
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None  # a Java-only construct: the pool's candidates are tried unchecked


def pool(rng: random.Random, account_id: str, arns: list[str]) -> list[str]:
    """Strings worth trying anywhere: real ARNs of the account, plausible ones, and odd but valid text."""

    def uuid4() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    fake = [
        f"arn:aws:ssm-incidents::{account_id}:response-plan/fuzz-plan",
        f"arn:aws:ssm-incidents::{account_id}:incident-record/fuzz-plan/{uuid4()}",
        f"arn:aws:ssm-incidents::{account_id}:replication-set/{uuid4()}",
        f"arn:aws:ssm-contacts:{REGION}:{account_id}:contact/fuzz-contact",
        f"arn:aws:ssm-contacts:{REGION}:{account_id}:contact-channel/fuzz-contact/{uuid4()}",
        f"arn:aws:ssm-contacts:{REGION}:{account_id}:rotation/{uuid4()}",
        f"arn:aws:ssm-contacts:{REGION}:{account_id}:engagement/fuzz-contact/{uuid4()}",
        f"arn:aws:ssm-contacts:{REGION}:{account_id}:page/fuzz-contact/{uuid4()}",
        f"arn:aws:iam::{account_id}:role/fuzz",
        f"arn:aws:sns:{REGION}:{account_id}:fuzz-topic",
        f"arn:aws:ssm:{REGION}:{account_id}:document/fuzz-doc",
    ]
    texts = [
        REGION,
        "eu-west-1",
        str(uuid4()),
        "fuzz",
        "fuzz-1",
        "Fuzz_2",
        "a",
        "123456",
        "12:00",
        "08:30",
        "America/New_York",
        "UTC",
        "MONDAY",
        "+12065550100",
        "fuzz@example.com",
        "$DEFAULT",
        "1",
        "ünïcødé ✓ 𝄞",
        "line\nbreak",
        "  spaced  ",
        "{}",
        '{"a": 1}',
        "0 9 * * ? *",
        "PT5M",
        "Value",
    ]
    return arns + fake + texts


def build(service: str, op: OperationModel, params: dict[str, Any], endpoint: str) -> Raw:
    """The request botocore itself would send for the parameters (unsigned)."""
    model = service_model(service)
    serializer = create_serializer(model.metadata["protocol"], include_validation=False)
    request_dict = serializer.serialize_to_request(params, op)
    prepare_request_dict(request_dict, endpoint_url=endpoint)
    request = create_request_object(request_dict)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
    headers = {k: v for k, v in prepared.headers.items() if k.lower() not in ("content-length", "host")}
    return Raw(service, op.name, prepared.method, target, headers, body, signing_service=model.signing_name)


class _SignedAt(SigV4Auth):
    """SigV4 at a chosen moment, so that expired signatures can be made without patching the clock."""

    def __init__(self, credentials: Credentials, service: str, when: datetime.datetime) -> None:
        super().__init__(credentials, service, REGION)
        self.when = when

    def add_auth(self, request: AWSRequest) -> None:
        request.context["timestamp"] = self.when.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        self._inject_signature_to_request(request, self.signature(self.string_to_sign(request, canonical), request))


def signed_headers(raw: Raw, endpoint: str, key: str, secret: str) -> dict[str, str]:
    """The headers to send: the request's own plus SigV4 as its `signing` says."""
    headers = dict(raw.headers)
    if raw.signing == "none":
        return headers
    when = datetime.datetime.now(datetime.UTC)
    if raw.signing == "past":
        when -= datetime.timedelta(minutes=20)
    request = AWSRequest(method=raw.method, url=endpoint + raw.target, data=raw.body, headers=headers)
    _SignedAt(Credentials(key, secret), raw.signing_service, when).add_auth(request)
    signed = dict(request.headers.items())
    if raw.signing == "tampered":
        authorization = signed["Authorization"]
        last = authorization[-1]
        signed["Authorization"] = authorization[:-1] + ("0" if last != "0" else "1")
    return signed
