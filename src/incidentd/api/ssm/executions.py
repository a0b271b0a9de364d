"""Automation executions: start, read, list, stop, and signals to paused and approval steps."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.api.ssm.common import PAGES, SERVICE, env
from incidentd.protocol import model
from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import engine, launch
from incidentd.store import automations, idempotency

# Members of StartAutomationExecution for rate control, targets and other accounts or regions: not run here.
_UNSUPPORTED = (
    "TargetParameterName",
    "Targets",
    "TargetMaps",
    "MaxConcurrency",
    "MaxErrors",
    "TargetLocations",
    "TargetLocationsURL",
    "AlarmConfiguration",
)
_METADATA = (
    "AutomationExecutionId",
    "DocumentName",
    "DocumentVersion",
    "AutomationExecutionStatus",
    "ExecutionStartTime",
    "ExecutionEndTime",
    "ExecutedBy",
    "Outputs",
    "Mode",
    "CurrentStepName",
    "CurrentAction",
    "FailureMessage",
    "AutomationType",
)
_STATUSES = model.service_model(SERVICE).shape_for("AutomationExecutionStatus").enum


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored execution or step without the engine's own bookkeeping."""
    return {key: value for key, value in doc.items() if not key.startswith("_")}


def load(ctx: CallContext, execution_id: str) -> dict[str, Any]:
    """An execution of the caller's account and region, or AutomationExecutionNotFoundException."""
    execution = automations.get(ctx.conn, ctx.account_id, execution_id)
    if execution is None or execution["_region"] != ctx.region:
        raise ServiceError(
            "AutomationExecutionNotFoundException", f"Automation execution {execution_id} does not exist."
        )
    return execution


@handles(SERVICE, "StartAutomationExecution", needs_onboarding=False)
def start_automation_execution(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Start a run of an Automation document; a repeated ClientToken returns the first run's id."""
    given = [name for name in _UNSUPPORTED if params.get(name)]
    if given or params.get("Mode", "Auto") != "Auto":
        what = ", ".join(given) if given else "Mode Interactive"
        raise ServiceError(
            "InvalidAutomationExecutionParametersException",
            f"incidentd runs Auto-mode executions in its own account and region; {what} is not supported.",
        )
    token = params.get("ClientToken")
    if token:
        request = {k: v for k, v in params.items() if k != "ClientToken"}
        digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=repr).encode()).hexdigest()
        if not idempotency.claim(ctx.conn, ctx.account_id, "StartAutomationExecution", token, digest, ctx.now_ms):
            earlier = idempotency.previous(ctx.conn, ctx.account_id, "StartAutomationExecution", token)
            if earlier is not None and earlier[0] == digest and earlier[1]:
                return dict(earlier[1])
            raise ServiceError("IdempotentParameterMismatch", f"ClientToken {token} was used with other parameters.")
    execution_id = launch.start(
        env(ctx),
        ctx.region,
        params["DocumentName"],
        params.get("DocumentVersion"),
        params.get("Parameters", {}),
        ctx.caller_arn,
        params.get("Tags"),
    )
    result = {"AutomationExecutionId": execution_id}
    if token:
        idempotency.remember(ctx.conn, ctx.account_id, "StartAutomationExecution", token, result)
    return result


@handles(SERVICE, "GetAutomationExecution", needs_onboarding=False)
def get_automation_execution(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The execution with every step that has started so far."""
    execution = load(ctx, params["AutomationExecutionId"])
    steps = automations.steps(ctx.conn, ctx.account_id, execution["AutomationExecutionId"])
    return {
        "AutomationExecution": {
            **public(execution),
            "StepExecutions": [public(step) for step in steps],
            "StepExecutionsTruncated": False,
        }
    }


@handles(SERVICE, "DescribeAutomationStepExecutions", needs_onboarding=False)
def describe_automation_step_executions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """An execution's steps in the order they started (newest first with ReverseOrder), filtered and paged."""
    execution = load(ctx, params["AutomationExecutionId"])
    steps = automations.steps(ctx.conn, ctx.account_id, execution["AutomationExecutionId"])
    tests = [_step_test(entry["Key"], entry["Values"]) for entry in params.get("Filters", [])]
    # A step's position in the run is its key: steps are only ever added, so positions never move.
    chosen = [(index, step) for index, step in enumerate(steps) if all(test(step) for test in tests)]
    descending = bool(params.get("ReverseOrder"))
    if descending:
        chosen.reverse()
    page, token = PAGES.page_of(chosen, lambda r: [r[0]], params, int, descending=descending)
    result: dict[str, Any] = {"StepExecutions": [public(step) for _, step in page]}
    if token:
        result["NextToken"] = token
    return result


def _step_test(key: str, values: list[str]) -> Any:
    """One StepExecutionFilter as a test of a step: true when any of its values matches (filters AND together)."""
    if key in ("StartTimeBefore", "StartTimeAfter"):
        bound = _time_filter(values, key) / 1000
        if key == "StartTimeBefore":
            return lambda step: step.get("ExecutionStartTime") is not None and step["ExecutionStartTime"] < bound
        return lambda step: step.get("ExecutionStartTime") is not None and step["ExecutionStartTime"] > bound
    if key == "StepExecutionStatus":
        wrong = [value for value in values if value not in _STATUSES]
        if wrong:
            raise ServiceError("InvalidFilterValue", f"{wrong[0]} is not a step execution status.")
        return lambda step: step.get("StepStatus") in values
    member = {"StepExecutionId": "StepExecutionId", "StepName": "StepName", "Action": "Action"}.get(key)
    if member is not None:
        return lambda step: step.get(member) in values
    # ParentStepExecutionId and the other parent keys name steps inside aws:loop, which this engine doesn't run.
    return lambda step: False


def _time_filter(values: list[str], key: str) -> int:
    try:
        moment = datetime.datetime.fromisoformat(values[0].replace("Z", "+00:00"))
    except (ValueError, IndexError):
        raise ServiceError("InvalidFilterValue", f"{key} takes a time such as 2024-01-01T00:00:00Z.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return round(moment.timestamp() * 1000)


def _query(filters: list[dict[str, Any]]) -> tuple[automations.ExecutionQuery, dict[str, list[str]]]:
    """The filters the store applies, and those checked on each execution's document."""
    query = automations.ExecutionQuery()
    checked: dict[str, list[str]] = {}
    for entry in filters:
        key, values = entry["Key"], entry["Values"]
        if key == "ExecutionStatus":
            wrong = [v for v in values if v not in _STATUSES]
            if wrong:
                raise ServiceError("InvalidFilterValue", f"{wrong[0]} is not an automation execution status.")
            query.statuses += values
        elif key == "ExecutionId":
            query.ids += values
        elif key == "DocumentNamePrefix":
            query.name_prefixes += values
        elif key == "StartTimeBefore":
            query.started_before_ms = _time_filter(values, key)
        elif key == "StartTimeAfter":
            query.started_after_ms = _time_filter(values, key)
        else:
            checked.setdefault(key, []).extend(values)
    return query, checked


def _matches(execution: dict[str, Any], checked: dict[str, list[str]]) -> bool:
    for key, values in checked.items():
        if key == "CurrentAction":
            if execution.get("CurrentAction") not in values:
                return False
        elif key == "AutomationType":
            if "Local" not in values:
                return False
        elif key == "TagKey":
            if not {tag["Key"] for tag in execution.get("Tags", [])} & set(values):
                return False
        else:
            # Parent executions, resource groups, change requests and OpsItems: no execution here has any.
            return False
    return True


@handles(SERVICE, "DescribeAutomationExecutions", needs_onboarding=False)
def describe_automation_executions(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Executions newest first, filtered."""
    query, checked = _query(params.get("Filters", []))
    rows = automations.page(ctx.conn, ctx.account_id, ctx.region, query, None, None)
    chosen = [(start, eid, doc) for start, eid, doc in rows if _matches(doc, checked)]
    page, token = PAGES.page_of(chosen, lambda r: [r[0], r[1]], params, int, str, descending=True)
    result: dict[str, Any] = {
        "AutomationExecutionMetadataList": [
            {key: doc[key] for key in _METADATA if doc.get(key) is not None} for _, _, doc in page
        ]
    }
    if token:
        result["NextToken"] = token
    return result


@handles(SERVICE, "StopAutomationExecution", needs_onboarding=False)
def stop_automation_execution(ctx: CallContext, params: dict[str, Any]) -> None:
    """Cancel a running execution (Type Complete ends it the same way)."""
    engine.stop(env(ctx), load(ctx, params["AutomationExecutionId"]))
    return None


@handles(SERVICE, "SendAutomationSignal", needs_onboarding=False)
def send_automation_signal(ctx: CallContext, params: dict[str, Any]) -> None:
    """Resume a paused step, or approve or reject an approval step."""
    execution = load(ctx, params["AutomationExecutionId"])
    engine.signal(env(ctx), execution, params["SignalType"], params.get("Payload", {}), ctx.caller_arn)
    return None
