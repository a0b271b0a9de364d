"""The response plan form's fields, to and from CreateResponsePlan / UpdateResponsePlan parameters.

Pure functions: no I/O, so every mapping can be tested without a server. The form shows every member as text (or a
choice); an empty optional section is left out of the request entirely, so a plan made here stores exactly what the
equivalent API request stores. Only the shape is built here: the API checks every value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from incidentd.console.errors import FormErrors
from incidentd.protocol.errors import ServiceError

TARGET_ACCOUNTS = ("RESPONSE_PLAN_OWNER_ACCOUNT", "IMPACTED_ACCOUNT")

# Text fields of the form, by their HTML names (which are the API's member names where there is one).
TEXT_FIELDS = (
    "name",
    "displayName",
    "title",
    "impact",
    "summary",
    "dedupeString",
    "incidentTags",
    "chatChannel",
    "documentName",
    "documentVersion",
    "roleArn",
    "targetAccount",
    "parameters",
    "dynamicParameters",
    "pagerDutyName",
    "secretId",
    "serviceId",
    "tags",
    "clientToken",
)
# Fields with several values (multiple selects).
CHOICE_FIELDS = ("notificationTargets", "engagements")
_RUNBOOK_FIELDS = ("documentName", "documentVersion", "roleArn", "targetAccount", "parameters", "dynamicParameters")
_PAGERDUTY_FIELDS = ("pagerDutyName", "secretId", "serviceId")

# UpdateResponsePlan's flattened template members, by the template field each replaces, and how each is cleared.
_TEMPLATE_UPDATES = {
    "title": "incidentTemplateTitle",
    "impact": "incidentTemplateImpact",
    "summary": "incidentTemplateSummary",
    "dedupeString": "incidentTemplateDedupeString",
    "notificationTargets": "incidentTemplateNotificationTargets",
    "incidentTags": "incidentTemplateTags",
}
_CLEARED: dict[str, Any] = {
    "summary": "",
    "dedupeString": "",
    "notificationTargets": [],
    "incidentTags": {},
    "displayName": "",
    "chatChannel": {"empty": {}},
    "engagements": [],
    "actions": [],
    "integrations": [],
}

# The API member (the last part of a validation message's path) each form field shows messages for.
_MEMBER_FIELDS = {
    "name": "name",
    "displayName": "displayName",
    "title": "title",
    "incidentTemplateTitle": "title",
    "impact": "impact",
    "incidentTemplateImpact": "impact",
    "summary": "summary",
    "incidentTemplateSummary": "summary",
    "dedupeString": "dedupeString",
    "incidentTemplateDedupeString": "dedupeString",
    "notificationTargets": "notificationTargets",
    "incidentTemplateNotificationTargets": "notificationTargets",
    "snsTopicArn": "notificationTargets",
    "incidentTags": "incidentTags",
    "incidentTemplateTags": "incidentTags",
    "chatChannel": "chatChannel",
    "chatbotSns": "chatChannel",
    "engagements": "engagements",
    "actions": "documentName",
    "ssmAutomation": "documentName",
    "documentName": "documentName",
    "documentVersion": "documentVersion",
    "roleArn": "roleArn",
    "targetAccount": "targetAccount",
    "parameters": "parameters",
    "dynamicParameters": "dynamicParameters",
    "variable": "dynamicParameters",
    "integrations": "pagerDutyName",
    "secretId": "secretId",
    "serviceId": "serviceId",
    "pagerDutyIncidentConfiguration": "serviceId",
    "tags": "tags",
}
_PAGERDUTY_MEMBER = re.compile(r"at '[^']*pagerDutyConfiguration\.name'")
_SECRET_MESSAGE = "Secrets Manager secret"


@dataclass
class PlanFields:
    """What the form shows: text by field name, and the chosen values of the multiple selects."""

    text: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """A text field's value ("" when empty)."""
        return self.text.get(name, "")

    def values(self, name: str) -> list[str]:
        """A multiple select's chosen values."""
        return self.chosen.get(name, [])


class FieldError(ValueError):
    """A field the form can't turn into a request (a line that is not key=value, a required choice left empty)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


# -- From a stored plan to the form -------------------------------------------------------------------------------


def fields_of(plan: dict[str, Any]) -> PlanFields:
    """The form filled with a plan as GetResponsePlan answers it."""
    template = plan.get("incidentTemplate") or {}
    text = {
        "name": str(plan.get("name", "")),
        "displayName": str(plan.get("displayName", "")),
        "title": str(template.get("title", "")),
        "impact": str(template.get("impact", "")),
        "summary": str(template.get("summary", "")),
        "dedupeString": str(template.get("dedupeString", "")),
        "incidentTags": _pairs_text(template.get("incidentTags") or {}),
        "chatChannel": "\n".join((plan.get("chatChannel") or {}).get("chatbotSns") or []),
    }
    automation = _first(plan.get("actions"), "ssmAutomation")
    if automation:
        text.update(
            documentName=str(automation.get("documentName", "")),
            documentVersion=str(automation.get("documentVersion", "")),
            roleArn=str(automation.get("roleArn", "")),
            targetAccount=str(automation.get("targetAccount", "")),
            parameters=_parameters_text(automation.get("parameters") or {}),
            dynamicParameters=_pairs_text(
                {key: value.get("variable", "") for key, value in (automation.get("dynamicParameters") or {}).items()}
            ),
        )
    pagerduty = _first(plan.get("integrations"), "pagerDutyConfiguration")
    if pagerduty:
        text.update(
            pagerDutyName=str(pagerduty.get("name", "")),
            secretId=str(pagerduty.get("secretId", "")),
            serviceId=str((pagerduty.get("pagerDutyIncidentConfiguration") or {}).get("serviceId", "")),
        )
    targets = [t["snsTopicArn"] for t in template.get("notificationTargets") or [] if "snsTopicArn" in t]
    return PlanFields(text, {"notificationTargets": targets, "engagements": list(plan.get("engagements") or [])})


def _first(items: Any, kind: str) -> dict[str, Any]:
    """The first union member of a kind in an actions/integrations list (the API allows one)."""
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get(kind), dict):
            return dict(item[kind])
    return {}


def _pairs_text(pairs: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in pairs.items())


def _parameters_text(parameters: dict[str, list[str]]) -> str:
    """One key=value line per value; a key with no values stands alone."""
    lines: list[str] = []
    for key, values in parameters.items():
        lines += [f"{key}={value}" for value in values] if values else [key]
    return "\n".join(lines)


# -- From the form to the plan ------------------------------------------------------------------------------------


def plan_of(fields: PlanFields) -> dict[str, Any]:
    """The plan's members (displayName, incidentTemplate, chatChannel, engagements, actions, integrations) the form
    describes, leaving out every empty optional one. Raises FieldError for a key=value field it can't read."""
    template: dict[str, Any] = {"title": fields.get("title").strip(), "impact": _impact(fields.get("impact"))}
    if fields.get("impact").strip() == "":
        del template["impact"]  # the API says the impact is required, beside the field
    for name in ("summary", "dedupeString"):
        if fields.get(name).strip():
            template[name] = fields.get(name).strip()
    targets = [arn for arn in fields.values("notificationTargets") if arn]
    if targets:
        template["notificationTargets"] = [{"snsTopicArn": arn} for arn in targets]
    incident_tags = _pairs("incidentTags", fields.get("incidentTags"))
    if incident_tags:
        template["incidentTags"] = incident_tags
    plan: dict[str, Any] = {"incidentTemplate": template}
    if fields.get("displayName").strip():
        plan["displayName"] = fields.get("displayName").strip()
    topics = _lines(fields.get("chatChannel"))
    if topics:
        plan["chatChannel"] = {"chatbotSns": topics}
    engagements = [arn for arn in fields.values("engagements") if arn]
    if engagements:
        plan["engagements"] = engagements
    if any(fields.get(name).strip() for name in _RUNBOOK_FIELDS):
        plan["actions"] = [{"ssmAutomation": _automation(fields)}]
    if any(fields.get(name).strip() for name in _PAGERDUTY_FIELDS):
        plan["integrations"] = [{"pagerDutyConfiguration": _pagerduty(fields)}]
    return plan


def create_params(fields: PlanFields) -> dict[str, Any]:
    """CreateResponsePlan's parameters: the plan with its name and, when given, its tags and the form's client token
    (so that a form posted twice makes one plan)."""
    params: dict[str, Any] = {"name": fields.get("name").strip(), **plan_of(fields)}
    tags = _pairs("tags", fields.get("tags"))
    if tags:
        params["tags"] = tags
    if fields.get("clientToken"):
        params["clientToken"] = fields.get("clientToken")
    return params


def update_params(arn: str, current: dict[str, Any], fields: PlanFields) -> dict[str, Any]:
    """UpdateResponsePlan's parameters: only the members the form changed, each cleared the API's way when emptied."""
    wanted = plan_of(fields)
    params: dict[str, Any] = {"arn": arn}
    for member in ("displayName", "chatChannel", "engagements", "actions", "integrations"):
        before, after = _meaningful(current.get(member)), _meaningful(wanted.get(member))
        if before != after:
            params[member] = after if after is not None else _CLEARED[member]
    current_template, wanted_template = current.get("incidentTemplate") or {}, wanted["incidentTemplate"]
    for name, member in _TEMPLATE_UPDATES.items():
        before, after = _meaningful(current_template.get(name)), _meaningful(wanted_template.get(name))
        if before != after:
            if after is None and name == "impact":
                raise FieldError("impact", "Choose an impact.")  # required: UpdateResponsePlan can't clear it
            params[member] = after if after is not None else _CLEARED.get(name, "")
    return params


def _meaningful(value: Any) -> Any:
    """A member's value, with the API's ways of saying "none" ("", [], {}, an empty chat channel) as None."""
    if value in ("", [], {}, {"empty": {}}):
        return None
    return value


def _impact(text: str) -> Any:
    """The impact as a number; anything else goes to the API as it is, which names what it takes."""
    text = text.strip()
    return int(text) if text.isdigit() else text


def _automation(fields: PlanFields) -> dict[str, Any]:
    automation: dict[str, Any] = {}
    for name in ("documentName", "documentVersion", "roleArn", "targetAccount"):
        if fields.get(name).strip():
            automation[name] = fields.get(name).strip()
    parameters = _parameters(fields.get("parameters"))
    if parameters:
        automation["parameters"] = parameters
    dynamic = _pairs("dynamicParameters", fields.get("dynamicParameters"))
    if dynamic:
        automation["dynamicParameters"] = {key: {"variable": value} for key, value in dynamic.items()}
    return automation


def _pagerduty(fields: PlanFields) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if fields.get("pagerDutyName").strip():
        config["name"] = fields.get("pagerDutyName").strip()
    if fields.get("secretId").strip():
        config["secretId"] = fields.get("secretId").strip()
    if fields.get("serviceId").strip():
        config["pagerDutyIncidentConfiguration"] = {"serviceId": fields.get("serviceId").strip()}
    return config


def _lines(text: str) -> list[str]:
    """The non-blank lines of a text area, trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _pairs(field_name: str, text: str) -> dict[str, str]:
    """key=value lines as a map; a key given twice is an error (a map has one value per key)."""
    pairs: dict[str, str] = {}
    for line in _lines(text):
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key:
            raise FieldError(field_name, f"Line {line!r} is not key=value.")
        if key in pairs:
            raise FieldError(field_name, f"Key {key!r} is given twice.")
        pairs[key] = value.strip()
    return pairs


def _parameters(text: str) -> dict[str, list[str]]:
    """key=value lines as SSM parameters: a repeated key makes a list of values; a key alone, an empty list."""
    parameters: dict[str, list[str]] = {}
    for line in _lines(text):
        key, equals, value = line.partition("=")
        key = key.strip()
        if not key:
            raise FieldError("parameters", f"Line {line!r} has no key.")
        values = parameters.setdefault(key, [])
        if equals:
            values.append(value.strip())
    return parameters


# -- The API's refusals beside their fields -----------------------------------------------------------------------


def errors_of(error: ServiceError) -> FormErrors:
    """The API's message beside the field it concerns (or above the form)."""
    if error.code == "ConflictException":
        return FormErrors(fields={"name": error.message})  # the only conflict is a name already taken
    if _SECRET_MESSAGE in error.message:
        return FormErrors(fields={"secretId": error.message})
    if _PAGERDUTY_MEMBER.search(error.message):
        return FormErrors(fields={"pagerDutyName": error.message})
    return FormErrors.of(error, _MEMBER_FIELDS)


def field_error(error: FieldError) -> FormErrors:
    """A field the form could not read, beside it."""
    return FormErrors(fields={error.field_name: error.message})
