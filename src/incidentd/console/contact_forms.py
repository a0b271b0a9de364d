"""The contact pages' forms and the API parameters they stand for, both ways: pure functions, no I/O.

A plan is edited as numbered fields (`stage-0-minutes`, `stage-0-channel-2`, `stage-1-target-0`, ...), because a
console form carries one value per name. "Add stage", "Remove stage" and "Add target" are submit buttons named
`action`: they change the form and show it again, and nothing is saved until "Save".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.console.errors import FormErrors
from incidentd.protocol.errors import ServiceError

PERSONAL, ESCALATION, SCHEDULE = "PERSONAL", "ESCALATION", "ONCALL_SCHEDULE"
CHANNEL_TYPES = ("EMAIL", "SMS", "VOICE")
MAX_STAGES = 30  # more than any plan needs; a form can't make the page grow without end
MAX_TARGETS = 30
MAX_ROWS = 1000  # a channel's row number in a stage; beyond it a field is not one the form made
ALIAS = re.compile(r"^[a-z0-9_\-]{1,255}$")

_STAGE_FIELD = re.compile(r"^stage-(\d+)-(minutes|channel|retry|target|essential)(?:-(\d+))?$")
# Where Coral's messages put a stage's members: 'Plan.Stages.2.member.Targets.1.member.ChannelTargetInfo.…'.
_AT_STAGE = re.compile(r"Stages\.(\d+)\.member\.(?:DurationInMinutes|Targets\.(\d+)\.member\.(\w+)(?:\.(\w+))?)")
# The service's own words for a stage (1-based): "stage 2 has a DurationInMinutes of 0 and no target".
_STAGE_NUMBER = re.compile(r"stage (\d+) has a DurationInMinutes")


@dataclass
class Target:
    """One target of an escalation stage: a contact or on-call schedule ('' until chosen), and whether its
    acknowledgement stops the plan."""

    contact: str = ""
    essential: bool = False


@dataclass
class Stage:
    """A stage as the form shows it: minutes as typed, and its targets."""

    minutes: str = ""
    channels: dict[str, str] = field(default_factory=dict)  # personal: engaged channel ARN -> retry minutes as typed
    targets: list[Target] = field(default_factory=list)  # escalation plans


def number(text: str) -> int | str:
    """A whole number the form holds, or the text itself, so that the API's validation names what is wrong."""
    text = text.strip()
    return int(text) if text.isdigit() else text


# --- Plans ----------------------------------------------------------------------------------------------------


def stages_of_plan(plan: Mapping[str, Any] | None) -> list[Stage]:
    """The stages of a contact's plan as GetContact returns it."""
    stages = []
    for stage in (plan or {}).get("Stages") or []:
        shown = Stage(minutes=str(stage.get("DurationInMinutes", "")))
        for target in stage.get("Targets") or []:
            channel = target.get("ChannelTargetInfo")
            contact = target.get("ContactTargetInfo")
            if channel is not None:
                retry = channel.get("RetryIntervalInMinutes")
                shown.channels[channel["ContactChannelId"]] = "" if retry is None else str(retry)
            elif contact is not None:
                shown.targets.append(Target(contact.get("ContactId", ""), bool(contact.get("IsEssential"))))
        stages.append(shown)
    return stages


def stages_of_form(form: Mapping[str, str]) -> list[Stage]:
    """The stages a posted plan form holds, in the order of their numbers."""
    count = number(form.get("stages", "0"))
    stages = [Stage() for _ in range(min(count, MAX_STAGES) if isinstance(count, int) else 0)]
    channels: dict[tuple[int, int], str] = {}
    retries: dict[tuple[int, int], str] = {}
    targets: dict[tuple[int, int], Target] = {}
    for name, value in form.items():
        found = _STAGE_FIELD.match(name)
        if found is None or int(found[1]) >= len(stages):
            continue
        index, part, row = int(found[1]), found[2], int(found[3] or 0)
        if row >= MAX_ROWS:
            continue
        if part == "minutes":
            stages[index].minutes = value.strip()
        elif part == "channel" and value:
            channels[index, row] = value
        elif part == "retry":
            retries[index, row] = value.strip()
        elif part == "target":
            targets.setdefault((index, row), Target()).contact = value
        elif part == "essential":
            targets.setdefault((index, row), Target()).essential = bool(value)
    for (index, row), arn in sorted(channels.items()):
        stages[index].channels[arn] = retries.get((index, row), "")
    for (index, _row), target in sorted(targets.items()):
        if len(stages[index].targets) < MAX_TARGETS:
            stages[index].targets.append(target)
    return stages


def change(stages: list[Stage], action: str) -> list[Stage] | None:
    """The stages after an "Add stage", "Remove stage" or "Add target" button; None for "Save" (or anything else)."""
    if action == "add-stage":
        return [*stages, Stage(targets=[Target()])][:MAX_STAGES]
    kind, _, index_text = action.rpartition("-")
    if not index_text.isdigit() or int(index_text) >= len(stages):
        return None
    index = int(index_text)
    if kind == "remove-stage":
        return stages[:index] + stages[index + 1 :]
    if kind == "add-target":
        changed = list(stages)
        changed[index] = Stage(stages[index].minutes, dict(stages[index].channels), [*stages[index].targets, Target()])
        changed[index].targets = changed[index].targets[:MAX_TARGETS]
        return changed
    return None


def plan_of(stages: list[Stage]) -> dict[str, Any]:
    """The Plan for CreateContact/UpdateContact: every stage in order, targets left empty in the form skipped."""
    plan_stages = []
    for stage in stages:
        targets: list[dict[str, Any]] = []
        for arn, retry in stage.channels.items():
            info: dict[str, Any] = {"ContactChannelId": arn}
            if retry != "":
                info["RetryIntervalInMinutes"] = number(retry)
            targets.append({"ChannelTargetInfo": info})
        for target in stage.targets:
            if target.contact:
                targets.append({"ContactTargetInfo": {"ContactId": target.contact, "IsEssential": target.essential}})
        plan_stages.append({"DurationInMinutes": number(stage.minutes), "Targets": targets})
    return {"Stages": plan_stages}


def plan_errors(error: ServiceError, stages: list[Stage], channel_rows: list[str]) -> FormErrors:
    """The API's refusal of a plan beside the field it concerns: a stage's minutes, a channel's retry interval or an
    escalation target; above the form otherwise. channel_rows are the channel ARNs in the order the form numbers."""
    found = _AT_STAGE.search(error.message)
    if found is not None:
        index = int(found[1]) - 1
        if found[2] is None:
            return FormErrors(fields={f"stage-{index}-minutes": error.message})
        field_name = _target_field(stages, channel_rows, index, int(found[2]) - 1)
        if field_name:
            return FormErrors(fields={field_name: error.message})
    numbered = _STAGE_NUMBER.search(error.message)
    if numbered is not None:
        return FormErrors(fields={f"stage-{int(numbered[1]) - 1}-minutes": error.message})
    return FormErrors(form=error.message)


def _target_field(stages: list[Stage], channel_rows: list[str], index: int, target: int) -> str | None:
    """The form field of the target-th target plan_of made of a stage."""
    if not 0 <= index < len(stages):
        return None
    stage = stages[index]
    engaged = list(stage.channels)
    if target < len(engaged):
        arn = engaged[target]
        return f"stage-{index}-retry-{channel_rows.index(arn)}" if arn in channel_rows else None
    chosen = [row for row, t in enumerate(stage.targets) if t.contact]
    offset = target - len(engaged)
    return f"stage-{index}-target-{chosen[offset]}" if offset < len(chosen) else None


def channel_rows(channels: list[dict[str, Any]], stages: list[Stage]) -> list[str]:
    """The channel ARNs a personal plan form offers in each stage: the contact's channels, then any a stage still
    names that no longer exist (so that they can be taken out)."""
    rows = [channel["ContactChannelArn"] for channel in channels]
    for stage in stages:
        rows += [arn for arn in stage.channels if arn not in rows]
    return rows


# --- Contacts and channels ------------------------------------------------------------------------------------


def new_contact_params(form: Mapping[str, str], kind: str) -> dict[str, Any]:
    """CreateContact's parameters from the new-contact form; the plan starts empty and is edited on its page."""
    params: dict[str, Any] = {"Alias": form.get("alias", "").strip(), "Type": kind, "Plan": {"Stages": []}}
    display_name = form.get("display_name", "").strip()
    if display_name:
        params["DisplayName"] = display_name
    return params


CONTACT_FIELDS = {"Alias": "alias", "DisplayName": "display_name", "Type": "type"}


def new_channel_params(form: Mapping[str, str], contact_arn: str) -> dict[str, Any]:
    """CreateContactChannel's parameters from the add-channel form."""
    params: dict[str, Any] = {
        "ContactId": contact_arn,
        "Name": form.get("name", "").strip(),
        "Type": form.get("type", ""),
        "DeliveryAddress": {"SimpleAddress": form.get("address", "").strip()},
    }
    if form.get("defer"):
        params["DeferActivation"] = True
    return params


def channel_update_params(form: Mapping[str, str], channel_arn: str, suffix: str) -> dict[str, Any]:
    """UpdateContactChannel's parameters from a channel's edit form (fields named name-<id>, address-<id>)."""
    return {
        "ContactChannelId": channel_arn,
        "Name": form.get(f"name-{suffix}", "").strip(),
        "DeliveryAddress": {"SimpleAddress": form.get(f"address-{suffix}", "").strip()},
    }


def channel_errors(error: ServiceError, suffix: str = "") -> FormErrors:
    """A channel form's refusal beside its field: the address the service found wrong, or the member named."""
    tail = f"-{suffix}" if suffix else ""
    if "is not an email address" in error.message or "is not a phone number" in error.message:
        return FormErrors(fields={f"address{tail}": error.message})
    members = {"Name": f"name{tail}", "SimpleAddress": f"address{tail}", "DeliveryAddress": f"address{tail}"}
    if not suffix:
        members["Type"] = "type"
    return FormErrors.of(error, members)
