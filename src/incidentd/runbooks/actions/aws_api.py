"""aws:executeAwsApi against incidentd's own services, as the execution's role, through invoke like any caller."""

from __future__ import annotations

import functools
import logging
from typing import Any

from botocore import xform_name

from incidentd.auth.principals import Principal
from incidentd.config.access import AccessSettings
from incidentd.protocol import model
from incidentd.protocol.errors import ServiceError
from incidentd.protocol.serialize import to_wire
from incidentd.runbooks import selectors, timestamps
from incidentd.runbooks.actions import SUCCESS, Outcome, StepCall, failed

log = logging.getLogger("incidentd.runbooks")

# The services this server implements; a call to any other AWS service can't be made from here.
SERVICES = (model.INCIDENTS, model.CONTACTS, model.SSM)
_CONTROL_INPUTS = ("Service", "Api")


@functools.cache
def _operations(service: str) -> dict[str, str]:
    """Operation names by themselves and by their boto3 snake_case spelling."""
    names = model.service_model(service).operation_names
    return {**{xform_name(name): name for name in names}, **{name: name for name in names}}


def acting_principal(account_id: str, access: AccessSettings, execution: dict[str, Any]) -> Principal:
    """Who the steps act as: the execution's role with its policies, else the starter with theirs."""
    caller = str(execution["_caller"])
    role = execution.get("_role")
    policies = access.for_role(role) if role else access.for_identity(caller)
    return Principal(account_id, caller, policies)


def run(call: StepCall) -> Outcome:
    """Call the operation through invoke, in a savepoint of the step's transaction, and select the outputs."""
    service = str(call.inputs["Service"]).lower()
    if service not in SERVICES:
        return failed(
            f"aws:executeAwsApi can call only incidentd's own services ({', '.join(SERVICES)}); "
            f"'{service}' is not one of them."
        )
    name = _operations(service).get(str(call.inputs["Api"]))
    if name is None:
        return failed(f"{service} has no operation '{call.inputs['Api']}' that incidentd serves.")
    env = call.env
    if env.invoke is None:
        return failed("aws:executeAwsApi steps run in the job engine, which calls the operation.")
    op_model = model.operation(service, name)
    params = {key: value for key, value in call.inputs.items() if key not in _CONTROL_INPUTS}
    # A runbook writes times as text ({{ global:DATE_TIME }}, ISO 8601), as boto3 accepts them; the model's
    # checks take them as they come off the wire.
    params = timestamps.to_wire(op_model.input_shape, params)
    principal = acting_principal(env.account_id, env.settings.access, call.execution)
    try:
        # A failed call leaves no half-done writes behind (a savepoint), as a failed request leaves none.
        result = env.invoke(
            service, name, params, principal, region=str(call.execution["_region"]), conn=env.conn, now_ms=env.now_ms
        )
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
