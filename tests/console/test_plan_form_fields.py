"""The plan form's fields to and from CreateResponsePlan / UpdateResponsePlan parameters, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from incidentd.console.plan_form import FieldError, PlanFields, create_params, errors_of, fields_of, update_params
from incidentd.protocol.errors import ServiceError

ARN = "arn:aws:ssm-incidents::111122223333:response-plan/full"
CONTACT = "arn:aws:ssm-contacts:us-east-1:111122223333:contact/example"
TOPIC = "arn:aws:sns:us-east-1:111122223333:Standard_User"
ROLE = "arn:aws:iam::111122223333:role/runbook"

# A plan using every member CreateResponsePlan takes.
FULL_PLAN: dict[str, Any] = {
    "name": "full",
    "displayName": "Full plan",
    "incidentTemplate": {
        "title": "Checkout down",
        "impact": 2,
        "summary": "Orders fail.\nSee the dashboard.",
        "dedupeString": "checkout",
        "notificationTargets": [{"snsTopicArn": TOPIC}],
        "incidentTags": {"team": "payments", "tier": "1"},
    },
    "chatChannel": {"chatbotSns": [TOPIC, "arn:aws:sns:us-east-1:111122223333:Other"]},
    "engagements": [CONTACT],
    "actions": [
        {
            "ssmAutomation": {
                "documentName": "Runbook",
                "documentVersion": "$LATEST",
                "roleArn": ROLE,
                "targetAccount": "IMPACTED_ACCOUNT",
                "parameters": {"Ids": ["a", "b"], "Mode": ["fast"], "Empty": []},
                "dynamicParameters": {"Incident": {"variable": "INCIDENT_RECORD_ARN"}},
            }
        }
    ],
    "integrations": [
        {
            "pagerDutyConfiguration": {
                "name": "pd",
                "secretId": "pd-secret",
                "pagerDutyIncidentConfiguration": {"serviceId": "PSERVICE"},
            }
        }
    ],
}


def sample_fields(**text: str) -> PlanFields:
    """The form filled with the documentation's sample request."""
    values = {
        "name": "example-response",
        "displayName": "Example response plan",
        "title": "example-incident",
        "impact": "5",
        "chatChannel": TOPIC,
        "documentName": "AWSIncidents-CriticalIncidentRunbookTemplate",
        "documentVersion": "$DEFAULT",
        "roleArn": "arn:aws:iam::111122223333:role/aws-service-role/ssm-incidents.amazonaws.com/"
        "AWSServiceRoleForIncidentManager",
        "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
    }
    values.update(text)
    return PlanFields(values, {"engagements": [CONTACT]})


def test_the_sample_fields_make_the_sample_request():
    params = create_params(sample_fields())

    assert params == {
        "actions": [
            {
                "ssmAutomation": {
                    "documentName": "AWSIncidents-CriticalIncidentRunbookTemplate",
                    "documentVersion": "$DEFAULT",
                    "roleArn": "arn:aws:iam::111122223333:role/aws-service-role/ssm-incidents.amazonaws.com/"
                    "AWSServiceRoleForIncidentManager",
                    "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
                }
            }
        ],
        "chatChannel": {"chatbotSns": [TOPIC]},
        "displayName": "Example response plan",
        "engagements": [CONTACT],
        "incidentTemplate": {"impact": 5, "title": "example-incident"},
        "name": "example-response",
    }


def test_empty_optional_sections_are_left_out():
    params = create_params(PlanFields({"name": "bare", "title": "Bare", "impact": "3", "targetAccount": ""}))

    assert params == {"name": "bare", "incidentTemplate": {"title": "Bare", "impact": 3}}


def test_a_plan_shown_in_the_form_and_saved_unchanged_is_the_same_plan():
    fields = fields_of(FULL_PLAN)

    params = create_params(fields)

    assert params == FULL_PLAN
    assert update_params(ARN, FULL_PLAN, fields) == {"arn": ARN}


def test_parameters_are_key_value_lines_with_repeated_keys_for_lists():
    fields = fields_of(FULL_PLAN)

    assert fields.get("parameters") == "Ids=a\nIds=b\nMode=fast\nEmpty"
    assert fields.get("dynamicParameters") == "Incident=INCIDENT_RECORD_ARN"
    assert fields.get("incidentTags") == "team=payments\ntier=1"


def test_tags_go_with_the_create_request():
    params = create_params(sample_fields(tags="owner=ops\ncost centre=42"))

    assert params["tags"] == {"owner": "ops", "cost centre": "42"}


def test_a_line_without_equals_is_refused_beside_its_field():
    with pytest.raises(FieldError) as caught:
        create_params(sample_fields(incidentTags="team"))

    assert caught.value.field_name == "incidentTags"


def test_an_update_sends_only_the_changed_member():
    fields = fields_of(FULL_PLAN)
    fields.text["title"] = "Checkout slow"

    assert update_params(ARN, FULL_PLAN, fields) == {"arn": ARN, "incidentTemplateTitle": "Checkout slow"}


def test_an_update_clears_emptied_sections_the_api_way():
    fields = fields_of(FULL_PLAN)
    for name in ("summary", "dedupeString", "incidentTags", "chatChannel", "displayName", "documentName"):
        fields.text[name] = ""
    for name in ("documentVersion", "roleArn", "targetAccount", "parameters", "dynamicParameters"):
        fields.text[name] = ""
    for name in ("pagerDutyName", "secretId", "serviceId"):
        fields.text[name] = ""
    fields.chosen = {"engagements": [], "notificationTargets": []}

    assert update_params(ARN, FULL_PLAN, fields) == {
        "arn": ARN,
        "displayName": "",
        "chatChannel": {"empty": {}},
        "engagements": [],
        "actions": [],
        "integrations": [],
        "incidentTemplateSummary": "",
        "incidentTemplateDedupeString": "",
        "incidentTemplateNotificationTargets": [],
        "incidentTemplateTags": {},
    }


def test_an_empty_chat_channel_on_the_plan_is_no_change():
    plan = {**FULL_PLAN, "chatChannel": {"empty": {}}}
    fields = fields_of(plan)

    assert fields.get("chatChannel") == ""
    assert update_params(ARN, plan, fields) == {"arn": ARN}


def test_validation_messages_go_beside_their_fields():
    def field_of(message: str, code: str = "ValidationException") -> dict[str, str]:
        return errors_of(ServiceError(code, message)).fields

    role = "Value 'x' at 'actions.1.member.ssmAutomation.roleArn' failed to satisfy constraint: Member must satisfy"
    assert list(field_of(role)) == ["roleArn"]
    impact = "Value '9' at 'incidentTemplate.impact' failed to satisfy constraint: Member must be <= 5"
    assert list(field_of(impact)) == ["impact"]
    pagerduty = "Value null at 'integrations.1.member.pagerDutyConfiguration.name' failed to satisfy constraint"
    assert list(field_of(pagerduty)) == ["pagerDutyName"]
    assert list(field_of("A response plan named x already exists.", "ConflictException")) == ["name"]
