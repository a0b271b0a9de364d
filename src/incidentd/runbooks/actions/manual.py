"""aws:pause and aws:approve: steps that wait for a person's SendAutomationSignal."""

from __future__ import annotations

from incidentd.runbooks.actions import WAITING, Outcome, StepCall, failed


def pause(call: StepCall) -> Outcome:
    """Wait for a Resume signal."""
    return Outcome(WAITING)


def approve(call: StepCall) -> Outcome:
    """Wait for enough Approve signals (or one Reject) from the named approvers."""
    approvers = call.inputs.get("Approvers")
    if isinstance(approvers, str):
        approvers = [approvers]
    if not isinstance(approvers, list) or not approvers or not all(isinstance(a, str) for a in approvers):
        return failed("Approvers must be a non-empty list of IAM user or role ARNs or names.")
    required = call.inputs.get("MinRequiredApprovals", 1)
    try:
        required = int(required)
    except (TypeError, ValueError):
        return failed(f"MinRequiredApprovals must be a number; {required!r} is not.")
    if not 1 <= required <= len(approvers):
        return failed(f"MinRequiredApprovals must be between 1 and the number of Approvers ({len(approvers)}).")
    return Outcome(WAITING)


def is_approver(approvers: list[str], caller_arn: str) -> bool:
    """Whether a caller is one of the approvers: by ARN, or by the user or role name at its end."""
    simple_name = caller_arn.rsplit("/", 1)[-1]
    role_name = caller_arn.split("/")[1] if ":assumed-role/" in caller_arn else None
    for approver in approvers:
        if approver == caller_arn or approver == simple_name or approver == role_name:
            return True
        if approver.startswith("arn:") and role_name and approver.endswith(f":role/{role_name}"):
            return True
    return False
