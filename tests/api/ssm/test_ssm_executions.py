"""StartAutomationExecution, GetAutomationExecution, DescribeAutomationExecutions, Stop, SendAutomationSignal."""

from __future__ import annotations

from ssm_support import REQUIRED_JSON, pause_document

from support import refused, wait_until


def execution(ssm, execution_id: str) -> dict:  # type: ignore[no-untyped-def]
    return ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]


def waiting(ssm, execution_id: str) -> dict:  # type: ignore[no-untyped-def]
    return wait_until(lambda: (e := execution(ssm, execution_id))["AutomationExecutionStatus"] == "Waiting" and e)


def test_start_then_resume_to_success(ssm, account):
    pause_document(ssm)
    execution_id = ssm.start_automation_execution(
        DocumentName="wait-for-me", Parameters={"Message": ["hi"], "Count": ["3"]}
    )["AutomationExecutionId"]

    paused = waiting(ssm, execution_id)
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["Wait"]})
    done = wait_until(lambda: (e := execution(ssm, execution_id))["AutomationExecutionStatus"] == "Success" and e)

    assert len(execution_id) == 36
    assert paused["DocumentName"] == "wait-for-me" and paused["DocumentVersion"] == "1"
    assert paused["Parameters"] == {"Message": ["hi"], "Count": ["3"], "Colour": ["red"]}
    assert paused["CurrentStepName"] == "Wait" and paused["CurrentAction"] == "aws:pause"
    assert paused["Mode"] == "Auto"
    assert paused["ExecutedBy"].startswith(f"arn:aws:iam::{account.account_id}:user/")
    assert [s["StepStatus"] for s in paused["StepExecutions"]] == ["Waiting"]
    assert [s["StepStatus"] for s in done["StepExecutions"]] == ["Success"]
    assert done["ExecutionEndTime"] >= done["ExecutionStartTime"]
    assert "CurrentStepName" not in done


def test_parameter_refusals(ssm):
    pause_document(ssm)
    ssm.create_document(Name="needs-target", Content=REQUIRED_JSON, DocumentType="Automation")
    cases = [
        ("wait-for-me", {"Nope": ["x"]}),
        ("wait-for-me", {"Count": ["many"]}),
        ("wait-for-me", {"Colour": ["blue"]}),
        ("wait-for-me", {"Message": ["a", "b"]}),
        ("needs-target", None),  # Target has no default
    ]
    for name, parameters in cases:
        given = {"Parameters": parameters} if parameters else {}
        error = refused(ssm.start_automation_execution, DocumentName=name, **given)["Error"]
        assert error["Code"] == "InvalidAutomationExecutionParametersException", parameters
    assert ssm.start_automation_execution(DocumentName="needs-target", Parameters={"Target": ["t"]})


def test_document_and_version_refusals(ssm):
    pause_document(ssm)

    missing = refused(ssm.start_automation_execution, DocumentName="not-there")
    version = refused(ssm.start_automation_execution, DocumentName="wait-for-me", DocumentVersion="9")
    targets = refused(
        ssm.start_automation_execution, DocumentName="wait-for-me", Targets=[{"Key": "tag:a", "Values": ["b"]}]
    )
    interactive = refused(ssm.start_automation_execution, DocumentName="wait-for-me", Mode="Interactive")

    assert missing["Error"]["Code"] == "AutomationDefinitionNotFoundException"
    assert version["Error"]["Code"] == "AutomationDefinitionVersionNotFoundException"
    assert targets["Error"]["Code"] == interactive["Error"]["Code"] == "InvalidAutomationExecutionParametersException"


def test_client_token_replays_or_refuses(ssm):
    pause_document(ssm)
    token = "11111111-2222-3333-4444-555555555555"

    first = ssm.start_automation_execution(DocumentName="wait-for-me", ClientToken=token)
    again = ssm.start_automation_execution(DocumentName="wait-for-me", ClientToken=token)
    other = refused(
        ssm.start_automation_execution, DocumentName="wait-for-me", ClientToken=token, Parameters={"Count": ["2"]}
    )

    assert first["AutomationExecutionId"] == again["AutomationExecutionId"]
    assert other["Error"]["Code"] == "IdempotentParameterMismatch"


def test_stop_cancels_and_only_once(ssm):
    pause_document(ssm)
    execution_id = ssm.start_automation_execution(DocumentName="wait-for-me")["AutomationExecutionId"]
    waiting(ssm, execution_id)

    ssm.stop_automation_execution(AutomationExecutionId=execution_id)
    stopped = execution(ssm, execution_id)

    assert stopped["AutomationExecutionStatus"] == "Cancelled"
    assert [s["StepStatus"] for s in stopped["StepExecutions"]] == ["Cancelled"]
    again = refused(ssm.stop_automation_execution, AutomationExecutionId=execution_id)
    assert again["Error"]["Code"] == "InvalidAutomationStatusUpdateException"
    late = refused(ssm.send_automation_signal, AutomationExecutionId=execution_id, SignalType="Resume")
    assert late["Error"]["Code"] == "InvalidAutomationSignalException"


def test_signal_refusals(ssm):
    pause_document(ssm)
    execution_id = ssm.start_automation_execution(DocumentName="wait-for-me")["AutomationExecutionId"]
    waiting(ssm, execution_id)

    approve = refused(ssm.send_automation_signal, AutomationExecutionId=execution_id, SignalType="Approve")
    other_step = refused(
        ssm.send_automation_signal, AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["X"]}
    )
    start_step = refused(ssm.send_automation_signal, AutomationExecutionId=execution_id, SignalType="StartStep")
    unknown = refused(
        ssm.send_automation_signal, AutomationExecutionId="00000000-0000-0000-0000-000000000000", SignalType="Resume"
    )

    assert approve["Error"]["Code"] == start_step["Error"]["Code"] == "InvalidAutomationSignalException"
    assert other_step["Error"]["Code"] == "AutomationStepNotFoundException"
    assert unknown["Error"]["Code"] == "AutomationExecutionNotFoundException"
    assert refused(ssm.get_automation_execution, AutomationExecutionId="x" * 36)["Error"]["Code"] == (
        "AutomationExecutionNotFoundException"
    )


def test_describe_filters_and_pages(ssm):
    pause_document(ssm, name="alpha-run")
    pause_document(ssm, name="beta-run")
    ids = [ssm.start_automation_execution(DocumentName="alpha-run")["AutomationExecutionId"] for _ in range(3)]
    beta = ssm.start_automation_execution(DocumentName="beta-run")["AutomationExecutionId"]
    for execution_id in [*ids, beta]:
        waiting(ssm, execution_id)
    ssm.stop_automation_execution(AutomationExecutionId=beta)

    def listed(**params) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            e["AutomationExecutionId"]
            for e in ssm.describe_automation_executions(**params)["AutomationExecutionMetadataList"]
        ]

    everything = ssm.describe_automation_executions()["AutomationExecutionMetadataList"]
    assert {e["AutomationExecutionId"] for e in everything} == {*ids, beta}
    starts = [e["ExecutionStartTime"] for e in everything]
    assert starts == sorted(starts, reverse=True)
    assert set(listed(Filters=[{"Key": "DocumentNamePrefix", "Values": ["alpha"]}])) == set(ids)
    assert listed(Filters=[{"Key": "ExecutionStatus", "Values": ["Cancelled"]}]) == [beta]
    assert listed(Filters=[{"Key": "ExecutionId", "Values": [ids[0]]}]) == [ids[0]]
    assert set(listed(Filters=[{"Key": "CurrentAction", "Values": ["aws:pause"]}])) == set(ids)
    assert listed(Filters=[{"Key": "StartTimeBefore", "Values": ["2000-01-01T00:00:00Z"]}]) == []
    assert len(listed(Filters=[{"Key": "StartTimeAfter", "Values": ["2000-01-01T00:00:00Z"]}])) == 4
    first = ssm.describe_automation_executions(MaxResults=3)
    second = ssm.describe_automation_executions(MaxResults=3, NextToken=first["NextToken"])
    paged = [
        e["AutomationExecutionId"]
        for e in first["AutomationExecutionMetadataList"] + second["AutomationExecutionMetadataList"]
    ]
    assert paged == [e["AutomationExecutionId"] for e in everything] and "NextToken" not in second
    metadata = everything[0]
    assert metadata["AutomationType"] == "Local" and metadata["Mode"] == "Auto"


def test_describe_refusals(ssm):
    status = refused(ssm.describe_automation_executions, Filters=[{"Key": "ExecutionStatus", "Values": ["Sleepy"]}])
    time = refused(ssm.describe_automation_executions, Filters=[{"Key": "StartTimeAfter", "Values": ["yesterday"]}])
    token = refused(ssm.describe_automation_executions, NextToken="garbage")
    key = refused(ssm.describe_automation_executions, Filters=[{"Key": "Colour", "Values": ["red"]}])

    assert status["Error"]["Code"] == time["Error"]["Code"] == "InvalidFilterValue"
    assert token["Error"]["Code"] == "InvalidNextToken"
    assert key["Error"]["Code"] == "ValidationException"  # not one of the model's enum values
