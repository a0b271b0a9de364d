"""aws:executeScript on a server whose config allows scripts, and the sandbox itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from runbook_support import create, reaches, start

from incidentd.runbooks import sandbox
from support import Account, Server

SCRIPT_CONFIG = """
[replication]
settle_seconds = 0.2

[runbooks]
allow_scripts = true
"""
PROBE = "INCIDENTD_SECRET_PROBE"

SCRIPT = """
import os

def handler(events, context):
    print("looking around")
    return {
        "greeting": "hello " + events["name"],
        "count": events["count"] + 1,
        "environment": sorted(os.environ),
        "cwd": os.getcwd(),
        "execution": context["automation:EXECUTION_ID"],
    }
"""


@pytest.fixture(scope="module")
def script_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that runs scripts, on a database of its own (the shared server's worker must not take its jobs)."""
    running = Server(
        own_database, tmp_path_factory.mktemp("scripts"), SCRIPT_CONFIG, extra_env={PROBE: "do-not-leak"}
    ).start()
    yield running
    running.stop()


def script_step(script: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "name": "Script",
        "action": "aws:executeScript",
        "inputs": {"Runtime": "python3.11", "Handler": "handler", "Script": script, **extra.pop("inputs", {})},
        **extra,
    }


def test_a_script_runs_in_a_sandbox_and_returns_outputs(script_server: Server, account: Account):
    ssm = script_server.client(account, "ssm")
    step = script_step(
        SCRIPT,
        inputs={"InputPayload": {"name": "{{ Who }}", "count": 41}},
        outputs=[
            {"Name": "Greeting", "Selector": "$.Payload.greeting", "Type": "String"},
            {"Name": "Count", "Selector": "$.Payload.count", "Type": "Integer"},
        ],
    )
    after = {
        "name": "Check",
        "action": "aws:branch",
        "inputs": {
            "Choices": [{"NextStep": "Good", "Variable": "{{ Script.Count }}", "NumericEquals": 42}],
            "Default": "Bad",
        },
    }
    good = {"name": "Good", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "isEnd": True}
    bad = {"name": "Bad", "action": "aws:runCommand", "inputs": {}}
    create(
        ssm, "scripted", [step, after, good, bad], parameters={"Who": {"type": "String"}}, outputs=["Script.Greeting"]
    )

    execution_id = start(ssm, "scripted", Who="runbook")
    done = reaches(ssm, execution_id, timeout=30)

    assert done["AutomationExecutionStatus"] == "Success", done.get("FailureMessage")
    assert done["Outputs"] == {"Script.Greeting": ["hello runbook"]}
    assert [s["StepName"] for s in done["StepExecutions"]] == ["Script", "Check", "Good"]
    outputs = done["StepExecutions"][0]["Outputs"]
    assert outputs["Count"] == ["42"]
    payload = json.loads(outputs["Payload"][0])
    assert payload["execution"] == execution_id
    # An empty environment: none of the server's variables (Python may add LC_CTYPE for its own locale).
    assert set(payload["environment"]) <= {"LC_CTYPE"}
    assert "incidentd-script-" in payload["cwd"]
    assert "looking around" in done["StepExecutions"][0]["Response"]


def test_a_failing_or_slow_script_fails_its_step(script_server: Server, account: Account):
    ssm = script_server.client(account, "ssm")
    create(ssm, "raises", [script_step("def handler(events, context):\n    raise RuntimeError('no disk')\n")])
    create(
        ssm, "slow", [script_step("def handler(events, context):\n    while True:\n        pass\n", timeoutSeconds=1)]
    )
    create(ssm, "powershell", [script_step("x", inputs={"Runtime": "PowerShell 7.4"})])

    raised = reaches(ssm, start(ssm, "raises"), timeout=30)
    slow = reaches(ssm, start(ssm, "slow"), timeout=30)
    powershell = reaches(ssm, start(ssm, "powershell"), timeout=30)

    assert raised["AutomationExecutionStatus"] == "Failed"
    assert "RuntimeError: no disk" in raised["StepExecutions"][0]["FailureMessage"]
    assert slow["AutomationExecutionStatus"] == "Failed"
    assert "within 1 seconds" in slow["StepExecutions"][0]["FailureMessage"]
    assert "Python 3" in powershell["StepExecutions"][0]["FailureMessage"]


def test_the_sandbox_stops_a_script_when_asked():
    looping = "def handler(events, context):\n    while True:\n        pass\n"

    stopped = sandbox.run(looping, "handler", {}, {}, timeout=30, keep_going=lambda: False, check_every=0.2)
    missing = sandbox.run("x = 1\n", "handler", {}, {}, timeout=10)
    unjsonable = sandbox.run("def handler(e, c):\n    return object()\n", "handler", {}, {}, timeout=10)
    fine = sandbox.run("def handler(e, c):\n    return e['a'] * 2\n", "handler", {"a": 21}, {}, timeout=10)

    assert not stopped.ok and "stopped" in stopped.error
    assert not missing.ok and "handler" in missing.error
    assert not unjsonable.ok and "serializable" in unjsonable.error
    assert fine.ok and fine.value == 42
