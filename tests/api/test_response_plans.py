"""Response plans: create, read, list in pages, partial update, delete, validation (aws-behaviour §3.2)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from support import SEED_REQUEST, Server, refused, status_of

# A plan that uses every member GetResponsePlan returns.
FULL_PLAN: dict[str, Any] = {
    "name": "database-outage",
    "displayName": "Database outage (primary)",
    "incidentTemplate": {
        "title": "Database unreachable",
        "impact": 2,
        "summary": "The primary database does not answer.",
        "dedupeString": "database-outage",
        "notificationTargets": [{"snsTopicArn": "arn:aws:sns:us-east-1:111122223333:on-call"}],
        "incidentTags": {"team": "databases", "tier": "1"},
    },
    "chatChannel": {
        "chatbotSns": [
            "arn:aws:sns:us-east-1:111122223333:chat-a",
            "arn:aws:sns:us-east-1:111122223333:chat-b",
        ]
    },
    "engagements": [
        "arn:aws:ssm-contacts:us-east-1:111122223333:contact/dba",
        "arn:aws:ssm-contacts:us-east-1:111122223333:contact/dba-escalation",
    ],
    "actions": [
        {
            "ssmAutomation": {
                "roleArn": "arn:aws:iam::111122223333:role/runbook",
                "documentName": "Restart-Database",
                "documentVersion": "3",
                "targetAccount": "IMPACTED_ACCOUNT",
                "parameters": {"Cluster": ["primary"], "Force": ["false"]},
                "dynamicParameters": {"Incident": {"variable": "INCIDENT_RECORD_ARN"}},
            }
        }
    ],
    "integrations": [
        {
            "pagerDutyConfiguration": {
                "name": "pagerduty",
                "secretId": "pagerduty-token",
                "pagerDutyIncidentConfiguration": {"serviceId": "PABC123"},
            }
        }
    ],
}

ENGAGEMENT_PATTERN = r"^arn:aws(-cn|-us-gov)?:ssm-contacts:[a-z0-9-]*:([0-9]{12}):contact/[a-z0-9_-]+$"


@pytest.fixture
def unchecked(server: Server, account):  # type: ignore[no-untyped-def]
    """A client that skips botocore's own parameter checks, to reach the server's validation."""
    return server.client(account, parameter_validation=False)


def plan_of(incidents, arn: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """GetResponsePlan's answer without the response metadata."""
    plan = incidents.get_response_plan(arn=arn)
    del plan["ResponseMetadata"]
    return plan


def plan_names(incidents) -> list[str]:  # type: ignore[no-untyped-def]
    return [summary["name"] for summary in incidents.list_response_plans()["responsePlanSummaries"]]


def one_violation(path: str, constraint: str, value: str | None = None) -> str:
    """Coral's message for a single failed constraint; the value is left open when it is long."""
    shown = ".*" if value is None else value
    return f"1 validation error detected: Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"


# --- CreateResponsePlan -------------------------------------------------------------------------------------


def test_the_seed_request_creates_the_plan_and_answers_only_its_arn(incidents, account, replication_set):
    raw: dict[str, Any] = {}

    def capture(http_response, **_: Any) -> None:  # type: ignore[no-untyped-def]
        raw.update(
            status=http_response.status_code,
            body=http_response.content,
            content_type=http_response.headers.get("content-type"),
        )

    incidents.meta.events.register("after-call.ssm-incidents.CreateResponsePlan", capture)

    arn = incidents.create_response_plan(**SEED_REQUEST)["arn"]

    expected = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/example-response"
    assert arn == expected
    assert raw["status"] == 201
    assert raw["content_type"] == "application/json"
    assert json.loads(raw["body"]) == {"arn": expected}


def test_the_seed_request_is_stored_as_sent(incidents, replication_set):
    arn = incidents.create_response_plan(**SEED_REQUEST)["arn"]

    stored = {k: v for k, v in SEED_REQUEST.items() if k != "clientToken"}
    assert plan_of(incidents, arn) == {"arn": arn, **stored}


def test_a_retried_create_with_the_same_client_token_returns_the_same_plan(incidents, replication_set):
    first = incidents.create_response_plan(**SEED_REQUEST)["arn"]

    second = incidents.create_response_plan(**SEED_REQUEST)["arn"]

    assert second == first
    assert plan_names(incidents) == ["example-response"]


def test_a_duplicate_name_is_a_conflict(incidents, response_plan):
    before = plan_of(incidents, response_plan)

    error = refused(incidents.create_response_plan, name="test-plan", incidentTemplate={"title": "Other", "impact": 1})

    assert error["Error"]["Code"] == "ConflictException"
    assert status_of(error) == 409
    assert error["resourceIdentifier"] == response_plan
    assert plan_of(incidents, response_plan) == before


# --- GetResponsePlan ----------------------------------------------------------------------------------------


def test_get_returns_everything_the_plan_was_created_with(incidents, replication_set):
    arn = incidents.create_response_plan(**FULL_PLAN, tags={"env": "prod"})["arn"]

    assert plan_of(incidents, arn) == {"arn": arn, **FULL_PLAN}


def test_get_of_an_unknown_plan_is_not_found(incidents, account, replication_set):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/nobody-made-this"

    error = refused(incidents.get_response_plan, arn=unknown)

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 404
    assert error["resourceIdentifier"] == unknown
    assert error["resourceType"] == "RESPONSE_PLAN"


# --- ListResponsePlans --------------------------------------------------------------------------------------


SEVEN_NAMES = ["network", "api-latency", "storage", "billing", "dns", "queue-backlog", "auth"]


@pytest.fixture
def seven_plans(incidents, replication_set) -> list[str]:  # type: ignore[no-untyped-def]
    for name in SEVEN_NAMES:
        incidents.create_response_plan(
            name=name, displayName=f"{name} plan", incidentTemplate={"title": name, "impact": 3}
        )
    return sorted(SEVEN_NAMES)


def test_list_pages_through_every_plan_once_in_name_order(incidents, seven_plans):
    pages = []
    token = None
    while True:
        page = incidents.list_response_plans(maxResults=3, **({"nextToken": token} if token else {}))
        pages.append([summary["name"] for summary in page["responsePlanSummaries"]])
        token = page.get("nextToken")
        if token is None:
            break

    assert pages == [seven_plans[0:3], seven_plans[3:6], seven_plans[6:7]]


def test_list_summaries_carry_arn_name_and_display_name(incidents, account, seven_plans):
    summaries = incidents.list_response_plans(maxResults=1)["responsePlanSummaries"]

    assert summaries == [
        {
            "arn": f"arn:aws:ssm-incidents::{account.account_id}:response-plan/api-latency",
            "name": "api-latency",
            "displayName": "api-latency plan",
        }
    ]


def test_the_list_response_plans_paginator_collects_every_plan(incidents, seven_plans):
    paginator = incidents.get_paginator("list_response_plans")

    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))

    assert [len(page["responsePlanSummaries"]) for page in pages] == [3, 3, 1]
    names = [summary["name"] for page in pages for summary in page["responsePlanSummaries"]]
    assert names == seven_plans


def test_a_deleted_plan_leaves_the_list(incidents, seven_plans, account):
    incidents.delete_response_plan(arn=f"arn:aws:ssm-incidents::{account.account_id}:response-plan/dns")

    assert plan_names(incidents) == [name for name in seven_plans if name != "dns"]


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        base64.urlsafe_b64encode(b'["a"]').decode(),  # a position of the wrong shape (a name without its ARN)
        base64.urlsafe_b64encode(b"[5]").decode(),  # a position that is not a plan name
    ],
    ids=["not-a-token", "wrong-shape", "not-a-name"],
)
def test_a_forged_next_token_is_refused(incidents, seven_plans, token):
    error = refused(incidents.list_response_plans, nextToken=token)

    assert error["Error"]["Code"] == "ValidationException"
    assert status_of(error) == 400
    assert error["Error"]["Message"] == "The nextToken is not valid."


# --- UpdateResponsePlan -------------------------------------------------------------------------------------


@pytest.fixture
def full_plan(incidents, replication_set) -> str:  # type: ignore[no-untyped-def]
    return incidents.create_response_plan(**FULL_PLAN)["arn"]


def test_update_changes_only_the_members_it_carries(incidents, full_plan):
    before = plan_of(incidents, full_plan)

    response = incidents.update_response_plan(arn=full_plan, displayName="Renamed")

    assert status_of(response) == 204
    assert plan_of(incidents, full_plan) == {**before, "displayName": "Renamed"}


def test_update_replaces_engagements_as_a_whole(incidents, full_plan):
    engagements = ["arn:aws:ssm-contacts:us-east-1:111122223333:contact/new-on-call"]

    incidents.update_response_plan(arn=full_plan, engagements=engagements)

    assert plan_of(incidents, full_plan)["engagements"] == engagements


@pytest.mark.parametrize(
    ("member", "value", "field"),
    [
        ("incidentTemplateTitle", "Database slow", "title"),
        ("incidentTemplateImpact", 1, "impact"),
        ("incidentTemplateSummary", "Replica lag above 5 minutes.", "summary"),
        ("incidentTemplateDedupeString", "database-slow", "dedupeString"),
        (
            "incidentTemplateNotificationTargets",
            [{"snsTopicArn": "arn:aws:sns:us-east-1:111122223333:dba"}],
            "notificationTargets",
        ),
        ("incidentTemplateTags", {"team": "platform"}, "incidentTags"),
    ],
)
def test_each_template_member_replaces_one_template_field(incidents, full_plan, member, value, field):
    before = plan_of(incidents, full_plan)

    incidents.update_response_plan(arn=full_plan, **{member: value})

    after = plan_of(incidents, full_plan)
    assert after["incidentTemplate"] == {**before["incidentTemplate"], field: value}
    assert {k: v for k, v in after.items() if k != "incidentTemplate"} == {
        k: v for k, v in before.items() if k != "incidentTemplate"
    }


def test_empty_strings_clear_the_summary_and_the_dedupe_string(incidents, full_plan):
    incidents.update_response_plan(arn=full_plan, incidentTemplateSummary="", incidentTemplateDedupeString="")

    template = plan_of(incidents, full_plan)["incidentTemplate"]
    assert "summary" not in template
    assert "dedupeString" not in template
    assert template["title"] == "Database unreachable"


def test_an_empty_tag_map_clears_the_template_tags(incidents, full_plan):
    incidents.update_response_plan(arn=full_plan, incidentTemplateTags={})

    assert "incidentTags" not in plan_of(incidents, full_plan)["incidentTemplate"]


def test_the_empty_chat_channel_removes_the_chat_channel(incidents, full_plan):
    incidents.update_response_plan(arn=full_plan, chatChannel={"empty": {}})

    # Get answers the union's `empty` member rather than dropping chatChannel: AWS can return it, and
    # Terraform's reader expects it (aws-behaviour §1.8).
    assert plan_of(incidents, full_plan)["chatChannel"] == {"empty": {}}


def test_an_empty_action_list_clears_the_actions(incidents, full_plan):
    incidents.update_response_plan(arn=full_plan, actions=[])

    plan = plan_of(incidents, full_plan)
    assert plan.get("actions", []) == []
    assert plan["integrations"] == FULL_PLAN["integrations"]


def test_updating_an_unknown_plan_is_not_found(incidents, account, replication_set):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/nobody-made-this"

    error = refused(incidents.update_response_plan, arn=unknown, displayName="x")

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 404


def test_an_invalid_update_changes_nothing(incidents, full_plan):
    before = plan_of(incidents, full_plan)

    error = refused(incidents.update_response_plan, arn=full_plan, displayName="Renamed", incidentTemplateImpact=6)

    assert error["Error"]["Message"] == one_violation(
        "incidentTemplateImpact", "Member must have value less than or equal to 5", "6"
    )
    assert plan_of(incidents, full_plan) == before


# --- DeleteResponsePlan -------------------------------------------------------------------------------------


def test_delete_answers_204_and_the_plan_is_gone(incidents, response_plan):
    response = incidents.delete_response_plan(arn=response_plan)

    assert status_of(response) == 204
    error = refused(incidents.get_response_plan, arn=response_plan)
    assert error["Error"]["Code"] == "ResourceNotFoundException"


def test_deleting_a_missing_plan_answers_204(incidents, account, replication_set):
    missing = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/never-existed"

    response = incidents.delete_response_plan(arn=missing)

    assert status_of(response) == 204


def test_deleting_a_plan_keeps_its_incidents(incidents, response_plan):
    incident = incidents.start_incident(responsePlanArn=response_plan, title="Still here")["incidentRecordArn"]

    incidents.delete_response_plan(arn=response_plan)

    assert incidents.get_incident_record(arn=incident)["incidentRecord"]["title"] == "Still here"
    summaries = incidents.list_incident_records()["incidentRecordSummaries"]
    assert [summary["arn"] for summary in summaries] == [incident]


def test_a_plan_created_again_under_a_deleted_name_starts_afresh(incidents, replication_set):
    arn = incidents.create_response_plan(**FULL_PLAN, tags={"env": "prod"})["arn"]
    incidents.delete_response_plan(arn=arn)

    again = incidents.create_response_plan(name=FULL_PLAN["name"], incidentTemplate={"title": "Fresh", "impact": 4})[
        "arn"
    ]

    assert again == arn
    assert plan_of(incidents, arn) == {
        "arn": arn,
        "name": FULL_PLAN["name"],
        "incidentTemplate": {"title": "Fresh", "impact": 4},
    }
    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == {}


# --- Validation ---------------------------------------------------------------------------------------------


def template(**fields: Any) -> dict[str, Any]:
    return {"title": "Valid title", "impact": 3, **fields}


def contact(alias: str) -> str:
    return f"arn:aws:ssm-contacts:us-east-1:111122223333:contact/{alias}"


def runbook(**fields: Any) -> dict[str, Any]:
    return {
        "ssmAutomation": {
            "roleArn": "arn:aws:iam::111122223333:role/runbook",
            "documentName": "Doc",
            **fields,
        }
    }


INVALID_CREATES: dict[str, tuple[dict[str, Any], str]] = {
    "name-with-a-space": (
        {"name": "has space"},
        one_violation("name", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]*$", "has space"),
    ),
    "impact-6": (
        {"incidentTemplate": template(impact=6)},
        one_violation("incidentTemplate.impact", "Member must have value less than or equal to 5", "6"),
    ),
    "title-over-200": (
        {"incidentTemplate": template(title="t" * 201)},
        one_violation("incidentTemplate.title", "Member must have length less than or equal to 200", "t" * 201),
    ),
    "six-engagements": (
        {"engagements": [contact(f"c{i}") for i in range(6)]},
        one_violation(
            "engagements",
            "Member must have length less than or equal to 5",
            "[" + ", ".join(contact(f"c{i}") for i in range(6)) + "]",
        ),
    ),
    "engagement-not-a-contact": (
        {"engagements": ["arn:aws:ssm-contacts:us-east-1:111122223333:rotation/abc"]},
        one_violation(
            "engagements.1.member",
            f"Member must satisfy regular expression pattern: {ENGAGEMENT_PATTERN}",
            "arn:aws:ssm-contacts:us-east-1:111122223333:rotation/abc",
        ),
    ),
    "two-actions": (
        {"actions": [runbook(), runbook()]},
        one_violation("actions", "Member must have length less than or equal to 1"),
    ),
    "chat-channel-with-both-members": (
        {"chatChannel": {"chatbotSns": ["arn:aws:sns:us-east-1:111122223333:chat"], "empty": {}}},
        one_violation("chatChannel", "Member must have exactly one member set"),
    ),
    "chat-channel-with-no-member": (
        {"chatChannel": {}},
        one_violation("chatChannel", "Member must have exactly one member set", "{}"),
    ),
    "empty-runbook-parameters": (
        {"actions": [runbook(parameters={})]},
        one_violation(
            "actions.1.member.ssmAutomation.parameters",
            "Member must have length greater than or equal to 1",
            "{}",
        ),
    ),
    "tag-key-starting-with-aws": (
        {"tags": {"aws:owner": "me"}},
        one_violation(
            "tags",
            "Map keys must satisfy constraint: "
            "[Member must satisfy regular expression pattern: ^(?!aws:)[A-Za-z0-9 _=@:.+-/]+$]",
        ),
    ),
    "fifty-one-tags": (
        {"tags": {f"key{i}": "v" for i in range(51)}},
        one_violation("tags", "Member must have length less than or equal to 50"),
    ),
}


@pytest.mark.parametrize("case", INVALID_CREATES)
def test_an_invalid_plan_is_refused_and_changes_nothing(unchecked, response_plan, case):
    changes, expected = INVALID_CREATES[case]
    request = {"name": "new-plan", "incidentTemplate": template(), **changes}

    error = refused(unchecked.create_response_plan, **request)

    assert error["Error"]["Code"] == "ValidationException"
    assert status_of(error) == 400
    message = error["Error"]["Message"]
    if ".*" in expected:
        prefix, suffix = expected.split(".*")
        assert message.startswith(prefix) and message.endswith(suffix), message
    else:
        assert message == expected
    assert plan_names(unchecked) == ["test-plan"]


def test_every_failed_constraint_is_reported_at_once(unchecked, replication_set):
    error = refused(unchecked.create_response_plan, name="has space", incidentTemplate=template(impact=0))

    message = error["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert "at 'name' failed" in message
    assert (
        "Value '0' at 'incidentTemplate.impact' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1" in message
    )
