"""One module per automation action; each turns a step's resolved inputs into an Outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incidentd.runbooks.engine import Env

SUCCESS = "Success"
FAILED = "Failed"
WAITING = "Waiting"  # aws:pause and aws:approve: until a signal (or the step's timeout)
SLEEPING = "Sleeping"  # aws:sleep: until wake_ms
SCRIPT = "Script"  # aws:executeScript: handed to an effect job


@dataclass
class Outcome:
    """What running a step came to."""

    status: str
    outputs: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    next_step: str | None = None
    wake_ms: int | None = None


@dataclass
class StepCall:
    """A step about to run: its definition, resolved inputs and the execution it belongs to."""

    env: Env
    execution: dict[str, Any]
    definition: dict[str, Any]
    inputs: dict[str, Any]


Action = Callable[[StepCall], Outcome]


def failed(message: str) -> Outcome:
    """A step failure with a message for FailureMessage."""
    return Outcome(FAILED, message=message)


def registry() -> dict[str, Action]:
    """Action name -> the function that runs it."""
    from incidentd.runbooks.actions import aws_api, branch, manual, script, sleep

    return {
        "aws:pause": manual.pause,
        "aws:approve": manual.approve,
        "aws:sleep": sleep.run,
        "aws:branch": branch.run,
        "aws:executeAwsApi": aws_api.run,
        "aws:executeScript": script.run,
    }
