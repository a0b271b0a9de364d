"""DescribeAutomationStepExecutions: an execution's steps, filtered, paged, and newest first on request."""

from __future__ import annotations

import datetime

from runbook_support import create, get, reaches, start

from support import refused

FOUR_STEPS = [
    {"name": "First", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    {"name": "Second", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    {"name": "Third", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    {"name": "Hold", "action": "aws:pause", "inputs": {}},
]


def _names(answer):
    return [step["StepName"] for step in answer["StepExecutions"]]


def test_the_steps_are_those_get_shows_in_order_or_reversed_and_page_by_max_results(ssm):
    create(ssm, "four-steps", FOUR_STEPS)
    execution_id = start(ssm, "four-steps")
    reaches(ssm, execution_id, "Waiting")

    everything = ssm.describe_automation_step_executions(AutomationExecutionId=execution_id)
    assert everything["StepExecutions"] == get(ssm, execution_id)["StepExecutions"]
    assert _names(everything) == ["First", "Second", "Third", "Hold"]
    assert "NextToken" not in everything

    newest_first = ssm.get_paginator("describe_automation_step_executions").paginate(
        AutomationExecutionId=execution_id, ReverseOrder=True, PaginationConfig={"PageSize": 3}
    )
    pages = [_names(page) for page in newest_first]
    assert pages == [["Hold", "Third", "Second"], ["First"]]


def test_filters_narrow_the_steps_and_combine_with_and(ssm):
    create(ssm, "filtered-steps", FOUR_STEPS)
    execution_id = start(ssm, "filtered-steps")
    reaches(ssm, execution_id, "Waiting")
    steps = get(ssm, execution_id)["StepExecutions"]

    def described(*filters):
        answer = ssm.describe_automation_step_executions(AutomationExecutionId=execution_id, Filters=list(filters))
        return _names(answer)

    assert described({"Key": "StepName", "Values": ["Second", "Hold"]}) == ["Second", "Hold"]
    assert described({"Key": "Action", "Values": ["aws:pause"]}) == ["Hold"]
    assert described({"Key": "StepExecutionStatus", "Values": ["Success"]}) == ["First", "Second", "Third"]
    assert described({"Key": "StepExecutionId", "Values": [steps[2]["StepExecutionId"]]}) == ["Third"]
    assert described(
        {"Key": "StepExecutionStatus", "Values": ["Success"]}, {"Key": "StepName", "Values": ["Hold", "First"]}
    ) == ["First"]
    later = (steps[0]["ExecutionStartTime"] + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert described({"Key": "StartTimeAfter", "Values": [later]}) == []
    assert described({"Key": "StartTimeBefore", "Values": [later]}) == ["First", "Second", "Third", "Hold"]
    assert described({"Key": "ParentStepExecutionId", "Values": [steps[0]["StepExecutionId"]]}) == []


def test_an_unknown_execution_a_bad_status_and_a_foreign_token_are_refused(ssm):
    missing = refused(ssm.describe_automation_step_executions, AutomationExecutionId="0" * 36)
    assert missing["Error"]["Code"] == "AutomationExecutionNotFoundException"
    create(ssm, "refusing-steps", FOUR_STEPS[:1])
    execution_id = start(ssm, "refusing-steps")
    bad_status = refused(
        ssm.describe_automation_step_executions,
        AutomationExecutionId=execution_id,
        Filters=[{"Key": "StepExecutionStatus", "Values": ["Sleeping"]}],
    )
    assert bad_status["Error"]["Code"] == "InvalidFilterValue"
    bad_token = refused(ssm.describe_automation_step_executions, AutomationExecutionId=execution_id, NextToken="x")
    assert bad_token["Error"]["Code"] == "InvalidNextToken"
