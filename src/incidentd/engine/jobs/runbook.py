"""Runbook jobs: a response plan's runbook start, each automation step, and aws:executeScript runs."""

from __future__ import annotations

import logging
from typing import Any

from incidentd.auth.principals import Principal
from incidentd.domain import response
from incidentd.engine.jobs import JobContext, job_kind
from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import builtin, engine, launch, library, sandbox, selectors
from incidentd.runbooks.actions import FAILED, SUCCESS, Outcome
from incidentd.runbooks.actions import script as script_action
from incidentd.services import incidents as incident_service
from incidentd.store import automations, incidents, queue
from incidentd.store.db import savepoint
from incidentd.store.unit import Unit

log = logging.getLogger("incidentd.runbooks")

HEARTBEAT_SECONDS = 10.0


def _env(ctx: JobContext, unit: Unit) -> engine.Env:
    """The engine's view of a job: its unit of work (or the effect's own), and invoke for its API calls."""
    return engine.Env.on(unit, ctx.settings, ctx.runtime.invoke)


@job_kind(engine.STEP_JOB)
def runbook_step(ctx: JobContext) -> None:
    """Run the current step of an execution (or wake it, or time it out) unless the job is stale."""
    payload = ctx.job.payload
    env = _env(ctx, ctx.unit)
    engine.run_step(env, str(payload["executionId"]), int(payload["token"]), bool(payload.get("timeout")))


@job_kind(engine.SCRIPT_JOB, effect=True)
def runbook_script(ctx: JobContext) -> None:
    """Run an aws:executeScript step's handler in the sandbox, outside any transaction, then record its outcome."""
    execution_id, token = str(ctx.job.payload["executionId"]), int(ctx.job.payload["token"])
    with ctx.read() as conn:
        found = engine.current(_env(ctx, Unit(conn, ctx.db, ctx.job.account_id, ctx.now_ms)), execution_id, token)
    if found is None:
        return
    execution, step, definition = found
    if step.get("Action") != "aws:executeScript" or step.get("StepStatus") != "InProgress":
        return
    inputs = step["_inputs"]
    context = {
        "automation:EXECUTION_ID": execution_id,
        "automation:DOCUMENT_NAME": execution["DocumentName"],
        "global:ACCOUNT_ID": ctx.job.account_id,
        "global:REGION": execution["_region"],
    }
    result = sandbox.run(
        str(inputs["Script"]),
        str(inputs["Handler"]),
        inputs.get("InputPayload", {}),
        context,
        script_action.timeout_seconds(definition),
        keep_going=lambda: _heartbeat(ctx, execution_id, token),
        check_every=HEARTBEAT_SECONDS,
        settings=ctx.settings.runbooks,
    )
    with ctx.transaction() as conn:
        env = _env(ctx, ctx.unit_in(conn))
        found = engine.current(env, execution_id, token)
        if found is not None:
            execution, step, definition = found
            if result.output:
                step["Response"] = result.output
            engine.apply(env, execution, step, definition, script_outcome(result, definition))
        ctx.finish(conn)


def script_outcome(result: sandbox.ScriptResult, definition: dict[str, Any]) -> Outcome:
    """A script's return value as the step's Payload output and its declared outputs, or its failure."""
    if not result.ok:
        return Outcome(FAILED, message=f"The script failed: {result.error}")
    try:
        declared = selectors.outputs(definition.get("outputs", []), {"Payload": result.value})
    except selectors.SelectorError as error:
        return Outcome(FAILED, message=str(error))
    payload = {} if result.value is None else {"Payload": result.value}
    return Outcome(SUCCESS, outputs={**payload, **declared})


def _heartbeat(ctx: JobContext, execution_id: str, token: int) -> bool:
    """Keep the script job's lease while the script runs; False once the execution has moved on (stop it)."""
    job = ctx.job
    with ctx.db.write() as conn:
        # A script may outlast the lease; without renewal another worker would run the same script again.
        queue.renew(conn, job, ctx.current_ms() + ctx.settings.worker.lease_ms)
        execution = automations.get(conn, job.account_id, execution_id)
    return (
        execution is not None
        and execution["_token"] == token
        and execution["AutomationExecutionStatus"] in engine.ACTIVE
    )


# --- The response plan's runbook --------------------------------------------------------------------------------


@job_kind(response.RUNBOOK)
def start_runbook(ctx: JobContext) -> None:
    """Start the plan's runbook for a new incident and record it on the incident, or record why it could not start."""
    payload = ctx.job.payload
    account = ctx.job.account_id
    record = incidents.get(ctx.conn, account, payload["incidentArn"])
    if record is None:
        return  # deleted before the runbook could start: nothing to record it on
    automation = payload["ssmAutomation"]
    region = ctx.settings.region
    role = str(automation["roleArn"])
    unit = ctx.unit
    env = _env(ctx, unit)
    name, version = str(automation["documentName"]), automation.get("documentVersion")
    try:
        given = _parameters(env, region, automation, record["arn"], list(payload.get("involvedResources", [])))
        with savepoint(ctx.conn):
            execution_id = launch.start(env, region, name, version, given, role)
    except ServiceError as error:
        log.warning("incident %s: runbook %s did not start: %s", record["arn"], name, error.message)
        owner = "" if builtin.is_builtin(name) else account
        document_arn = library.document_arn(region, owner, name)
        reason = f"{error.code}: {error.message}"
        incident_service.runbook_failed_to_start(unit, record, automation, document_arn, reason)
        return
    # The timeline shows the plan's role as the one who changed the incident: Incident Manager acts through it.
    execution_arn = engine.execution_arn(region, account, execution_id)
    incident_service.runbook_started(unit, Principal(account, role), record, name, execution_arn)


def _parameters(
    env: engine.Env, region: str, automation: dict[str, Any], incident_arn: str, involved: list[str]
) -> dict[str, list[str]]:
    """The plan's parameters with its dynamic ones filled in from the incident (aws-behaviour §3.2, §3.3)."""
    given: dict[str, list[str]] = {k: list(v) for k, v in automation.get("parameters", {}).items()}
    dynamic = automation.get("dynamicParameters", {})
    types = launch.parameter_types(env, region, str(automation["documentName"]), automation.get("documentVersion"))
    for name, value in dynamic.items():
        variable = value.get("variable")
        declared = (types or {}).get(name)
        if variable == "INCIDENT_RECORD_ARN":
            if declared not in (None, "String"):
                raise _bad_parameter(f"INCIDENT_RECORD_ARN can fill only a String parameter; {name} is {declared}.")
            given[name] = [incident_arn]
        elif variable == "INVOLVED_RESOURCES":
            if declared not in (None, "StringList"):
                raise _bad_parameter(f"INVOLVED_RESOURCES can fill only a StringList parameter; {name} is {declared}.")
            given[name] = involved
        else:
            raise _bad_parameter(f"Dynamic parameter {name} names an unknown variable {variable!r}.")
    return given


def _bad_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidAutomationExecutionParametersException", message)
