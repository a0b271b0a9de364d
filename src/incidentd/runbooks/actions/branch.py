"""aws:branch: the first true choice names the next step; else Default; else the following step."""

from __future__ import annotations

from incidentd.runbooks import conditions
from incidentd.runbooks.actions import SUCCESS, Outcome, StepCall, failed


def run(call: StepCall) -> Outcome:
    """Evaluate the (resolved) Choices."""
    choices = call.inputs.get("Choices")
    if not isinstance(choices, list):
        return failed("Choices must be a list.")
    default = call.inputs.get("Default")
    try:
        target = conditions.next_step(choices, str(default) if default is not None else None)
    except conditions.ChoiceError as error:
        return failed(f"A choice can't be evaluated: {error}")
    return Outcome(SUCCESS, next_step=target)
