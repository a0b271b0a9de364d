"""aws:executeAwsApi against incidentd's own services, as the execution's role, through the registered handlers."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any

from botocore import xform_name
from botocore.model import OperationModel

from incidentd.api import registry, runner
from incidentd.api.context import RequestContext
from incidentd.protocol import model
from incidentd.protocol.errors import ServiceError
from incidentd.protocol.serialize import to_wire
from incidentd.protocol.validate import check_input
from incidentd.runbooks import selectors, timestamps
from incidentd.runbooks.actions import SUCCESS, Outcome, StepCall, failed
from incidentd.store.db import savepoint

log = logging.getLogger("incidentd.runbooks")

# The services this server implements; a call to any other AWS service can't be made from here.
SERVICES = (model.INCIDENTS, model.CONTACTS, model.SSM)
_CONTROL_INPUTS = ("Service", "Api")


@functools.cache
def _operations(service: str) -> dict[str, str]:
    """Operation names by themselves and by their boto3 snake_case spelling."""
    names = model.service_model(service).operation_names
    return {**{xform_name(name): name for name in names}, **{name: name for name in names}}


def run(call: StepCall) -> Outcome:
    """Validate the inputs against the operation's model, run its handler in a savepoint, select the outputs."""
    service = str(call.inputs["Service"]).lower()
    if service not in SERVICES:
        return failed(
            f"aws:executeAwsApi can call only incidentd's own services ({', '.join(SERVICES)}); "
            f"'{service}' is not one of them."
        )
    name = _operations(service).get(str(call.inputs["Api"]))
    operation = registry.load_all().get((service, name)) if name else None
    if name is None or operation is None:
        return failed(f"{service} has no operation '{call.inputs['Api']}' that incidentd serves.")
    op_model = model.operation(service, name)
    params = {key: value for key, value in call.inputs.items() if key not in _CONTROL_INPUTS}
    # A runbook writes times as text ({{ global:DATE_TIME }}, ISO 8601), as boto3 accepts them; the handlers
    # and the model's checks take them as they come off the wire.
    params = timestamps.to_wire(op_model.input_shape, params)
    cleaned, failures = check_input(op_model.input_shape, params)
    if failures:
        return failed(f"ValidationException: {'; '.join(failures)}")
    try:
        result = _call(call, operation, op_model, cleaned)
    except ServiceError as error:
        return failed(f"{error.code}: {error.message}")
    except Exception:
        # A fault in a handler is the server's, not the runbook's: the step fails as a 5xx would, and the log says why.
        log.exception("aws:executeAwsApi %s %s failed", service, name)
        return failed(f"InternalServerException: {service} {name} failed inside incidentd; see the server log.")
    response = to_wire(op_model.output_shape, result) if op_model.output_shape is not None else {}
    try:
        outputs = selectors.outputs(call.definition.get("outputs", []), response)
    except selectors.SelectorError as error:
        return failed(str(error))
    return Outcome(SUCCESS, outputs=outputs)


def _call(call: StepCall, operation: registry.Operation, op_model: OperationModel, params: dict[str, Any]) -> Any:
    env = call.env
    ctx = RequestContext(
        account_id=env.account_id,
        caller_arn=str(call.execution["_caller"]),
        region=str(call.execution["_region"]),
        request_id=str(uuid.uuid4()),
        now_ms=env.now_ms,
        db=env.db,
        conn=env.conn,
        settings=env.settings,
    )
    # A failed call must leave no half-done writes behind, as a failed request leaves none.
    with savepoint(env.conn):
        return runner.run(operation, op_model, ctx, params)
