"""Automations run by the server's worker: pause, sleep, branch, approve, failures, retries, outputs."""

from __future__ import annotations

from runbook_support import create, get, reaches, start, steps

from support import refused

PAUSE = {"name": "Hold", "action": "aws:pause", "inputs": {}}


def test_sleep_waits_then_goes_on(ssm):
    create(ssm, "sleeper", [{"name": "Nap", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}])
    execution_id = start(ssm, "sleeper")

    during = get(ssm, execution_id)
    done = reaches(ssm, execution_id)

    assert during["AutomationExecutionStatus"] == "InProgress"
    assert done["AutomationExecutionStatus"] == "Success"
    nap = done["StepExecutions"][0]
    assert nap["Inputs"] == {"Duration": "PT1S"}
    assert (nap["ExecutionEndTime"] - nap["ExecutionStartTime"]).total_seconds() >= 0.9


def test_sleep_until_a_past_timestamp_does_not_wait(ssm):
    create(ssm, "past", [{"name": "Nap", "action": "aws:sleep", "inputs": {"Timestamp": "2020-01-01T00:00:00Z"}}])
    assert reaches(ssm, start(ssm, "past"))["AutomationExecutionStatus"] == "Success"


BRANCHING = [
    {
        "name": "Choose",
        "action": "aws:branch",
        "inputs": {
            "Choices": [
                {"NextStep": "Linux", "Variable": "{{ Os }}", "StringEquals": "linux"},
                {"NextStep": "Big", "And": [{"Variable": "{{ Size }}", "NumericGreater": 10}]},
            ],
            "Default": "Other",
        },
    },
    {"name": "Linux", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "isEnd": True},
    {"name": "Big", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "nextStep": "Last"},
    {"name": "Other", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    {"name": "Last", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
]
BRANCH_PARAMETERS = {"Os": {"type": "String"}, "Size": {"type": "Integer", "default": 1}}


def test_branch_takes_the_first_true_choice_or_the_default(ssm):
    create(ssm, "brancher", BRANCHING, parameters=BRANCH_PARAMETERS)

    linux = reaches(ssm, start(ssm, "brancher", Os="linux"))
    big = reaches(ssm, start(ssm, "brancher", Os="windows", Size=20))
    other = reaches(ssm, start(ssm, "brancher", Os="windows"))

    assert steps(linux) == [("Choose", "Success"), ("Linux", "Success")]
    assert steps(big) == [("Choose", "Success"), ("Big", "Success"), ("Last", "Success")]
    assert steps(other) == [("Choose", "Success"), ("Other", "Success"), ("Last", "Success")]
    assert {e["AutomationExecutionStatus"] for e in (linux, big, other)} == {"Success"}


def test_branch_without_default_goes_to_the_next_step(ssm):
    choose = {**BRANCHING[0], "inputs": {"Choices": BRANCHING[0]["inputs"]["Choices"]}}
    create(ssm, "fall-through", [choose, *BRANCHING[1:]], parameters=BRANCH_PARAMETERS)

    assert steps(reaches(ssm, start(ssm, "fall-through", Os="mac")))[1] == ("Linux", "Success")


def test_approve_needs_the_approvers(ssm, account):
    me = f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"
    approve = {
        "name": "Approval",
        "action": "aws:approve",
        "inputs": {"Approvers": [me], "MinRequiredApprovals": 1, "Message": "ok?"},
        "outputs": [],
    }
    create(ssm, "approval", [approve, {"name": "After", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}])
    create(ssm, "not-mine", [{**approve, "inputs": {"Approvers": ["arn:aws:iam::111122223333:user/someone"]}}])

    approved = start(ssm, "approval")
    reaches(ssm, approved, "Waiting")
    ssm.send_automation_signal(AutomationExecutionId=approved, SignalType="Approve", Payload={"Comment": ["fine"]})
    rejected = start(ssm, "approval")
    reaches(ssm, rejected, "Waiting")
    ssm.send_automation_signal(AutomationExecutionId=rejected, SignalType="Reject", Payload={"Comment": ["no"]})
    foreign = start(ssm, "not-mine")
    reaches(ssm, foreign, "Waiting")

    done = reaches(ssm, approved)
    assert done["AutomationExecutionStatus"] == "Success"
    assert steps(done) == [("Approval", "Success"), ("After", "Success")]
    assert done["StepExecutions"][0]["Outputs"]["ApprovalStatus"] == ["Approved"]
    refusal = reaches(ssm, rejected)
    assert refusal["AutomationExecutionStatus"] == "Failed"
    assert steps(refusal) == [("Approval", "Failed")]
    assert "rejected" in refusal["StepExecutions"][0]["FailureMessage"]
    not_approver = refused(ssm.send_automation_signal, AutomationExecutionId=foreign, SignalType="Approve")
    assert not_approver["Error"]["Code"] == "InvalidAutomationSignalException"


def test_a_pause_with_a_timeout_times_out(ssm):
    create(ssm, "impatient", [{**PAUSE, "timeoutSeconds": 1}])

    done = reaches(ssm, start(ssm, "impatient"))

    assert done["AutomationExecutionStatus"] == "TimedOut"
    assert steps(done) == [("Hold", "TimedOut")]


def test_a_sleep_longer_than_its_timeout_times_out_at_the_timeout(ssm):
    nap = {"name": "Nap", "action": "aws:sleep", "inputs": {"Duration": "PT1H"}, "timeoutSeconds": 1}
    create(ssm, "oversleeper", [nap])

    done = reaches(ssm, start(ssm, "oversleeper"))

    assert done["AutomationExecutionStatus"] == "TimedOut"
    assert steps(done) == [("Nap", "TimedOut")]
    assert "timeoutSeconds (1)" in done["StepExecutions"][0]["FailureMessage"]


def test_a_sleep_within_its_timeout_ends_well(ssm):
    nap = {"name": "Nap", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}, "timeoutSeconds": 60}
    create(ssm, "punctual", [nap])
    assert reaches(ssm, start(ssm, "punctual"))["AutomationExecutionStatus"] == "Success"


def test_on_failure_continue_step_and_critical(ssm):
    failing = {"name": "Broken", "action": "aws:runCommand", "inputs": {}}
    quick = {"action": "aws:sleep", "inputs": {"Duration": "PT0S"}}
    create(ssm, "carry-on", [{**failing, "onFailure": "Continue"}, {"name": "Next", **quick}])
    create(ssm, "not-critical", [{**failing, "onFailure": "Continue", "isCritical": False}, {"name": "Next", **quick}])
    create(
        ssm,
        "cleanup",
        [{**failing, "onFailure": "step:Cleanup"}, {"name": "Skipped", **quick}, {"name": "Cleanup", **quick}],
    )
    create(ssm, "abort", [failing, {"name": "Never", **quick}])

    carry_on = reaches(ssm, start(ssm, "carry-on"))
    not_critical = reaches(ssm, start(ssm, "not-critical"))
    cleanup = reaches(ssm, start(ssm, "cleanup"))
    abort = reaches(ssm, start(ssm, "abort"))

    assert steps(carry_on) == [("Broken", "Failed"), ("Next", "Success")]
    assert carry_on["AutomationExecutionStatus"] == "Failed"  # a critical step failed
    assert not_critical["AutomationExecutionStatus"] == "Success"
    assert steps(cleanup) == [("Broken", "Failed"), ("Cleanup", "Success")]
    assert steps(abort) == [("Broken", "Failed")]
    assert abort["AutomationExecutionStatus"] == "Failed"
    assert "aws:runCommand" in abort["StepExecutions"][0]["FailureMessage"]
    assert "Broken" in abort["FailureMessage"]


def test_max_attempts_retries_a_failing_step(ssm):
    create(
        ssm,
        "retrier",
        [
            {
                "name": "Call",
                "action": "aws:executeAwsApi",
                "maxAttempts": 3,
                "inputs": {"Service": "ssm", "Api": "GetDocument", "Name": "does-not-exist"},
            }
        ],
    )

    done = reaches(ssm, start(ssm, "retrier"))

    assert done["AutomationExecutionStatus"] == "Failed"
    assert done["StepExecutions"][0]["MaxAttempts"] == 3
    assert "InvalidDocument" in done["StepExecutions"][0]["FailureMessage"]


def test_execute_aws_api_with_outputs_and_references(ssm, account):
    create(ssm, "target-doc", [PAUSE], description="the target")
    create(
        ssm,
        "caller",
        [
            {
                "name": "Read",
                "action": "aws:executeAwsApi",
                "inputs": {"Service": "ssm", "Api": "DescribeDocument", "Name": "{{ DocumentName }}"},
                "outputs": [
                    {"Name": "Owner", "Selector": "$.Document.Owner", "Type": "String"},
                    {"Name": "Platforms", "Selector": "$.Document.PlatformTypes", "Type": "StringList"},
                    {"Name": "Version", "Selector": "$.Document.LatestVersion", "Type": "Integer"},
                ],
            },
            {
                "name": "Again",
                "action": "aws:executeAwsApi",
                "inputs": {"Service": "ssm", "Api": "get_document", "Name": "{{ DocumentName }}"},
                "outputs": [{"Name": "Content", "Selector": "$.Content", "Type": "String"}],
            },
        ],
        parameters={"DocumentName": {"type": "String"}},
        outputs=["Read.Owner", "Read.Platforms", "Read.Version"],
    )

    done = reaches(ssm, start(ssm, "caller", DocumentName="target-doc"))

    assert done["AutomationExecutionStatus"] == "Success", done.get("FailureMessage")
    assert done["Outputs"] == {
        "Read.Owner": [account.account_id],
        "Read.Platforms": ["Windows", "Linux", "MacOS"],
        "Read.Version": ["1"],
    }
    assert done["StepExecutions"][0]["Inputs"]["Name"] == "target-doc"
    assert "the target" in done["StepExecutions"][1]["Outputs"]["Content"][0]


def test_execute_aws_api_refuses_other_services_and_bad_input(ssm):
    create(
        ssm,
        "ec2-call",
        [{"name": "Ec2", "action": "aws:executeAwsApi", "inputs": {"Service": "ec2", "Api": "DescribeInstances"}}],
    )
    create(
        ssm,
        "bad-input",
        [{"name": "Get", "action": "aws:executeAwsApi", "inputs": {"Service": "ssm", "Api": "GetDocument"}}],
    )
    create(
        ssm, "no-such-api", [{"name": "Get", "action": "aws:executeAwsApi", "inputs": {"Service": "ssm", "Api": "Fly"}}]
    )
    create(
        ssm,
        "unresolved",
        [
            {
                "name": "Get",
                "action": "aws:executeAwsApi",
                "inputs": {"Service": "ssm", "Api": "GetDocument", "Name": "{{ Nope }}"},
            }
        ],
    )

    messages = {
        name: reaches(ssm, start(ssm, name))["StepExecutions"][0]["FailureMessage"]
        for name in ("ec2-call", "bad-input", "no-such-api", "unresolved")
    }

    assert "only incidentd's own services" in messages["ec2-call"]
    assert "ValidationException" in messages["bad-input"] and "Name" in messages["bad-input"]
    assert "Fly" in messages["no-such-api"]
    assert "{{ Nope }}" in messages["unresolved"]


def test_scripts_are_off_unless_the_config_allows_them(ssm):
    create(
        ssm,
        "scripted",
        [
            {
                "name": "Script",
                "action": "aws:executeScript",
                "inputs": {"Runtime": "python3.11", "Handler": "main", "Script": "def main(e, c):\n    return 1\n"},
            }
        ],
    )

    done = reaches(ssm, start(ssm, "scripted"))

    assert done["AutomationExecutionStatus"] == "Failed"
    assert "allow_scripts = true" in done["StepExecutions"][0]["FailureMessage"]


def test_a_running_execution_keeps_its_document_after_deletion(ssm):
    create(ssm, "short-lived", [PAUSE, {"name": "After", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}}])
    execution_id = start(ssm, "short-lived")
    reaches(ssm, execution_id, "Waiting")

    ssm.delete_document(Name="short-lived")
    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume")

    assert steps(reaches(ssm, execution_id)) == [("Hold", "Success"), ("After", "Success")]


def test_a_partial_approval_keeps_waiting_until_the_timeout(ssm, account):
    me = f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"
    two_of_two = {
        "name": "Approval",
        "action": "aws:approve",
        "timeoutSeconds": 2,
        "inputs": {"Approvers": [me, "arn:aws:iam::111122223333:role/Reviewers"], "MinRequiredApprovals": 2},
    }
    create(ssm, "two-approvers", [two_of_two])
    execution_id = start(ssm, "two-approvers")
    reaches(ssm, execution_id, "Waiting")

    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve")
    still = get(ssm, execution_id)
    done = reaches(ssm, execution_id)

    assert still["AutomationExecutionStatus"] == "Waiting"
    assert done["AutomationExecutionStatus"] == "TimedOut"
