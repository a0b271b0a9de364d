"""Pre-signed raw HTTP/1.1 requests, made by an unmodified boto3 client stopped just before sending."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config

REGION = "us-east-1"


class _Captured(Exception):
    """Carries the prepared request out of botocore instead of sending it."""

    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def _capture(request: AWSPreparedRequest, **_: Any) -> None:
    raise _Captured(request)


def client(endpoint: str, account: Any, service: str = "ssm-incidents", **config: Any) -> Any:
    """An unmodified boto3 client for an account (its access_key and secret_key); no retries, so nothing is hidden."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=account.access_key,
        aws_secret_access_key=account.secret_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


class Signer:
    """Turns ssm-incidents calls into the exact bytes boto3 would put on the wire (SigV4 and all)."""

    def __init__(self, endpoint: str, account: Any) -> None:
        self.client = client(endpoint, account)
        # before-send fires after signing: what we capture is exactly what would be sent.
        self.client.meta.events.register("before-send.ssm-incidents.*", _capture)

    def prepared(self, method_name: str, **params: Any) -> AWSPreparedRequest:
        """The signed request client.<method_name>(**params) would send."""
        try:
            getattr(self.client, method_name)(**params)
        except _Captured as captured:
            return captured.request
        raise RuntimeError("botocore sent a request instead of letting it be captured")

    def raw(self, method_name: str, **params: Any) -> bytes:
        """One signed request for client.<method_name>(**params), rendered as raw HTTP/1.1."""
        return render(self.prepared(method_name, **params))

    def get_response_plan(self, plan_arn: str) -> bytes:
        """GetResponsePlan: one request may repeat: a read changes nothing and the signature stays valid."""
        return self.raw("get_response_plan", arn=plan_arn)

    def start_incidents(self, plan_arn: str, count: int) -> list[bytes]:
        """StartIncident requests, each with its own clientToken so that none is an idempotent replay."""
        return [
            self.raw(
                "start_incident",
                responsePlanArn=plan_arn,
                clientToken=str(uuid.uuid4()),
                title="bench incident",
            )
            for _ in range(count)
        ]


def render(request: AWSPreparedRequest) -> bytes:
    """The request line, Host (signed, so it must match), the prepared headers and the body."""
    url = urlsplit(request.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {url.netloc}"]
    for name, value in request.headers.items():
        if name.lower() in ("host", "content-length"):
            continue
        lines.append(f"{name}: {value.decode('latin-1') if isinstance(value, bytes) else value}")
    if body or "Content-Length" in request.headers:
        lines.append(f"Content-Length: {len(body)}")  # what urllib3 sends: none for a bodiless GET
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    """Store requests length-prefixed ("<n>\\n<n bytes>") for the wrk script; how many were written."""
    count = 0
    with path.open("wb") as out:
        for request in requests:
            out.write(b"%d\n" % len(request))
            out.write(request)
            count += 1
    return count
