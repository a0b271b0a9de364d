"""aws:executeScript: checked here, then run by an effect job in a sandboxed subprocess (runbooks.sandbox)."""

from __future__ import annotations

from typing import Any

from incidentd.runbooks.actions import SCRIPT, Outcome, StepCall, failed

DEFAULT_TIMEOUT_SECONDS = 600
MAX_TIMEOUT_SECONDS = 600  # AWS's own limit for aws:executeScript

DISABLED = (
    "aws:executeScript is turned off on this server. An operator can turn it on with "
    "'[runbooks] allow_scripts = true' in incidentd's config file."
)


def timeout_seconds(definition: dict[str, Any]) -> int:
    """The step's timeoutSeconds, capped; the default when absent."""
    return min(int(definition.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS)


def run(call: StepCall) -> Outcome:
    """Refuse what can't run here; otherwise hand the step to the script job."""
    if not call.env.settings.runbooks.allow_scripts:
        return failed(DISABLED)
    runtime = str(call.inputs.get("Runtime", ""))
    if not runtime.startswith("python3"):
        return failed(f"Runtime '{runtime}' is not supported: incidentd runs Python 3 scripts only (python3.x).")
    if "Attachment" in call.inputs or not isinstance(call.inputs.get("Script"), str):
        return failed("The script must be given inline in the Script input; attachments are not supported.")
    payload = call.inputs.get("InputPayload", {})
    if not isinstance(payload, dict):
        return failed("InputPayload must be an object.")
    return Outcome(SCRIPT)
