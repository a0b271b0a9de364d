"""Runbook jobs: a response plan's runbook start, each automation step, and aws:executeScript runs."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.api.context import RequestContext
from incidentd.api.incidents import events
from incidentd.api.incidents.related_items import add_item
from incidentd.domain import response
from incidentd.engine.jobs import JobContext, job_kind
from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import builtin, engine, launch, library, sandbox, selectors
from incidentd.runbooks.actions import FAILED, SUCCESS, Outcome
from incidentd.runbooks.actions import script as script_action
from incidentd.store import automations, incidents, queue
from incidentd.store.db import savepoint
from incidentd.store.tables import jobs

log = logging.getLogger("incidentd.runbooks")

START_FAILURE = "SSM Automation Execution Start Failure for Incident"  # aws-semantics §3.8
DEFAULT_REGION = "us-east-1"
HEARTBEAT_SECONDS = 10.0


def _region(ctx: JobContext) -> str:
    return str(getattr(ctx.settings, "region", None) or DEFAULT_REGION)


def _env(ctx: JobContext, conn: Connection, now_ms: int) -> engine.Env:
    """The engine's view of a job: its transaction (or the effect's own), with follow-ups recorded in it."""
    account = ctx.job.account_id

    def enqueue(kind: str, payload: dict[str, Any], delay_ms: int) -> None:
        queue.enqueue(conn, account, kind, payload, now_ms + delay_ms, now_ms)

    return engine.Env(conn, ctx.db, account, now_ms, ctx.settings, enqueue)


@job_kind(engine.STEP_JOB)
def runbook_step(ctx: JobContext) -> None:
    """Run the current step of an execution (or wake it, or time it out) unless the job is stale."""
    payload = ctx.job.payload
    env = _env(ctx, ctx.conn, ctx.now_ms)
    engine.run_step(env, str(payload["executionId"]), int(payload["token"]), bool(payload.get("timeout")))


@job_kind(engine.SCRIPT_JOB, effect=True)
def runbook_script(ctx: JobContext) -> None:
    """Run an aws:executeScript step's handler in the sandbox, outside any transaction, then record its outcome."""
    execution_id, token = str(ctx.job.payload["executionId"]), int(ctx.job.payload["token"])
    with ctx.read() as conn:
        found = engine.current(_env(ctx, conn, ctx.now_ms), execution_id, token)
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
    )
    with ctx.transaction() as conn:
        env = _env(ctx, conn, ctx.current_ms())
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
    from incidentd.engine.worker import LEASE_MS  # the worker imports this package: import it late

    now = ctx.current_ms()
    job = ctx.job
    with ctx.db.write() as conn:
        # A script may outlast the lease; without renewal another worker would run the same script again.
        conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job.id, jobs.c.lease_owner == job.lease_owner, jobs.c.state == queue.RUNNING)
            .values(lease_expires_ms=now + LEASE_MS)
        )
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
    region = _region(ctx)
    role = str(automation["roleArn"])
    # The timeline shows the plan's role as the one who changed the incident: Incident Manager acts through it.
    request = RequestContext(account, role, region, str(uuid.uuid4()), ctx.now_ms, ctx.db, ctx.conn, ctx.settings)
    env = _env(ctx, ctx.conn, ctx.now_ms)
    name, version = str(automation["documentName"]), automation.get("documentVersion")
    try:
        given = _parameters(env, region, automation, record["arn"], list(payload.get("involvedResources", [])))
        with savepoint(ctx.conn):
            execution_id = launch.start(env, region, name, version, given, role)
    except ServiceError as error:
        log.warning("incident %s: runbook %s did not start: %s", record["arn"], name, error.message)
        _record_failure(request, record, automation, region, f"{error.code}: {error.message}")
        return
    _record_start(request, record, name, engine.execution_arn(region, account, execution_id))


def _parameters(
    env: engine.Env, region: str, automation: dict[str, Any], incident_arn: str, involved: list[str]
) -> dict[str, list[str]]:
    """The plan's parameters with its dynamic ones filled in from the incident (aws-semantics §3.2, §3.3)."""
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


def _record_start(request: RequestContext, record: dict[str, Any], name: str, execution_arn: str) -> None:
    """automationExecutions, an AUTOMATION related item and an "SSM Incident Record Update" event, together."""
    updated = copy.deepcopy(record)
    updated["automationExecutions"] = [*record.get("automationExecutions", []), {"ssmExecutionArn": execution_arn}]
    item = {"identifier": {"type": "AUTOMATION", "value": {"arn": execution_arn}}, "title": name}
    item_id = add_item(request, record["arn"], item, log=False)
    updated.update(lastModifiedTime=request.now, lastModifiedBy=request.caller_arn)
    incidents.save(request.conn, request.account_id, updated)
    changes = [
        {"attributeName": "automationExecutions", "newValue": _json(updated["automationExecutions"])},
        {"attributeName": "relatedItems", "newValue": _json({"itemToAdd": item})},
    ]
    events.record_update(request, updated, changes, references=[{"relatedItemId": item_id}])


def _record_failure(
    request: RequestContext, record: dict[str, Any], automation: dict[str, Any], region: str, reason: str
) -> None:
    """The "SSM Automation Execution Start Failure for Incident" event, referring to an AUTOMATION item."""
    name = str(automation["documentName"])
    owner = "" if builtin.is_builtin(name) else request.account_id
    document_arn = library.document_arn(region, owner, name)
    item = {"identifier": {"type": "AUTOMATION", "value": {"arn": document_arn}}, "title": name}
    item_id = add_item(request, record["arn"], item, log=False)
    data = {
        "documentName": name,
        "documentVersion": automation.get("documentVersion"),
        "roleArn": automation.get("roleArn"),
        "failureReason": reason,
    }
    references = [{"relatedItemId": item_id}, {"resource": record["arn"]}]
    events.write(request, record["arn"], START_FAILURE, _json({k: v for k, v in data.items() if v}), references)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
