"""One AWS API request from bytes to bytes: pick the service, authenticate, check, run through invoke, serialise.

`Dispatcher.answer` is the whole of it. Authentication, parsing and validation are pure CPU work and run on
the event loop. On SQLite, reads run there too (a local read takes microseconds and never waits for a writer
in WAL mode) and writes go to the group-commit writer thread. On PostgreSQL writes run on a pool of threads, and
so do reads when the database is across a network, where their waits are worth overlapping. With the database
on this machine a look-up's round trip is shorter than handing it to a thread and back (150 to 270 µs of CPU),
so look-ups run on the event loop; listings (the reads that page, with a NextToken), which can take
milliseconds a page, stay on the pool, where one does not hold up every other request (on the loop their p99
latency under load was five times the pool's).
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.model import OperationModel
from sqlalchemy.exc import IntegrityError

from incidentd.api import invoke
from incidentd.api.invoke import Call, Invoker
from incidentd.auth.principals import Principal
from incidentd.domain import ids
from incidentd.protocol import model
from incidentd.protocol.aws_json import AwsJsonProtocol
from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.protocol.rest_json import RestJsonProtocol
from incidentd.protocol.sigv4 import AuthError, Credential, SigV4Verifier
from incidentd.protocol.wire import MAX_BODY_BYTES, WireRequest, WireResponse
from incidentd.server import read_cache
from incidentd.server.writer import GroupCommitWriter

log = logging.getLogger("incidentd.request")

UNKNOWN_OPERATION = "unknown"

Protocol = RestJsonProtocol | AwsJsonProtocol


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond per request
class _Checked:
    """A request that passed authentication and the model's checks: its call, and how to answer it."""

    service: str
    protocol: Protocol
    call: Call
    # Where a cacheable answer may be kept: its key and the database version looked up before the read.
    cache_key: read_cache.Key | None = None
    cache_version: read_cache.Version | None = None


class Dispatcher:
    """Serves every AWS API incidentd speaks on one port."""

    def __init__(
        self,
        invoker: Invoker,
        credentials: dict[str, Credential],
        on_write: Callable[[], None] = lambda: None,
        threads: int = 8,
    ) -> None:
        self.invoker = invoker
        self.db = invoker.db
        self.clock = invoker.clock
        self.on_write = on_write
        self.incidents = RestJsonProtocol(model.service_model(model.INCIDENTS))
        self.json_services: dict[str, tuple[str, AwsJsonProtocol]] = {}
        for service in (model.CONTACTS, model.SSM):
            protocol = AwsJsonProtocol(model.service_model(service))
            self.json_services[protocol.target_prefix] = (service, protocol)
        self.verifier = SigV4Verifier(credentials.get)
        # Who each key acts as, made once per key: the principal depends only on the key's account and user name.
        self._principals: dict[str, Principal] = {}
        self.read_cache = _read_cache(invoker)
        # The JSON protocols name the operation in X-Amz-Target; restJson1 reads it from the path, and every
        # restJson1 GET is a read, so a GET may be in the cache and any other request that isn't named here
        # is not (a write never pays for a look-up).
        self._cacheable_targets = frozenset(
            f"{protocol.target_prefix}.{name}"
            for service, protocol in self.json_services.values()
            for (op_service, name), operation in invoker.operations.items()
            if op_service == service and operation.cacheable
        )
        embedded = self.db.dialect == "sqlite"
        self.writer = GroupCommitWriter(self.db) if embedded else None
        self._inline_reads = self.db.on_this_machine
        self._inline_listings = embedded
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="incidentd-request")

    async def answer(self, request: WireRequest) -> WireResponse:
        """The answer to one request, its error included; never raises."""
        checked = self._check(request)
        if isinstance(checked, WireResponse):
            return checked
        call = checked.call
        if call.operation.writes and self.writer is not None:
            try:
                result = await self.writer.submit(partial(self.invoker.execute, call))
            except Exception as exc:
                return self._failed(checked, exc)
            return self._succeeded(checked, result)
        if self.runs_on_the_loop(call.operation.writes, call.op_model):
            return self._run(checked)
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._run, checked)

    def runs_on_the_loop(self, writes: bool, op_model: OperationModel) -> bool:
        """Whether an operation runs on the event loop rather than on a thread of the pool (see the module)."""
        return not writes and self._inline_reads and (self._inline_listings or not _pages(op_model))

    def _run(self, checked: _Checked) -> WireResponse:
        """Run a checked request in a transaction of its own on the calling thread."""
        call = checked.call
        try:
            transaction = self.db.write if call.operation.writes else self.db.read
            with transaction() as conn:
                result = self.invoker.execute(call, conn)
        except Exception as exc:
            return self._failed(checked, exc)
        response = self._succeeded(checked, result)
        if checked.cache_key is not None and call.operation.cacheable and response.status == 200:
            assert self.read_cache is not None
            self.read_cache.keep(checked.cache_key, checked.cache_version, response)
        return response

    def _succeeded(self, checked: _Checked, result: dict[str, Any]) -> WireResponse:
        """The serialised answer of a committed operation."""
        call = checked.call
        if isinstance(result, invoke.Refused):  # committed, and still an error (a wrong code was counted)
            return self._failed(checked, result.error)
        if call.operation.writes:
            self.on_write()
        try:
            response = checked.protocol.serialize(call.op_model, result)
        except Exception as exc:
            response = self._error(checked.protocol, call.request_id, exc)
        else:
            response.headers.append(("x-amzn-requestid", call.request_id))
        response.operation = (call.operation.service, call.operation.name)
        return response

    def _failed(self, checked: _Checked, exc: BaseException) -> WireResponse:
        """The error answer of an operation that raised (its transaction or savepoint rolled back)."""
        if isinstance(exc, IntegrityError):
            exc = invoke.conflict(checked.service)
        call = checked.call
        response = self._error(checked.protocol, call.request_id, exc)
        response.operation = (call.operation.service, call.operation.name)
        return response

    def _error(self, protocol: Protocol, request_id: str, exc: BaseException) -> WireResponse:
        """A modelled error as its protocol serialises it; anything else is a bug, logged and answered with a 500."""
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

    def _check(self, request: WireRequest) -> _Checked | WireResponse:
        """Authenticate, route, parse and check: everything before the database. An error, or an answer from the
        read cache, is the response at once."""
        request_id = ids.random()
        service, protocol = self._service_of(request)
        # The operation is named once the request is routed; a refusal before that counts as "unknown".
        routed = [UNKNOWN_OPERATION]
        try:
            return self._checked_or_cached(service, protocol, request, request_id, routed)
        except Exception as exc:
            response = self._error(protocol, request_id, exc)
            response.operation = (service, routed[0])
            return response

    def _may_be_cached(self, request: WireRequest) -> bool:
        """Whether the request may be a cacheable read (a GET, or a cacheable JSON target): writes never look up."""
        if request.method == "GET":
            return True
        return request.headers.get("x-amz-target", "") in self._cacheable_targets

    def _service_of(self, request: WireRequest) -> tuple[str, Protocol]:
        """The service a request is for: a JSON service's X-Amz-Target prefix, else ssm-incidents' restJson1."""
        target = request.headers.get("x-amz-target", "")
        prefix = target.partition(".")[0]
        if prefix in self.json_services:
            return self.json_services[prefix]
        return model.INCIDENTS, self.incidents

    def _checked_or_cached(
        self, service: str, protocol: Protocol, request: WireRequest, request_id: str, routed: list[str]
    ) -> _Checked | WireResponse:
        """The checked call, or the read cache's answer to the same signed read; raises what refuses it."""
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
            # Checked only after the signature: a kept answer goes to the key that asked for it and no other (two
            # keys of one account may hold different policies, and a key's decisions change only with the data).
            cache_key = (
                signer.access_key_id,
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
        principal = self._principals.get(signer.access_key_id)
        if principal is None:
            principal = self.invoker.settings.principal(signer.access_key_id, signer.account_id)
            self._principals[signer.access_key_id] = principal
        call = self.invoker.check(
            service, op_model, params, principal, signer.region, now_ms=now_ms, request_id=request_id
        )
        return _Checked(service, protocol, call, cache_key, cache_version)

    def _parse(
        self, protocol: Protocol, request: WireRequest, routed: list[str]
    ) -> tuple[OperationModel, dict[str, Any]]:
        """The operation a request names and its input, parsed as its protocol binds it; routed[0] gets its name."""
        if isinstance(protocol, AwsJsonProtocol):
            if request.method != "POST" or request.raw_path != b"/":
                raise invoke.unknown_operation("JSON protocol requests are POST /.")
            op_model = protocol.route(request.headers.get("x-amz-target", ""))
            if op_model is None:
                raise invoke.unknown_operation(f"Unknown operation {request.headers.get('x-amz-target')!r}.")
            routed[0] = op_model.name
            return op_model, protocol.parse(op_model, request)
        found = protocol.route(request.method, request.raw_path)
        if found is None:
            path = request.raw_path.decode("latin-1")
            raise invoke.unknown_operation(f"No operation matches {request.method} {path}.")
        op_model, labels = found
        routed[0] = op_model.name
        return op_model, protocol.parse(op_model, labels, request)


@functools.cache
def _pages(op_model: OperationModel) -> bool:
    """Whether the operation reads a page of a listing: its input takes a pagination token."""
    members = op_model.input_shape.members if op_model.input_shape is not None else {}
    return any(name.lower() == "nexttoken" for name in members)


def _read_cache(invoker: Invoker) -> read_cache.ReadCache | None:
    """The read cache on a SQLite file, when the settings give it room; PostgreSQL has no change counter to trust."""
    room = int(invoker.settings.server.read_cache_mib * 1024 * 1024)
    if invoker.db.sqlite_file is None or room <= 0:
        return None
    return read_cache.ReadCache(invoker.db.sqlite_file, room)
