"""Writing automation documents and waiting for their executions to get somewhere."""

from __future__ import annotations

from typing import Any

import yaml

from support import wait_until

ENDED = ("Success", "Failed", "Cancelled", "TimedOut")


def create(ssm, name: str, steps: list[dict[str, Any]], **document: Any) -> str:  # type: ignore[no-untyped-def]
    """Create an Automation document with these steps (and other top-level members); its name."""
    content = yaml.safe_dump({"schemaVersion": "0.3", **document, "mainSteps": steps}, sort_keys=False)
    ssm.create_document(Name=name, Content=content, DocumentType="Automation", DocumentFormat="YAML")
    return name


def start(ssm, name: str, **parameters: Any) -> str:  # type: ignore[no-untyped-def]
    """Start a document with string parameters; the execution id."""
    given = {key: value if isinstance(value, list) else [str(value)] for key, value in parameters.items()}
    extra = {"Parameters": given} if given else {}
    return str(ssm.start_automation_execution(DocumentName=name, **extra)["AutomationExecutionId"])


def get(ssm, execution_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The execution as GetAutomationExecution shows it."""
    return dict(ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"])


def reaches(ssm, execution_id: str, *statuses: str, timeout: float = 15) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Wait until the execution has one of the statuses (any end, by default); the execution."""
    wanted = statuses or ENDED

    def check() -> dict[str, Any] | None:
        execution = get(ssm, execution_id)
        return execution if execution["AutomationExecutionStatus"] in wanted else None

    return wait_until(check, timeout=timeout)  # type: ignore[no-any-return]


def steps(execution: dict[str, Any]) -> list[tuple[str, str]]:
    """(step name, status) of every step the execution has run."""
    return [(s["StepName"], s["StepStatus"]) for s in execution["StepExecutions"]]
