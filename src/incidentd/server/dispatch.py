"""One request from bytes to bytes: pick the service, authenticate, parse, validate, run, serialise."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from incidentd.api import registry, runner
from incidentd.api.context import RequestContext
from incidentd.clock import Clock
from incidentd.config import Settings
from incidentd.domain import arns, ids
from incidentd.ops.logs import REQUEST_ID
from incidentd.protocol import model
from incidentd.protocol.aws_json import AwsJsonProtocol
from incidentd.protocol.errors import ServiceError, validation_error, validation_failures
from incidentd.protocol.rest_json import RestJsonProtocol
from incidentd.protocol.sigv4 import AuthError, Credential, SigV4Verifier
from incidentd.protocol.validate import check_input
from incidentd.protocol.wire import MAX_BODY_BYTES, WireRequest, WireResponse
from incidentd.server import read_cache
from incidentd.store.db import Database

log = logging.getLogger("incidentd.request")

UNKNOWN_OPERATION = "unknown"

Protocol = RestJsonProtocol | AwsJsonProtocol


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond per request
class Call:
    """A request that passed authentication and validation, ready to run."""

    protocol: Protocol
    operation: registry.Operation
    op_model: OperationModel
    params: dict[str, Any]
    account_id: str
    caller_arn: str
    region: str
    request_id: str
    now_ms: int
    # Where a cacheable answer may be kept: its key and the database version looked up before the read.
    cache_key: read_cache.Key | None = None
    cache_version: read_cache.Version | None = None


class Dispatcher:
    """Serves every service incidentd speaks on one port."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        credentials: dict[str, Credential],
        on_write: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.on_write = on_write
        self.operations = registry.load_all()
        self.incidents = RestJsonProtocol(model.service_model(model.INCIDENTS))
        self.json_services: dict[str, tuple[str, AwsJsonProtocol]] = {}
        for service in (model.CONTACTS, model.SSM):
            protocol = AwsJsonProtocol(model.service_model(service))
            self.json_services[protocol.target_prefix] = (service, protocol)
        self.verifier = SigV4Verifier(credentials.get)
        self.read_cache = _read_cache(db, settings)
        # The JSON protocols name the operation in X-Amz-Target; restJson1 reads it from the path, and every
        # restJson1 GET is a read, so a GET may be in the cache and any other request that isn't named here
        # is not (a write never pays for a look-up).
        self._cacheable_targets = frozenset(
            f"{protocol.target_prefix}.{name}"
            for service, protocol in self.json_services.values()
            for (op_service, name), operation in self.operations.items()
            if op_service == service and operation.cacheable
        )

    def run(self, call: Call) -> WireResponse:
        """Run a prepared call in a transaction of its own on the calling thread; never raises."""
        try:
            transaction = self.db.write if call.operation.writes else self.db.read
            with transaction() as conn:
                result = self.execute(call, conn)
        except Exception as exc:
            return self.fail(call, exc)
        response = self.succeed(call, result)
        if call.cache_key is not None and call.operation.cacheable and response.status == 200:
            assert self.read_cache is not None
            self.read_cache.keep(call.cache_key, call.cache_version, response)
        return response

    def prepare(self, request: WireRequest) -> Call | WireResponse:
        """Authenticate, route, parse and validate: everything before the database; an error answers at once."""
        request_id = ids.random()
        service, protocol = self._service_of(request)
        # The operation is named once the request is routed; a refusal before that counts as "unknown".
        routed = [UNKNOWN_OPERATION]
        try:
            return self._prepare(service, protocol, request, request_id, routed)
        except Exception as exc:
            response = self._error(protocol, request_id, exc)
            response.operation = (service, routed[0])
            return response

    def execute(self, call: Call, conn: Connection) -> dict[str, Any]:
        """Run the operation in the given transaction."""
        ctx = RequestContext(
            account_id=call.account_id,
            caller_arn=call.caller_arn,
            region=call.region,
            request_id=call.request_id,
            now_ms=call.now_ms,
            db=self.db,
            conn=conn,
            settings=self.settings,
        )
        # Whatever the handler logs carries the request id, on whichever thread it runs.
        token = REQUEST_ID.set(call.request_id)
        try:
            return runner.run(call.operation, call.op_model, ctx, call.params)
        finally:
            REQUEST_ID.reset(token)

    def succeed(self, call: Call, result: dict[str, Any]) -> WireResponse:
        """The serialised answer of a committed operation."""
        if call.operation.writes:
            self.on_write()
        try:
            response = call.protocol.serialize(call.op_model, result)
        except Exception as exc:
            response = self._error(call.protocol, call.request_id, exc)
        else:
            response.headers.append(("x-amzn-requestid", call.request_id))
        response.operation = (call.operation.service, call.operation.name)
        return response

    def fail(self, call: Call, exc: BaseException) -> WireResponse:
        """The error answer of an operation that raised (its transaction or savepoint rolled back)."""
        if isinstance(exc, IntegrityError):
            # Two requests raced to create the same thing; the loser hears what a sequential one would.
            exc = ServiceError("ConflictException", "The resource was changed by a concurrent request; retry.")
        response = self._error(call.protocol, call.request_id, exc)
        response.operation = (call.operation.service, call.operation.name)
        return response

    def _error(self, protocol: Protocol, request_id: str, exc: BaseException) -> WireResponse:
        if isinstance(exc, ServiceError):
            response = protocol.serialize_error(exc)
        elif isinstance(exc, AuthError):
            response = protocol.serialize_error(ServiceError(exc.code, exc.message), exc.status)
        else:
            log.error("request %s failed", request_id, exc_info=exc, extra={"request_id": request_id})
            internal = ServiceError("InternalServerException", "The request failed because of an internal error.")
            response = protocol.serialize_error(internal)
        response.headers.append(("x-amzn-requestid", request_id))
        return response

    def _may_be_cached(self, request: WireRequest) -> bool:
        if request.method == "GET":
            return True
        return request.headers.get("x-amz-target", "") in self._cacheable_targets

    def _service_of(self, request: WireRequest) -> tuple[str, Protocol]:
        target = request.headers.get("x-amz-target", "")
        prefix = target.partition(".")[0]
        if prefix in self.json_services:
            return self.json_services[prefix]
        return model.INCIDENTS, self.incidents

    def _prepare(
        self, service: str, protocol: Protocol, request: WireRequest, request_id: str, routed: list[str]
    ) -> Call | WireResponse:
        if request.oversize or len(request.body) > MAX_BODY_BYTES:
            raise validation_error(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        now_ms = self.clock.now_ms()
        signer = self.verifier.verify(
            method=request.method,
            raw_path=request.raw_path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
            expected_services=(protocol.service_model.signing_name,),
            now=datetime.datetime.fromtimestamp(now_ms / 1000, datetime.UTC),
        )
        cache_key: read_cache.Key | None = None
        cache_version = None
        if self.read_cache is not None and self._may_be_cached(request):
            # Checked only after the signature: a kept answer goes to the account that asked for it and no other.
            cache_key = (
                signer.account_id,
                signer.region,
                request.method,
                request.raw_path,
                request.query_string,
                request.headers.get("x-amz-target", ""),
                request.body,
            )
            cache_version, cached = self.read_cache.look_up(cache_key)
            if cached is not None:
                return read_cache.answered_again(cached, request_id)
        op_model, params = self._parse(protocol, request, routed)
        cleaned, failures = check_input(op_model.input_shape, params)
        if failures:
            raise validation_failures(failures)
        operation = self.operations.get((service, op_model.name))
        if operation is None:
            raise _unknown_operation(f"{service} {op_model.name} is not supported by this server.")
        caller = arns.caller(signer.account_id, self.settings.caller_name(signer.access_key_id))
        return Call(
            protocol,
            operation,
            op_model,
            cleaned,
            signer.account_id,
            caller,
            signer.region,
            request_id,
            now_ms,
            cache_key,
            cache_version,
        )

    def _parse(
        self, protocol: Protocol, request: WireRequest, routed: list[str]
    ) -> tuple[OperationModel, dict[str, Any]]:
        if isinstance(protocol, AwsJsonProtocol):
            if request.method != "POST" or request.raw_path != b"/":
                raise _unknown_operation("JSON protocol requests are POST /.")
            op_model = protocol.route(request.headers.get("x-amz-target", ""))
            if op_model is None:
                raise _unknown_operation(f"Unknown operation {request.headers.get('x-amz-target')!r}.")
            routed[0] = op_model.name
            return op_model, protocol.parse(op_model, request)
        found = protocol.route(request.method, request.raw_path)
        if found is None:
            path = request.raw_path.decode("latin-1")
            raise _unknown_operation(f"No operation matches {request.method} {path}.")
        op_model, labels = found
        routed[0] = op_model.name
        return op_model, protocol.parse(op_model, labels, request)


def _read_cache(db: Database, settings: Settings) -> read_cache.ReadCache | None:
    """The read cache on a SQLite file, when the settings give it room; PostgreSQL has no change counter to trust."""
    room = int(settings.read_cache_mib * 1024 * 1024)
    if db.sqlite_file is None or room <= 0:
        return None
    return read_cache.ReadCache(db.sqlite_file, room)


def _unknown_operation(message: str) -> ServiceError:
    # ValidationException is modelled by every service; ssm-contacts' shape also carries a Reason.
    return validation_error(message, Reason="UNKNOWN_OPERATION")
