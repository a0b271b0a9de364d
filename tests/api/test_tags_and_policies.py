"""Tags on plans, incidents and the replication set; resource policies on plans; findings (§3.9-3.11)."""

from __future__ import annotations

import base64
import re

import boto3
import pytest
from botocore.config import Config

from support import Server, refused, sharing_policy, status_of

NIL_ID = "00000000-0000-0000-0000-000000000000"
POLICY = sharing_policy("arn:aws:ssm-incidents::111122223333:response-plan/elsewhere")


def tags_of(incidents, arn: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return incidents.list_tags_for_resource(resourceArn=arn)["tags"]


@pytest.fixture
def incident(incidents, response_plan) -> str:  # type: ignore[no-untyped-def]
    return incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]


@pytest.fixture(params=["response-plan", "incident-record", "replication-set"])
def taggable(request, incidents, replication_set, response_plan) -> str:  # type: ignore[no-untyped-def]
    """Each taggable kind; their ARNs carry ':' and '/', which travel percent-encoded in the path."""
    if request.param == "response-plan":
        return response_plan
    if request.param == "incident-record":
        return incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]
    return replication_set


# --- TagResource, UntagResource, ListTagsForResource --------------------------------------------------------


def test_a_new_resource_has_no_tags(incidents, taggable):
    assert tags_of(incidents, taggable) == {}


def test_tags_are_added_and_listed(incidents, taggable):
    response = incidents.tag_resource(resourceArn=taggable, tags={"team": "sre", "cost:centre": "42/a"})

    assert status_of(response) == 204
    assert tags_of(incidents, taggable) == {"team": "sre", "cost:centre": "42/a"}


def test_a_tag_value_may_be_empty(incidents, taggable):
    incidents.tag_resource(resourceArn=taggable, tags={"reviewed": ""})

    assert tags_of(incidents, taggable) == {"reviewed": ""}


def test_tagging_an_existing_key_overwrites_its_value_and_keeps_the_others(incidents, taggable):
    incidents.tag_resource(resourceArn=taggable, tags={"team": "sre", "env": "prod"})

    incidents.tag_resource(resourceArn=taggable, tags={"team": "platform"})

    assert tags_of(incidents, taggable) == {"team": "platform", "env": "prod"}


def test_untag_removes_the_keys_given_and_ignores_absent_ones(incidents, taggable):
    incidents.tag_resource(resourceArn=taggable, tags={"a": "1", "b": "2", "c": "3"})

    response = incidents.untag_resource(resourceArn=taggable, tagKeys=["a", "c", "never-set"])

    assert status_of(response) == 204
    assert tags_of(incidents, taggable) == {"b": "2"}


def test_tags_of_one_resource_do_not_leak_to_another(incidents, response_plan, replication_set):
    incidents.tag_resource(resourceArn=response_plan, tags={"only": "plan"})

    assert tags_of(incidents, replication_set) == {}


@pytest.mark.parametrize("operation", ["tag_resource", "untag_resource", "list_tags_for_resource"])
@pytest.mark.parametrize(
    ("kind", "resource"),
    [
        ("RESPONSE_PLAN", "response-plan/nobody-made-this"),
        ("INCIDENT_RECORD", f"incident-record/test-plan/{NIL_ID}"),
        ("REPLICATION_SET", f"replication-set/{NIL_ID}"),
    ],
)
def test_tags_of_an_unknown_resource_are_not_found(incidents, account, response_plan, operation, kind, resource):
    arn = f"arn:aws:ssm-incidents::{account.account_id}:{resource}"
    params = {"tag_resource": {"tags": {"a": "b"}}, "untag_resource": {"tagKeys": ["a"]}}.get(operation, {})

    error = refused(getattr(incidents, operation), resourceArn=arn, **params)

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 404
    assert error["resourceIdentifier"] == arn
    assert error["resourceType"] == kind


def test_more_than_50_tags_in_total_exceed_the_quota(incidents, taggable):
    incidents.tag_resource(resourceArn=taggable, tags={f"old{i}": "v" for i in range(30)})

    error = refused(incidents.tag_resource, resourceArn=taggable, tags={f"new{i}": "v" for i in range(21)})

    assert error["Error"]["Code"] == "ServiceQuotaExceededException"
    assert status_of(error) == 402
    assert error["serviceCode"] == "ssm-incidents"
    assert len(tags_of(incidents, taggable)) == 30


def test_overwriting_keys_at_the_limit_is_not_over_the_quota(incidents, taggable):
    incidents.tag_resource(resourceArn=taggable, tags={f"k{i}": "old" for i in range(50)})

    incidents.tag_resource(resourceArn=taggable, tags={"k0": "new", "k49": "new"})

    tags = tags_of(incidents, taggable)
    assert len(tags) == 50
    assert tags["k0"] == tags["k49"] == "new"


def test_a_tag_key_starting_with_aws_is_refused(incidents, taggable):
    error = refused(incidents.tag_resource, resourceArn=taggable, tags={"aws:createdBy": "me"})

    assert error["Error"]["Code"] == "ValidationException"
    assert "Member must satisfy regular expression pattern: ^(?!aws:)" in error["Error"]["Message"]
    assert tags_of(incidents, taggable) == {}


def test_an_incident_starts_with_the_plans_template_tags(incidents, replication_set):
    plan = incidents.create_response_plan(
        name="tagged",
        incidentTemplate={
            "title": "Tagged",
            "impact": 3,
            "incidentTags": {"team": "sre", "service": "checkout"},
        },
        tags={"plan-only": "yes"},
    )["arn"]

    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]

    assert tags_of(incidents, incident) == {"team": "sre", "service": "checkout"}


def test_changing_the_template_tags_later_leaves_started_incidents_alone(incidents, replication_set):
    plan = incidents.create_response_plan(
        name="tagged", incidentTemplate={"title": "Tagged", "impact": 3, "incidentTags": {"team": "sre"}}
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]

    incidents.update_response_plan(arn=plan, incidentTemplateTags={"team": "platform"})

    assert tags_of(incidents, incident) == {"team": "sre"}


# --- PutResourcePolicy, GetResourcePolicies, DeleteResourcePolicy -------------------------------------------


def policies_of(incidents, plan: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return incidents.get_resource_policies(resourceArn=plan)["resourcePolicies"]


def test_a_policy_id_is_32_lower_case_hex_characters(incidents, response_plan):
    policy_id = incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))[
        "policyId"
    ]

    assert re.fullmatch(r"[0-9a-f]{32}", policy_id)


def test_a_policy_document_round_trips_exactly(incidents, response_plan):
    document = sharing_policy(response_plan)
    policy_id = incidents.put_resource_policy(resourceArn=response_plan, policy=document)["policyId"]

    assert policies_of(incidents, response_plan) == [
        {"policyId": policy_id, "policyDocument": document, "ramResourceShareRegion": "us-east-1"}
    ]


def test_the_share_region_is_the_region_the_client_called(server: Server, account, response_plan):
    # The ssm-incidents ARN has no region, so the region can only come from the request's signature.
    frankfurt = boto3.client(
        "ssm-incidents",
        endpoint_url=server.endpoint,
        region_name="eu-central-1",
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )

    frankfurt.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))

    assert [p["ramResourceShareRegion"] for p in policies_of(frankfurt, response_plan)] == ["eu-central-1"]


def test_policies_are_listed_in_pages(incidents, response_plan):
    ids = {
        incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))["policyId"]
        for _ in range(3)
    }

    first = incidents.get_resource_policies(resourceArn=response_plan, maxResults=2)
    second = incidents.get_resource_policies(resourceArn=response_plan, maxResults=2, nextToken=first["nextToken"])

    listed = [p["policyId"] for p in first["resourcePolicies"] + second["resourcePolicies"]]
    assert len(first["resourcePolicies"]) == 2
    assert "nextToken" not in second
    assert sorted(listed) == sorted(ids)


def test_a_forged_policies_next_token_is_refused(incidents, response_plan):
    incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))
    forged = base64.urlsafe_b64encode(b"[5]").decode()

    error = refused(incidents.get_resource_policies, resourceArn=response_plan, nextToken=forged)

    assert error["Error"]["Code"] == "ValidationException"
    assert status_of(error) == 400


def test_a_deleted_policy_is_gone_and_deleting_it_again_is_not_found(incidents, response_plan):
    policy_id = incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))[
        "policyId"
    ]

    response = incidents.delete_resource_policy(resourceArn=response_plan, policyId=policy_id)

    assert status_of(response) == 200
    assert policies_of(incidents, response_plan) == []
    error = refused(incidents.delete_resource_policy, resourceArn=response_plan, policyId=policy_id)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 404
    assert error["resourceType"] == "RESOURCE_POLICY"


@pytest.mark.parametrize(
    "document",
    ["not json", "[1, 2]", '{"Version": "2012-10-17"}'],
    ids=["not-json", "not-an-object", "no-statement"],
)
def test_a_policy_that_is_not_a_json_policy_document_is_refused(incidents, response_plan, document):
    error = refused(incidents.put_resource_policy, resourceArn=response_plan, policy=document)

    assert error["Error"]["Code"] == "ValidationException"
    assert policies_of(incidents, response_plan) == []


@pytest.mark.parametrize("operation", ["put_resource_policy", "get_resource_policies", "delete_resource_policy"])
def test_policies_of_an_unknown_plan_are_not_found(incidents, account, replication_set, operation):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/nobody-made-this"
    params = {"put_resource_policy": {"policy": POLICY}, "delete_resource_policy": {"policyId": "0" * 32}}

    error = refused(getattr(incidents, operation), resourceArn=unknown, **params.get(operation, {}))

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["resourceIdentifier"] == unknown


def test_deleting_a_plan_deletes_its_policies(incidents, response_plan):
    incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))
    incidents.delete_response_plan(arn=response_plan)

    recreated = incidents.create_response_plan(name="test-plan", incidentTemplate={"title": "Again", "impact": 3})[
        "arn"
    ]

    assert policies_of(incidents, recreated) == []


# --- ListIncidentFindings, BatchGetIncidentFindings ---------------------------------------------------------


def test_an_incident_has_no_findings(incidents, incident):
    response = incidents.list_incident_findings(incidentRecordArn=incident)

    assert response["findings"] == []
    assert "nextToken" not in response


def test_each_finding_asked_for_is_reported_as_an_error(incidents, incident):
    response = incidents.batch_get_incident_findings(incidentRecordArn=incident, findingIds=["f-1", "f-2"])

    assert response["findings"] == []
    assert [error["findingId"] for error in response["errors"]] == ["f-1", "f-2"]
    assert {error["code"] for error in response["errors"]} == {"ResourceNotFoundException"}
    assert all(error["message"] for error in response["errors"])


@pytest.mark.parametrize("operation", ["list_incident_findings", "batch_get_incident_findings"])
def test_findings_of_an_unknown_incident_are_not_found(incidents, account, replication_set, operation):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:incident-record/test-plan/{NIL_ID}"
    params = {"findingIds": ["f-1"]} if operation == "batch_get_incident_findings" else {}

    error = refused(getattr(incidents, operation), incidentRecordArn=unknown, **params)

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["resourceType"] == "INCIDENT_RECORD"
