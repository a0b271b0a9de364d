"""A response plan's runbook starts with StartIncident, records itself on the incident, and can call back into it."""

from __future__ import annotations

import json
from typing import Any

from runbook_support import create, get, reaches, steps

from support import wait_until

BUILTIN = "AWSIncidents-CriticalIncidentRunbookTemplate"
RESOURCE = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0"

CALLBACK_STEPS = [
    {
        "name": "Summarise",
        "action": "aws:executeAwsApi",
        "inputs": {
            "Service": "ssm-incidents",
            "Api": "UpdateIncidentRecord",
            "arn": "{{ IncidentRecordArn }}",
            "summary": "Runbook {{ automation:EXECUTION_ID }} saw {{ Resources }}",
        },
    },
    {
        "name": "Read",
        "action": "aws:executeAwsApi",
        "inputs": {"Service": "ssm-incidents", "Api": "GetIncidentRecord", "arn": "{{ IncidentRecordArn }}"},
        "outputs": [{"Name": "Title", "Selector": "$.incidentRecord.title", "Type": "String"}],
    },
    {
        "name": "Note",
        "action": "aws:executeAwsApi",
        "inputs": {
            "Service": "ssm-incidents",
            "Api": "CreateTimelineEvent",
            "incidentRecordArn": "{{ IncidentRecordArn }}",
            "eventTime": "2024-01-01T00:00:00Z",
            "eventType": "Custom Event",
            "eventData": '"runbook looked at {{ Read.Title }} in {{ global:REGION }}"',
        },
    },
    {"name": "Hold", "action": "aws:pause", "inputs": {}},
]
CALLBACK_PARAMETERS = {
    "IncidentRecordArn": {"type": "String"},
    "Resources": {"type": "StringList", "default": []},
    "AutomationAssumeRole": {"type": "String", "default": ""},
}


def plan(incidents, account, document: str, name: str = "runbook-plan", **automation) -> str:  # type: ignore[no-untyped-def]
    """A response plan whose runbook is the document; its ARN."""
    action = {
        "documentName": document,
        "roleArn": f"arn:aws:iam::{account.account_id}:role/IncidentRunbooks",
        "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
        **automation,
    }
    return str(
        incidents.create_response_plan(
            name=name,
            incidentTemplate={"title": "Checkout is down", "impact": 2},
            actions=[{"ssmAutomation": action}],
        )["arn"]
    )


def execution_of(incidents, incident_arn: str) -> str:  # type: ignore[no-untyped-def]
    """Wait until the incident records its runbook run; the execution id."""
    executions = wait_until(
        lambda: incidents.get_incident_record(arn=incident_arn)["incidentRecord"]["automationExecutions"]
    )
    return str(executions[0]["ssmExecutionArn"].rsplit("/", 1)[1])


def events(incidents, incident_arn: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every timeline event of the incident, with its data (the summaries carry none)."""
    summaries = incidents.list_timeline_events(incidentRecordArn=incident_arn)["eventSummaries"]
    return [
        incidents.get_timeline_event(incidentRecordArn=incident_arn, eventId=summary["eventId"])["event"]
        for summary in summaries
    ]


def test_a_runbook_calls_back_into_its_incident_then_pauses(incidents, server, account, replication_set):
    ssm = server.client(account, "ssm")
    create(
        ssm,
        "incident-callback",
        CALLBACK_STEPS,
        parameters=CALLBACK_PARAMETERS,
        assumeRole="{{ AutomationAssumeRole }}",
    )
    plan_arn = plan(
        incidents,
        account,
        "incident-callback",
        documentVersion="$LATEST",
        dynamicParameters={
            "IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"},
            "Resources": {"variable": "INVOLVED_RESOURCES"},
        },
    )
    incident_arn = incidents.start_incident(
        responsePlanArn=plan_arn,
        relatedItems=[{"identifier": {"type": "INVOLVED_RESOURCE", "value": {"arn": RESOURCE}}, "title": "web"}],
    )["incidentRecordArn"]

    execution_id = execution_of(incidents, incident_arn)
    paused = reaches(ssm, execution_id, "Waiting")
    record = incidents.get_incident_record(arn=incident_arn)["incidentRecord"]
    region = "us-east-1"

    assert record["automationExecutions"] == [
        {"ssmExecutionArn": f"arn:aws:ssm:{region}:{account.account_id}:automation-execution/{execution_id}"}
    ]
    assert paused["Parameters"]["IncidentRecordArn"] == [incident_arn]
    assert paused["Parameters"]["Resources"] == [RESOURCE]
    assert paused["ExecutedBy"] == f"arn:aws:iam::{account.account_id}:role/IncidentRunbooks"
    assert steps(paused) == [("Summarise", "Success"), ("Read", "Success"), ("Note", "Success"), ("Hold", "Waiting")]
    assert record["summary"] == f'Runbook {execution_id} saw ["{RESOURCE}"]'
    # The runbook acted as the plan's role, so the incident says who changed it.
    assert record["lastModifiedBy"] == (
        f"arn:aws:sts::{account.account_id}:assumed-role/IncidentRunbooks/incidentd-automation"
    )
    related = incidents.list_related_items(incidentRecordArn=incident_arn)["relatedItems"]
    automation = [item for item in related if item["identifier"]["type"] == "AUTOMATION"]
    assert automation[0]["identifier"]["value"]["arn"] == record["automationExecutions"][0]["ssmExecutionArn"]
    assert automation[0]["title"] == "incident-callback"
    timeline = events(incidents, incident_arn)
    notes = [e for e in timeline if e["eventType"] == "Custom Event" and "runbook looked" in e["eventData"]]
    assert json.loads(notes[0]["eventData"]) == "runbook looked at Checkout is down in us-east-1"
    updates = [json.loads(e["eventData"]) for e in timeline if e["eventType"] == "SSM Incident Record Update"]
    changed = [a["attributeName"] for update in updates for a in update["modifiedAttributes"]]
    assert "relatedItems" in changed and "automationExecutions" in changed and "summary" in changed
    started = next(
        e
        for e in timeline
        if e["eventType"] == "SSM Incident Record Update" and e["eventReferences"][0].get("relatedItemId")
    )
    assert started["eventReferences"][0]["relatedItemId"] == automation[0]["generatedId"]

    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["Hold"]})

    done = reaches(ssm, execution_id)
    assert done["AutomationExecutionStatus"] == "Success"
    assert steps(done)[-1] == ("Hold", "Success")


def moved_on(execution: dict[str, Any], step: str) -> bool:
    """Whether an execution has left the pause of `step`, by running on or by waiting at another step."""
    return execution["AutomationExecutionStatus"] != "Waiting" or execution.get("CurrentStepName") != step


def test_the_builtin_template_runs_its_four_phases(incidents, server, account, replication_set):
    ssm = server.client(account, "ssm")
    plan_arn = plan(
        incidents,
        account,
        BUILTIN,
        name="builtin-plan",
        documentVersion="$DEFAULT",
        dynamicParameters={"IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"}},
    )
    incident_arn = incidents.start_incident(responsePlanArn=plan_arn)["incidentRecordArn"]
    execution_id = execution_of(incidents, incident_arn)

    phases = []
    for _ in range(4):
        waiting = reaches(ssm, execution_id, "Waiting")
        phases.append(waiting["CurrentStepName"])
        ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume")
        # The next phase may pause again before a poll sees it run: wait for the step to move on, not for a status.
        step = waiting["CurrentStepName"]
        wait_until(lambda step=step: moved_on(get(ssm, execution_id), step))

    done = reaches(ssm, execution_id)
    assert phases == ["Triage", "Diagnosis", "Mitigation", "Recovery"]
    assert done["AutomationExecutionStatus"] == "Success"
    assert done["DocumentName"] == BUILTIN
    assert done["Parameters"] == {"IncidentRecordArn": [incident_arn]}


def test_a_runbook_that_cannot_start_is_logged_on_the_timeline(incidents, server, account, replication_set):
    ssm = server.client(account, "ssm")
    create(
        ssm,
        "wants-a-string",
        [{"name": "Hold", "action": "aws:pause", "inputs": {}}],
        parameters={"Arn": {"type": "String"}},
    )
    missing = incidents.start_incident(responsePlanArn=plan(incidents, account, "no-such-runbook", name="missing-doc"))[
        "incidentRecordArn"
    ]
    wrong_type = incidents.start_incident(
        responsePlanArn=plan(
            incidents,
            account,
            "wants-a-string",
            name="wrong-type",
            dynamicParameters={"Arn": {"variable": "INVOLVED_RESOURCES"}},
        )
    )["incidentRecordArn"]

    for incident_arn, reason in ((missing, "AutomationDefinitionNotFoundException"), (wrong_type, "StringList")):
        failure = wait_until(
            lambda arn=incident_arn: [
                e
                for e in events(incidents, arn)
                if e["eventType"] == "SSM Automation Execution Start Failure for Incident"
            ]
        )[0]
        data = json.loads(failure["eventData"])
        assert reason in data["failureReason"]
        item_ids = [ref["relatedItemId"] for ref in failure["eventReferences"] if "relatedItemId" in ref]
        related = incidents.list_related_items(incidentRecordArn=incident_arn)["relatedItems"]
        assert item_ids and item_ids[0] in [item["generatedId"] for item in related]
        assert item_ids[0].startswith("related-item/AUTOMATION/")
        assert incidents.get_incident_record(arn=incident_arn)["incidentRecord"]["automationExecutions"] == []
    assert ssm.describe_automation_executions()["AutomationExecutionMetadataList"] == []
