"""The execution state machine: entering, running and finishing steps, signals and stops.

Each step runs in a durable job ("runbook.step") that carries the execution's fencing token: any change of course
(a signal, a stop, the next step) takes a new token, so a job scheduled before it finds itself stale and does nothing.
"""

from __future__ import annotations

import contextvars
import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from incidentd.config import Settings
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import interpolate, parameters
from incidentd.runbooks.actions import FAILED, SCRIPT, SLEEPING, SUCCESS, WAITING, Outcome, StepCall, manual, registry
from incidentd.services.invoke import Invoke
from incidentd.store import automations
from incidentd.store.unit import Unit

STEP_JOB = "runbook.step"
SCRIPT_JOB = "runbook.script"
TERMINAL = ("Success", "Failed", "Cancelled", "TimedOut")
ACTIVE = ("InProgress", "Waiting")
# Started beyond the account's concurrent executions: waits, without steps, until a running one ends.
PENDING = "Pending"

# The execution whose step is running on this thread (account, id, depth): an execution its step starts through
# aws:executeAwsApi is one level deeper. A step's call runs on the step's own thread, inside the step's transaction.
_RUNNING_STEP: contextvars.ContextVar[tuple[str, str, int] | None] = contextvars.ContextVar(
    "incidentd_running_step", default=None
)


@dataclass(slots=True)
class Env(Unit):
    """What the engine needs from the request or job it runs in: its unit of work, the settings, and invoke."""

    settings: Settings
    # How aws:executeAwsApi steps call operations; steps run in the worker, whose composition root provides it.
    invoke: Invoke | None = None

    @classmethod
    def on(cls, unit: Unit, settings: Settings, invoke: Invoke | None = None) -> Env:
        """The engine's view of a unit of work."""
        return cls(unit.conn, unit.db, unit.account_id, unit.now_ms, settings, invoke)


def execution_arn(region: str, account: str, execution_id: str) -> str:
    """The ARN Incident Manager records for an execution (automationExecutions[].ssmExecutionArn)."""
    return f"arn:{arns.PARTITION}:ssm:{region}:{account}:automation-execution/{execution_id}"


def start(
    env: Env,
    region: str,
    name: str,
    version: str,
    doc: dict[str, Any],
    values: dict[str, Any],
    executed_by: str,
    caller: str,
    tags: list[dict[str, str]] | None = None,
    role_arn: str | None = None,
) -> str:
    """Record a new execution and schedule its first step; its id. caller is the ARN steps act as, role_arn the
    IAM role behind it (None when steps act as the starter).

    Beyond the account's concurrent executions in the region the execution is Pending until one ends; beyond the
    queue, or deeper than [automation] max_depth below the execution whose step starts it, it is refused.
    """
    quota = env.settings.automation
    parent = _RUNNING_STEP.get()
    depth = parent[2] + 1 if parent is not None and parent[0] == env.account_id else 0
    if depth > quota.max_depth:
        raise _limit_exceeded(
            f"An execution started by another execution may be at most {quota.max_depth} deep; "
            f"{name} would be {depth} deep (started by {parent[1] if parent else ''})."
        )
    # Two starts at once must not both take the last free slot (PostgreSQL; SQLite has one writer anyway).
    env.lock(f"automation-quota:{env.account_id}:{region}")
    live = automations.live_counts(env.conn, env.account_id, region)
    running = live.get("InProgress", 0) + live.get("Waiting", 0)
    queued = live.get(PENDING, 0)
    waits = running >= quota.concurrent_executions
    if waits and queued >= quota.queued_executions:
        raise _limit_exceeded(
            f"The account has {running} running and {queued} queued automation executions in {region}, its quota "
            f"({quota.concurrent_executions} running, {quota.queued_executions} queued); start it when one ends."
        )
    execution_id = str(uuid.uuid4())
    now = env.now_ms / 1000
    execution: dict[str, Any] = {
        "AutomationExecutionId": execution_id,
        "DocumentName": name,
        "DocumentVersion": version,
        "ExecutionStartTime": now,
        "AutomationExecutionStatus": "InProgress",
        "Parameters": parameters.to_wire(doc.get("parameters", {}), values),
        "Outputs": {},
        "Mode": "Auto",
        "ExecutedBy": executed_by,
        "AutomationType": "Local",
        "Tags": tags or [],
        "_document": doc,
        "_values": values,
        "_outputs": {},
        "_region": region,
        "_caller": caller,
        "_role": role_arn,
        "_token": 0,
        "_seq": 0,
        "_failedCritical": False,
        "_depth": depth,
    }
    if waits:
        execution["AutomationExecutionStatus"] = PENDING
        automations.insert(env.conn, env.account_id, region, execution, env.now_ms)
        return execution_id
    automations.insert(env.conn, env.account_id, region, execution, env.now_ms)
    _enter(env, execution, doc["mainSteps"][0])
    return execution_id


def _limit_exceeded(message: str) -> ServiceError:
    return ServiceError("AutomationExecutionLimitExceededException", message)


def _start_next_pending(env: Env, region: str) -> None:
    """A running execution ended: the one that has waited longest for its slot starts, if the quota allows."""
    env.lock(f"automation-quota:{env.account_id}:{region}")
    live = automations.live_counts(env.conn, env.account_id, region)
    if not live.get(PENDING) or live.get("InProgress", 0) + live.get("Waiting", 0) >= (
        env.settings.automation.concurrent_executions
    ):
        return
    waiting = automations.oldest_pending(env.conn, env.account_id, region)
    if waiting is not None:
        _enter(env, waiting, waiting["_document"]["mainSteps"][0])


def variables(env: Env, execution: dict[str, Any]) -> dict[str, Any]:
    """Everything a {{ }} reference can name in this execution."""
    moment = datetime.datetime.fromtimestamp(env.now_ms / 1000, datetime.UTC)
    return {
        **execution["_values"],
        **execution["_outputs"],
        "automation:EXECUTION_ID": execution["AutomationExecutionId"],
        "automation:DOCUMENT_NAME": execution["DocumentName"],
        "global:ACCOUNT_ID": env.account_id,
        "global:REGION": execution["_region"],
        "global:AWS_PARTITION": arns.PARTITION,
        "global:URL_SUFFIX": "amazonaws.com",
        "global:DATE": moment.strftime("%Y-%m-%d"),
        "global:DATE_TIME": moment.strftime("%Y-%m-%d_%H.%M.%S"),
    }


def run_step(env: Env, execution_id: str, token: int, timeout: bool = False) -> None:
    """The step job: run the current step (or its wake-up, or its timeout) unless the job is stale."""
    execution = automations.get(env.conn, env.account_id, execution_id)
    if execution is None or execution["_token"] != token or execution["AutomationExecutionStatus"] not in ACTIVE:
        return
    step = _current(env, execution)
    definition = _definition(execution, step["StepName"])
    if timeout:
        message = f"The step did not end within its timeoutSeconds ({definition.get('timeoutSeconds')})."
        _fail(env, execution, step, definition, message, "TimedOut")
        return
    if step.get("_wakeMs") is not None:
        if env.now_ms < step["_wakeMs"]:
            env.enqueue(STEP_JOB, {"executionId": execution_id, "token": token}, step["_wakeMs"] - env.now_ms)
            return
        _succeed(env, execution, step, definition, Outcome(SUCCESS))
        return
    step.update(StepStatus="InProgress", ExecutionStartTime=env.now_ms / 1000)
    try:
        inputs = interpolate.resolve(definition.get("inputs", {}), variables(env, execution))
    except interpolate.Unresolved as error:
        _fail(env, execution, step, definition, str(error))
        return
    step["Inputs"] = {key: interpolate.as_text(value) for key, value in inputs.items()}
    step["_inputs"] = inputs
    action = registry().get(definition["action"])
    if action is None:
        supported = ", ".join(registry())
        outcome = Outcome(FAILED, message=f"incidentd does not run {definition['action']} steps; it runs {supported}.")
    else:
        running = _RUNNING_STEP.set((env.account_id, execution["AutomationExecutionId"], execution.get("_depth", 0)))
        try:
            outcome = action(StepCall(env, execution, definition, inputs))
        finally:
            _RUNNING_STEP.reset(running)
    apply(env, execution, step, definition, outcome)


def apply(
    env: Env, execution: dict[str, Any], step: dict[str, Any], definition: dict[str, Any], outcome: Outcome
) -> None:
    """Record what a step came to and move the execution on."""
    if outcome.status == SUCCESS:
        _succeed(env, execution, step, definition, outcome)
    elif outcome.status == FAILED:
        _fail(env, execution, step, definition, outcome.message)
    elif outcome.status == WAITING:
        step["StepStatus"] = "Waiting"
        execution["AutomationExecutionStatus"] = "Waiting"
        if definition.get("timeoutSeconds"):
            payload = {"executionId": execution["AutomationExecutionId"], "token": execution["_token"], "timeout": True}
            env.enqueue(STEP_JOB, payload, int(definition["timeoutSeconds"]) * 1000)
        _save(env, execution, step)
    elif outcome.status == SLEEPING:
        assert outcome.wake_ms is not None
        step["_wakeMs"] = outcome.wake_ms
        payload = {"executionId": execution["AutomationExecutionId"], "token": execution["_token"]}
        delay = outcome.wake_ms - env.now_ms
        limit = int(definition.get("timeoutSeconds") or 0) * 1000
        if limit and limit < delay:
            # A sleep longer than the step's timeoutSeconds ends in a timeout at that point, as any other step.
            payload["timeout"] = True
            delay = limit
        env.enqueue(STEP_JOB, payload, delay)
        _save(env, execution, step)
    elif outcome.status == SCRIPT:
        env.enqueue(SCRIPT_JOB, {"executionId": execution["AutomationExecutionId"], "token": execution["_token"]}, 0)
        _save(env, execution, step)


def current(env: Env, execution_id: str, token: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
    """The execution, its current step and that step's definition, if the token is still the current one."""
    execution = automations.get(env.conn, env.account_id, execution_id)
    if execution is None or execution["_token"] != token or execution["AutomationExecutionStatus"] not in ACTIVE:
        return None
    step = _current(env, execution)
    return execution, step, _definition(execution, step["StepName"])


# --- Signals and stops --------------------------------------------------------------------------------------------


def signal(env: Env, execution: dict[str, Any], kind: str, payload: dict[str, list[str]], caller: str) -> None:
    """Apply SendAutomationSignal to an execution of the caller's account."""
    if execution["AutomationExecutionStatus"] in TERMINAL:
        raise _invalid_signal(f"The execution has ended ({execution['AutomationExecutionStatus']}).")
    if execution["AutomationExecutionStatus"] == PENDING:
        raise _invalid_signal("The execution is queued behind the account's running executions and has not started.")
    step = _current(env, execution)
    definition = _definition(execution, step["StepName"])
    if kind in ("StartStep", "StopStep"):
        raise _invalid_signal(f"{kind} applies to Interactive executions, which incidentd does not run.")
    if kind == "Revoke":
        raise _invalid_signal("Revoke applies to change requests, which incidentd does not run.")
    wanted = (payload.get("StepName") or [""])[0] or None
    if wanted is not None and wanted != step["StepName"]:
        raise ServiceError("AutomationStepNotFoundException", f"The execution is not waiting at a step {wanted}.")
    waiting = step.get("StepStatus") == "Waiting"
    if kind == "Resume":
        if not waiting or definition["action"] != "aws:pause":
            raise _invalid_signal("The execution is not paused at an aws:pause step.")
        execution["_token"] += 1
        _succeed(env, execution, step, definition, Outcome(SUCCESS))
        return
    if not waiting or definition["action"] != "aws:approve":
        raise _invalid_signal("The execution is not waiting for approval at an aws:approve step.")
    _decide(env, execution, step, definition, kind == "Approve", caller, (payload.get("Comment") or [""])[0])


def _decide(
    env: Env,
    execution: dict[str, Any],
    step: dict[str, Any],
    definition: dict[str, Any],
    approve: bool,
    caller: str,
    comment: str,
) -> None:
    inputs = step.get("_inputs", {})
    approvers = inputs.get("Approvers")
    approvers = [approvers] if isinstance(approvers, str) else list(approvers or [])
    if not manual.is_approver(approvers, caller):
        raise _invalid_signal(f"{caller} is not one of the step's Approvers.")
    decisions = [d for d in step.get("_decisions", []) if d["Approver"] != caller]
    decisions.append({"Approver": caller, "Decision": "Approve" if approve else "Reject", "Comment": comment})
    step["_decisions"] = decisions
    # The token stays until the step ends: a partial approval must not cancel the step's pending timeout.
    if not approve:
        outputs = {"ApprovalStatus": "Rejected", "ApproverDecisions": decisions}
        _record_outputs(execution, step, definition, outputs)
        _fail(env, execution, step, definition, f"The approval was rejected by {caller}.", retry=False)
        return
    approvals = sum(1 for d in decisions if d["Decision"] == "Approve")
    if approvals >= int(inputs.get("MinRequiredApprovals", 1)):
        outputs = {"ApprovalStatus": "Approved", "ApproverDecisions": decisions}
        _succeed(env, execution, step, definition, Outcome(SUCCESS, outputs=outputs))
        return
    _save(env, execution, step)


def stop(env: Env, execution: dict[str, Any]) -> None:
    """StopAutomationExecution: the current step and the execution end as Cancelled."""
    if execution["AutomationExecutionStatus"] in TERMINAL:
        raise ServiceError(
            "InvalidAutomationStatusUpdateException",
            f"The execution has already ended ({execution['AutomationExecutionStatus']}).",
        )
    if execution["AutomationExecutionStatus"] == PENDING:
        # Queued, never started: it ends with no step, and frees no running slot.
        execution.update(AutomationExecutionStatus="Cancelled", ExecutionEndTime=env.now_ms / 1000)
        automations.save(env.conn, env.account_id, execution)
        return
    step = _current(env, execution)
    execution["_token"] += 1
    if step.get("StepStatus") not in TERMINAL:
        step.update(StepStatus="Cancelled", ExecutionEndTime=env.now_ms / 1000)
    _finish(env, execution, step, "Cancelled")


def _invalid_signal(message: str) -> ServiceError:
    return ServiceError("InvalidAutomationSignalException", message)


# --- Moving from step to step -------------------------------------------------------------------------------------


def _enter(env: Env, execution: dict[str, Any], definition: dict[str, Any]) -> None:
    """Make a step current and schedule its job."""
    execution["_seq"] += 1
    execution["_token"] += 1
    execution.update(
        AutomationExecutionStatus="InProgress", CurrentStepName=definition["name"], CurrentAction=definition["action"]
    )
    step = {
        "StepName": definition["name"],
        "Action": definition["action"],
        "StepExecutionId": str(uuid.uuid4()),
        "StepStatus": "Pending",
        "OnFailure": definition.get("onFailure", "Abort"),
        "MaxAttempts": int(definition.get("maxAttempts", 1)),
        "IsEnd": bool(definition.get("isEnd", False)),
        "IsCritical": bool(definition.get("isCritical", True)),
        "_attempt": 1,
    }
    if definition.get("timeoutSeconds"):
        step["TimeoutSeconds"] = int(definition["timeoutSeconds"])
    if definition.get("nextStep"):
        step["NextStep"] = definition["nextStep"]
    env.enqueue(STEP_JOB, {"executionId": execution["AutomationExecutionId"], "token": execution["_token"]}, 0)
    _save(env, execution, step)


def _succeed(
    env: Env, execution: dict[str, Any], step: dict[str, Any], definition: dict[str, Any], outcome: Outcome
) -> None:
    step.update(StepStatus="Success", ExecutionEndTime=env.now_ms / 1000)
    step.pop("_wakeMs", None)
    _record_outputs(execution, step, definition, outcome.outputs)
    if definition.get("isEnd"):
        _finish(env, execution, step)
        return
    _go_on(env, execution, step, outcome.next_step or definition.get("nextStep"))


def _fail(
    env: Env,
    execution: dict[str, Any],
    step: dict[str, Any],
    definition: dict[str, Any],
    message: str,
    status: str = "Failed",
    retry: bool = True,
) -> None:
    if retry and step.get("_attempt", 1) < int(definition.get("maxAttempts", 1)):
        # Another attempt, under a new token so that anything scheduled for the last one is stale.
        step.update(_attempt=step.get("_attempt", 1) + 1, StepStatus="Pending", FailureMessage=message)
        step.pop("_wakeMs", None)
        execution["_token"] += 1
        execution["AutomationExecutionStatus"] = "InProgress"
        env.enqueue(STEP_JOB, {"executionId": execution["AutomationExecutionId"], "token": execution["_token"]}, 0)
        _save(env, execution, step)
        return
    step.update(StepStatus=status, ExecutionEndTime=env.now_ms / 1000, FailureMessage=message)
    step["FailureDetails"] = {
        "FailureStage": "Execution",
        "FailureType": "Verification" if status == "Failed" else "Timeout",
    }
    on_failure = str(definition.get("onFailure", "Abort"))
    if on_failure == "Abort":
        execution["FailureMessage"] = f"Step {step['StepName']} ended as {status}: {message}"
        _finish(env, execution, step, status)
        return
    if definition.get("isCritical", True):
        # A critical step that failed makes the whole run Failed even when it carries on (isCritical, AWS docs).
        execution["_failedCritical"] = True
        execution.setdefault("FailureMessage", f"Step {step['StepName']} ended as {status}: {message}")
    _go_on(env, execution, step, on_failure[5:] if on_failure.startswith("step:") else definition.get("nextStep"))


def _go_on(env: Env, execution: dict[str, Any], step: dict[str, Any], target: str | None) -> None:
    """Enter the named step, else the one after the current in mainSteps, else finish."""
    steps = execution["_document"]["mainSteps"]
    if target is None:
        names = [s["name"] for s in steps]
        index = names.index(step["StepName"]) + 1
        if index >= len(steps):
            _finish(env, execution, step)
            return
        target = names[index]
    automations.put_step(env.conn, env.account_id, execution["AutomationExecutionId"], execution["_seq"], step)
    _enter(env, execution, _definition(execution, target))


def _finish(env: Env, execution: dict[str, Any], step: dict[str, Any], status: str | None = None) -> None:
    if status is None:
        status = "Failed" if execution["_failedCritical"] else "Success"
    execution.update(AutomationExecutionStatus=status, ExecutionEndTime=env.now_ms / 1000)
    execution.pop("CurrentStepName", None)
    execution.pop("CurrentAction", None)
    execution["Outputs"] = {
        name: parameters.wire_values(execution["_outputs"][name])
        for name in execution["_document"].get("outputs", [])
        if name in execution["_outputs"]
    }
    _save(env, execution, step)
    _start_next_pending(env, execution["_region"])


def _record_outputs(
    execution: dict[str, Any], step: dict[str, Any], definition: dict[str, Any], outputs: dict[str, Any]
) -> None:
    step["Outputs"] = {name: parameters.wire_values(value) for name, value in outputs.items()}
    for name, value in outputs.items():
        execution["_outputs"][f"{definition['name']}.{name}"] = value


def _save(env: Env, execution: dict[str, Any], step: dict[str, Any]) -> None:
    automations.put_step(env.conn, env.account_id, execution["AutomationExecutionId"], execution["_seq"], step)
    automations.save(env.conn, env.account_id, execution)


def _current(env: Env, execution: dict[str, Any]) -> dict[str, Any]:
    step = automations.step(env.conn, env.account_id, execution["AutomationExecutionId"], execution["_seq"])
    if step is None:
        raise LookupError(f"execution {execution['AutomationExecutionId']} has no step {execution['_seq']}")
    return step


def _definition(execution: dict[str, Any], name: str) -> dict[str, Any]:
    definition: dict[str, Any] = next(s for s in execution["_document"]["mainSteps"] if s["name"] == name)
    return definition
