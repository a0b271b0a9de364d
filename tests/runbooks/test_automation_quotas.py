"""One account's automations can't flood the server: concurrent runs, the queue behind them and the depth of runs
started by runs are capped ([automation]), and an over-quota start is AutomationExecutionLimitExceededException."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from runbook_support import create, get, reaches, start

from support import Account, Server, wait_until

CONFIG = """
[automation]
concurrent_executions = 3
queued_executions = 2
max_depth = 2
"""
PAUSE = [{"name": "Hold", "action": "aws:pause", "inputs": {}}]


@pytest.fixture(scope="module")
def quota_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with small automation quotas."""
    # A database of its own: the session's server would otherwise take this server's jobs as a node of its cluster.
    running = Server(own_database, tmp_path_factory.mktemp("quotas"), CONFIG).start()
    yield running
    running.stop()


def _ssm(server: Server, account: Account):  # type: ignore[no-untyped-def]
    return server.client(account, "ssm")


def _self_starting(name: str, times: int) -> list[dict[str, Any]]:
    """Steps that start the document they belong to, `times` times, through aws:executeAwsApi."""
    return [
        {
            "name": f"Again{n}",
            "action": "aws:executeAwsApi",
            "onFailure": "Continue",
            "inputs": {"Service": "ssm", "Api": "StartAutomationExecution", "DocumentName": name},
        }
        for n in range(times)
    ]


def _executions(ssm) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    found: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_automation_executions").paginate():
        found += page["AutomationExecutionMetadataList"]
    return found


def _settled(ssm) -> list[dict[str, Any]] | None:  # type: ignore[no-untyped-def]
    executions = _executions(ssm)
    live = [e for e in executions if e["AutomationExecutionStatus"] in ("Pending", "InProgress", "Waiting")]
    return None if live else executions


def _refusal(exc: pytest.ExceptionInfo[ClientError]) -> str:
    assert exc.value.response["Error"]["Code"] == "AutomationExecutionLimitExceededException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(exc.value.response["Error"]["Message"])


def test_a_runbook_that_starts_itself_is_stopped_at_the_depth_cap(quota_server: Server, account: Account) -> None:
    ssm = _ssm(quota_server, account)
    create(ssm, "again", _self_starting("again", 1))
    start(ssm, "again")
    executions = wait_until(lambda: _settled(ssm), timeout=30)
    # Depth 0 starts depth 1, which starts depth 2; depth 3 is refused.
    assert len(executions) == 3
    deepest = [get(ssm, e["AutomationExecutionId"]) for e in executions if e["AutomationExecutionStatus"] == "Failed"]
    assert len(deepest) == 1
    message = deepest[0]["StepExecutions"][0]["FailureMessage"]
    assert message.startswith("AutomationExecutionLimitExceededException")
    assert "2 deep" in message


def test_a_runbook_that_starts_itself_twice_stays_within_the_quotas(quota_server: Server, account: Account) -> None:
    ssm = _ssm(quota_server, account)
    create(ssm, "twice", _self_starting("twice", 2))
    start(ssm, "twice")
    executions = wait_until(lambda: _settled(ssm), timeout=30)
    # A tree two levels deep at most: 1 + 2 + 4 runs, however the concurrency cap and the queue let them in.
    assert len(executions) <= 7
    failures = [
        step["FailureMessage"]
        for e in executions
        for step in get(ssm, e["AutomationExecutionId"])["StepExecutions"]
        if step["StepStatus"] == "Failed"
    ]
    assert failures
    assert all(message.startswith("AutomationExecutionLimitExceededException") for message in failures)


def test_starts_beyond_the_concurrent_runs_and_the_queue_are_refused(
    quota_server: Server, account: Account, other_account: Account
) -> None:
    ssm = _ssm(quota_server, account)
    create(ssm, "hold", PAUSE)
    running = [start(ssm, "hold") for _ in range(3)]
    for execution_id in running:
        reaches(ssm, execution_id, "Waiting")
    # Beyond the concurrent runs, starts wait their turn as Pending, as AWS queues them.
    queued = [start(ssm, "hold") for _ in range(2)]
    assert [get(ssm, e)["AutomationExecutionStatus"] for e in queued] == ["Pending", "Pending"]
    with pytest.raises(ClientError) as refused:
        ssm.start_automation_execution(DocumentName="hold")
    assert "3 running" in _refusal(refused)
    # Another account's quota is its own.
    other = _ssm(quota_server, other_account)
    create(other, "hold", PAUSE)
    reaches(other, start(other, "hold"), "Waiting")
    # A run that ends lets the oldest queued one start; a queued one can be stopped before it starts.
    ssm.stop_automation_execution(AutomationExecutionId=running[0])
    reaches(ssm, queued[0], "Waiting")
    assert get(ssm, queued[1])["AutomationExecutionStatus"] == "Pending"
    ssm.stop_automation_execution(AutomationExecutionId=queued[1])
    assert get(ssm, queued[1])["AutomationExecutionStatus"] == "Cancelled"
    latest = reaches(ssm, start(ssm, "hold"), "Pending")["AutomationExecutionId"]
    for execution_id in running[1:] + queued[:1]:
        ssm.stop_automation_execution(AutomationExecutionId=execution_id)
    reaches(ssm, latest, "Waiting")
    ssm.stop_automation_execution(AutomationExecutionId=latest)
    wait_until(lambda: _settled(ssm), timeout=30)


def test_a_queued_run_takes_no_signal_until_it_starts(quota_server: Server, account: Account) -> None:
    ssm = _ssm(quota_server, account)
    create(ssm, "hold", PAUSE)
    running = [start(ssm, "hold") for _ in range(3)]
    for execution_id in running:
        reaches(ssm, execution_id, "Waiting")
    queued = start(ssm, "hold")
    with pytest.raises(ClientError) as refused:
        ssm.send_automation_signal(AutomationExecutionId=queued, SignalType="Resume")
    assert refused.value.response["Error"]["Code"] == "InvalidAutomationSignalException"
    for execution_id in running:
        ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume")
    assert reaches(ssm, queued, "Waiting")["StepExecutions"][0]["StepName"] == "Hold"
    ssm.stop_automation_execution(AutomationExecutionId=queued)
    wait_until(lambda: _settled(ssm), timeout=30)
