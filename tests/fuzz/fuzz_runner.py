"""Sending fuzzed requests over keep-alive connections, judging the answers, and dumping an account's rows."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from fuzz_requests import Raw, service_model, signed_headers

from incidentd.store.db import Database
from incidentd.store.tables import metadata
from support import Account

# What SigV4 verification answers with before any operation is known (protocol/sigv4.py).
AUTH_ERRORS = frozenset(
    {
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
    }
)
SERVICES = ("ssm-incidents", "ssm-contacts", "ssm")


@dataclass(frozen=True)
class Outcome:
    """What the server answered to one fuzzed request."""

    raw: Raw
    status: int
    error_type: str | None
    request_id: str | None
    body: bytes


@cache
def operation_errors(service: str, operation: str) -> frozenset[str]:
    """The errors an operation's model declares, plus the service's common ones: authentication and validation."""
    op = service_model(service).operation_model(operation)
    # Every AWS service answers a request that breaks the model's constraints with ValidationException, also for
    # operations that don't list it (most of ssm's), when the service models the shape.
    common = {"ValidationException"} & service_errors(service)
    return AUTH_ERRORS | common | {shape.name for shape in op.error_shapes}


@cache
def service_errors(service: str) -> frozenset[str]:
    """Every error shape a service models."""
    return frozenset(shape.name for shape in service_model(service).error_shapes)


@cache
def any_service_error() -> frozenset[str]:
    """Every error any served service models: for requests whose operation is unknown or changed."""
    return AUTH_ERRORS.union(*({s.name for s in service_model(name).error_shapes} for name in SERVICES))


class Sender:
    """Signs and sends requests, one keep-alive connection per thread."""

    def __init__(self, port: int, account: Account) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.account = account
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every connection any thread opened."""
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()

    def send(self, raw: Raw) -> Outcome:
        """Sign the request as it says, send it, and read the answer (reconnecting once if the connection went)."""
        key = raw.extra.get("key", self.account.access_key_id)
        headers = signed_headers(raw, self.endpoint, key, self.account.secret_access_key)
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(raw.method, raw.target, body=raw.body, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._local.connection = None
                connection.close()
                if attempt == 2:
                    raise
                continue
            if response.getheader("connection", "").lower() == "close":
                self._local.connection = None
                connection.close()
            error_type = response.getheader("x-amzn-errortype")
            return Outcome(raw, response.status, error_type, response.getheader("x-amzn-requestid"), body)
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self._lock:
                self._opened.append(connection)
        return connection


def problems(outcome: Outcome) -> list[str]:
    """What is wrong with an answer: a 5xx, an accepted request that had to be refused, an unmodelled error."""
    raw, status = outcome.raw, outcome.status
    found = []
    if status >= 500:
        found.append(f"answered {status}")
    if raw.must_refuse and status < 400:
        found.append(f"accepted with {status}")
    if status >= 400:
        allowed = operation_errors(raw.service, raw.operation) if raw.routed else any_service_error()
        error_type = (outcome.error_type or "").split(":")[0]
        if error_type not in allowed and not (raw.routed and error_type in service_errors(raw.service)):
            found.append(f"error type {outcome.error_type!r} is not modelled")
        if not outcome.request_id:
            found.append("no x-amzn-RequestId")
        try:
            body = json.loads(outcome.body)
        except ValueError:
            found.append("the error body is not JSON")
        else:
            if "__type" in body and body["__type"] != error_type:
                found.append(f"__type {body['__type']!r} differs from the header")
            if not any(key.lower() == "message" for key in body):
                found.append("the error body has no message")
    return found


def undeclared(outcome: Outcome) -> str | None:
    """'Service Operation Error' when an operation answers an error its service models but it doesn't declare."""
    raw, error_type = outcome.raw, (outcome.error_type or "").split(":")[0]
    if outcome.status >= 400 and raw.routed and error_type not in operation_errors(raw.service, raw.operation):
        return f"{raw.service} {raw.operation} {error_type}"
    return None


def describe(outcome: Outcome, found: list[str]) -> str:
    """One line that lets a failure be understood without rerunning it."""
    raw = outcome.raw
    return (
        f"{'; '.join(found)}: {raw.mutation} {raw.service} {raw.operation} {raw.method} {raw.target[:120]!r} "
        f"signing={raw.signing} body={raw.body[:200]!r} -> {outcome.status} {outcome.error_type} "
        f"{outcome.body[:300]!r}"
    )


def dump(db: Database, account_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the account owns, table by table, in a stable order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for table in metadata.sorted_tables:
            if "account_id" not in table.c:
                continue
            found = conn.execute(sa.select(table).where(table.c.account_id == account_id)).all()
            rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows
