"""One request from bytes to bytes: pick the service, authenticate, parse, validate, run, serialise."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from typing import Any

from botocore.model import OperationModel
from sqlalchemy.exc import IntegrityError

from incidentd.api import registry, runner
from incidentd.api.context import RequestContext
from incidentd.clock import Clock
from incidentd.config import Settings
from incidentd.domain import arns
from incidentd.protocol import model
from incidentd.protocol.aws_json import AwsJsonProtocol
from incidentd.protocol.errors import ServiceError, validation_error, validation_failures
from incidentd.protocol.rest_json import RestJsonProtocol
from incidentd.protocol.sigv4 import AuthError, Credential, SigV4Verifier
from incidentd.protocol.validate import check_input
from incidentd.protocol.wire import MAX_BODY_BYTES, WireRequest, WireResponse
from incidentd.store.db import Database

log = logging.getLogger("incidentd.request")

Protocol = RestJsonProtocol | AwsJsonProtocol


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

    def handle(self, request: WireRequest) -> WireResponse:
        """Answer one request; never raises."""
        request_id = str(uuid.uuid4())
        service, protocol = self._service_of(request)
        try:
            response = self._handle(service, protocol, request, request_id)
        except ServiceError as error:
            response = protocol.serialize_error(error)
        except AuthError as error:
            response = protocol.serialize_error(ServiceError(error.code, error.message), error.status)
        except Exception:
            log.exception("request %s failed", request_id)
            error = ServiceError("InternalServerException", "The request failed because of an internal error.")
            response = protocol.serialize_error(error)
        response.headers.append(("x-amzn-requestid", request_id))
        return response

    def _service_of(self, request: WireRequest) -> tuple[str, Protocol]:
        target = request.headers.get("x-amz-target", "")
        prefix = target.partition(".")[0]
        if prefix in self.json_services:
            return self.json_services[prefix]
        return model.INCIDENTS, self.incidents

    def _handle(self, service: str, protocol: Protocol, request: WireRequest, request_id: str) -> WireResponse:
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
            now=datetime.datetime.fromtimestamp(now_ms / 1000, datetime.timezone.utc),
        )
        op_model, params = self._parse(protocol, request)
        cleaned, failures = check_input(op_model.input_shape, params)
        if failures:
            raise validation_failures(failures)
        operation = self.operations.get((service, op_model.name))
        if operation is None:
            raise _unknown_operation(f"{service} {op_model.name} is not supported by this server.")
        user = self.settings.caller_name(signer.access_key_id)
        result = self._run(operation, op_model, cleaned, signer.account_id, user, signer.region, request_id, now_ms)
        return protocol.serialize(op_model, result)

    def _parse(self, protocol: Protocol, request: WireRequest) -> tuple[OperationModel, dict[str, Any]]:
        if isinstance(protocol, AwsJsonProtocol):
            if request.method != "POST" or request.raw_path != b"/":
                raise _unknown_operation("JSON protocol requests are POST /.")
            op_model = protocol.route(request.headers.get("x-amz-target", ""))
            if op_model is None:
                raise _unknown_operation(f"Unknown operation {request.headers.get('x-amz-target')!r}.")
            return op_model, protocol.parse(op_model, request)
        routed = protocol.route(request.method, request.raw_path)
        if routed is None:
            path = request.raw_path.decode("latin-1")
            raise _unknown_operation(f"No operation matches {request.method} {path}.")
        op_model, labels = routed
        return op_model, protocol.parse(op_model, labels, request)

    def _run(
        self, operation: registry.Operation, op_model: OperationModel, params: dict[str, Any],
        account_id: str, user: str, region: str, request_id: str, now_ms: int,
    ) -> dict[str, Any]:
        transaction = self.db.write if operation.writes else self.db.read
        try:
            with transaction() as conn:
                ctx = RequestContext(
                    account_id=account_id, caller_arn=arns.caller(account_id, user), region=region,
                    request_id=request_id, now_ms=now_ms, db=self.db, conn=conn, settings=self.settings,
                )
                result = runner.run(operation, op_model, ctx, params)
        except IntegrityError:
            # Two requests raced to create the same thing; the loser hears what a sequential one would.
            raise ServiceError("ConflictException", "The resource was changed by a concurrent request; retry.") from None
        if operation.writes:
            self.on_write()
        return result


def _unknown_operation(message: str) -> ServiceError:
    # ValidationException is modelled by every service; ssm-contacts' shape also carries a Reason.
    return validation_error(message, Reason="UNKNOWN_OPERATION")
