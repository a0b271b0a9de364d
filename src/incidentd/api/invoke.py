"""The one road every action takes: an API request, an alert, a runbook step.

`Invoker.invoke` takes an operation, its input and the principal; it validates the input against the model,
authorizes it for the principal (api/authorize.py), runs the handler in a unit of work with onboarding checks
and idempotent replay, and returns the output or raises the modelled error. The HTTP dispatcher takes the same
road in its two halves, `check` on the event loop and `execute` on whichever thread holds the transaction, so
that a bad request never waits for one.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from incidentd.api import registry
from incidentd.api.authorize import authorize
from incidentd.api.context import CallContext
from incidentd.auth.principals import Principal
from incidentd.clock import Clock
from incidentd.config import Settings
from incidentd.domain import ids
from incidentd.ops.logs import REQUEST_ID
from incidentd.protocol import model
from incidentd.protocol.errors import RefusalAfterWrites, ServiceError, validation_error, validation_failures
from incidentd.protocol.validate import check_input
from incidentd.store import idempotency, replication
from incidentd.store.db import Database, savepoint


class Refused(dict[str, Any]):
    """What execute returns for a RefusalAfterWrites: the transaction commits, then the caller raises the error."""

    def __init__(self, error: ServiceError) -> None:
        super().__init__()
        self.error = error


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond per request
class Call:
    """An operation whose input passed the model's checks, ready to run for a principal."""

    operation: registry.Operation
    op_model: OperationModel
    params: dict[str, Any]
    principal: Principal
    region: str
    request_id: str
    now_ms: int


class Invoker:
    """Runs operations against one database with one set of settings."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.operations = registry.load_all()
        self.secure_transport = settings.access.secure_transport

    def invoke(
        self,
        service: str,
        name: str,
        params: dict[str, Any],
        principal: Principal,
        *,
        region: str,
        conn: Connection | None = None,
        now_ms: int | None = None,
    ) -> dict[str, Any]:
        """Check and run one operation; its output, or the ServiceError the model gives for what went wrong.

        With a connection, it runs in a savepoint of that transaction, so a failure leaves no half-done writes
        and the caller's transaction goes on; otherwise in a transaction of its own.
        """
        op_model = _operation_model(service, name)
        call = self.check(service, op_model, params, principal, region, now_ms=now_ms)
        if conn is not None:
            with savepoint(conn):
                result = self.execute(call, conn)
        else:
            transaction = self.db.write if call.operation.writes else self.db.read
            with transaction() as own:
                result = self.execute(call, own)
        if isinstance(result, Refused):
            raise result.error
        return result

    def check(
        self,
        service: str,
        op_model: OperationModel,
        params: dict[str, Any],
        principal: Principal,
        region: str,
        *,
        now_ms: int | None = None,
        request_id: str | None = None,
    ) -> Call:
        """The call, once its input passed every constraint of the model; a ValidationException otherwise."""
        cleaned, failures = check_input(op_model.input_shape, params)
        if failures:
            raise validation_failures(failures)
        operation = self.operations.get((service, op_model.name))
        if operation is None:
            raise unknown_operation(f"{service} {op_model.name} is not supported by this server.")
        return Call(
            operation,
            op_model,
            cleaned,
            principal,
            region,
            request_id or ids.random(),
            self.clock.now_ms() if now_ms is None else now_ms,
        )

    def execute(self, call: Call, conn: Connection) -> dict[str, Any]:
        """Run a checked call in the given transaction: onboarding, idempotent replay, then the handler."""
        principal = call.principal
        ctx = CallContext(
            conn, self.db, principal.account_id, call.now_ms, principal, call.region, call.request_id, self.settings
        )
        # Whatever the handler logs carries the request id, on whichever thread it runs.
        token = REQUEST_ID.set(call.request_id)
        try:
            operation = call.operation
            ctx.account_id = authorize(
                ctx, principal, operation.service, operation.name, call.params, call.region, self.secure_transport
            )
            return _handle(operation, call.op_model, ctx, call.params)
        except RefusalAfterWrites as refusal:
            # Its writes (a wrong code counted) are kept: the caller commits, then answers with the error.
            return Refused(refusal)
        except IntegrityError:
            # Two calls raced to create the same thing; the loser hears what a sequential one would.
            raise conflict(call.operation.service) from None
        finally:
            REQUEST_ID.reset(token)


def unknown_operation(message: str) -> ServiceError:
    """The refusal of an operation this server does not serve."""
    # ValidationException is modelled by every service; ssm-contacts' shape also carries a Reason.
    return validation_error(message, Reason="UNKNOWN_OPERATION")


def conflict(service: str) -> ServiceError:
    """What the loser of two requests racing to create the same thing hears: what a sequential one would."""
    # ssm-contacts' ConflictException requires ResourceId and ResourceType; the race leaves neither known.
    members = {"ResourceId": "", "ResourceType": ""} if service == model.CONTACTS else {}
    return ServiceError("ConflictException", "The resource was changed by a concurrent request; retry.", **members)


def _operation_model(service: str, name: str) -> OperationModel:
    """The model of an operation by its service and name; the refusal of one the services do not have."""
    try:
        return model.operation(service, name)
    except Exception:  # botocore's UnknownServiceError or OperationNotFoundError
        raise unknown_operation(f"{service} has no operation {name!r}.") from None


def _handle(
    operation: registry.Operation, op_model: OperationModel, ctx: CallContext, params: dict[str, Any]
) -> dict[str, Any]:
    """The onboarding check, then the handler, its answer kept under the client token when there is one."""
    if operation.needs_onboarding and operation.name.startswith("Get"):
        return _get(operation, ctx, params)
    if operation.needs_onboarding and not replication.exists(ctx.conn, ctx.account_id):
        raise not_onboarded(operation.service)
    token_name = _token_member(op_model)
    token = params.get(token_name) if token_name else None
    if not token:
        return operation.handler(ctx, params) or {}
    request_hash = _hash({k: v for k, v in params.items() if k != token_name})
    # Tokens belong to the caller's account, also when it acts on a plan another account shares with it: one
    # account's token never replays another's answer.
    caller = ctx.principal.account_id
    if not idempotency.claim(ctx.conn, caller, operation.name, token, request_hash, ctx.now_ms):
        earlier = idempotency.previous(ctx.conn, caller, operation.name, token)
        if earlier is not None and earlier[0] == request_hash:
            replayed: dict[str, Any] = earlier[1] or {}
            return replayed
        # ssm-contacts' ConflictException requires ResourceId and ResourceType; the resource here is the token.
        members = (
            {"ResourceId": token, "ResourceType": "IDEMPOTENCY_TOKEN"} if operation.service == model.CONTACTS else {}
        )
        raise ServiceError(
            "ConflictException",
            f"The client token '{token}' was already used with different parameters.",
            **members,
        )
    result = operation.handler(ctx, params) or {}
    idempotency.remember(ctx.conn, caller, operation.name, token, result)
    return result


def _get(operation: registry.Operation, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """A Get finds nothing in an account that never onboarded, so the check waits until something is missing."""
    try:
        return operation.handler(ctx, params) or {}
    except ServiceError as error:
        if error.code == "ResourceNotFoundException" and not replication.exists(ctx.conn, ctx.account_id):
            raise not_onboarded(operation.service) from None
        raise


def not_onboarded(service: str) -> ServiceError:
    """The error for an account that has no replication set yet (aws-behaviour §3.1, §4.1)."""
    # For ssm-contacts AWS's wording is known; for ssm-incidents it is not (§7.1), so the message says what to do.
    if service == model.CONTACTS:
        return ServiceError("ValidationException", "Invalid value provided - Account not found for the request")
    return ServiceError(
        "ValidationException",
        "This account has no replication set. Create one with CreateReplicationSet before using Incident Manager.",
    )


@functools.cache  # botocore makes each operation's model once, so the look-up is made once per operation
def _token_member(op_model: OperationModel) -> str | None:
    """The input member the model marks as the idempotency token, if any."""
    shape = op_model.input_shape
    members = shape.members.items() if shape is not None else ()
    return next((str(name) for name, member in members if member.metadata.get("idempotencyToken")), None)


def _hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=repr).encode()).hexdigest()
