"""Accounts are tenants: account B never sees or changes account A's resources, even by ARN."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support import Server, sharing_policy, wait_until

NOW = datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Resources:
    """What account A owns."""

    replication_set: str
    plan: str
    incident: str
    event_id: str
    policy_id: str


@pytest.fixture
def a(incidents, response_plan, replication_set) -> Resources:  # type: ignore[no-untyped-def]
    """Account A with one of everything, each tagged."""
    incident = incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]
    event_id = incidents.create_timeline_event(
        incidentRecordArn=incident, eventTime=NOW, eventType="Custom Event", eventData='"A only"'
    )["eventId"]
    incidents.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": "https://a.example/doc"}}}},
    )
    policy_id = incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan))[
        "policyId"
    ]
    for arn in (replication_set, response_plan, incident):
        incidents.tag_resource(resourceArn=arn, tags={"owner": "a"})
    return Resources(replication_set, response_plan, incident, event_id, policy_id)


@pytest.fixture
def b(server: Server, other_account):  # type: ignore[no-untyped-def]
    """Account B's client; B has not onboarded."""
    return server.client(other_account)


@pytest.fixture
def onboarded_b(b):  # type: ignore[no-untyped-def]
    """Account B's client after B onboarded and made a plan of the same name as A's, with an incident."""
    arn = b.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: b.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    plan = b.create_response_plan(name="test-plan", incidentTemplate={"title": "B's incident", "impact": 5})["arn"]
    b.start_incident(responsePlanArn=plan)
    return b


def state_of(incidents, a: Resources) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Everything account A can read about its resources."""

    def read(call: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
        response = call(**params)
        response.pop("ResponseMetadata")
        return response

    return {
        "replication_set": read(incidents.get_replication_set, arn=a.replication_set),
        "plans": read(incidents.list_response_plans),
        "plan": read(incidents.get_response_plan, arn=a.plan),
        "policies": read(incidents.get_resource_policies, resourceArn=a.plan),
        "incidents": read(incidents.list_incident_records),
        "incident": read(incidents.get_incident_record, arn=a.incident),
        "events": read(incidents.list_timeline_events, incidentRecordArn=a.incident),
        "related": read(incidents.list_related_items, incidentRecordArn=a.incident),
        "tags": [
            read(incidents.list_tags_for_resource, resourceArn=arn) for arn in (a.replication_set, a.plan, a.incident)
        ],
    }


# B's calls with A's ARNs for every operation whose model lists ResourceNotFoundException.
NOT_FOUND_FOR_B: dict[str, Callable[[Any, Resources], Any]] = {
    "GetResponsePlan": lambda b, a: b.get_response_plan(arn=a.plan),
    "UpdateResponsePlan": lambda b, a: b.update_response_plan(arn=a.plan, displayName="hijacked"),
    "StartIncident": lambda b, a: b.start_incident(responsePlanArn=a.plan),
    "GetIncidentRecord": lambda b, a: b.get_incident_record(arn=a.incident),
    "UpdateIncidentRecord": lambda b, a: b.update_incident_record(arn=a.incident, status="RESOLVED"),
    "CreateTimelineEvent": lambda b, a: b.create_timeline_event(
        incidentRecordArn=a.incident, eventTime=NOW, eventType="Custom Event", eventData='"B was here"'
    ),
    "GetTimelineEvent": lambda b, a: b.get_timeline_event(incidentRecordArn=a.incident, eventId=a.event_id),
    "UpdateTimelineEvent": lambda b, a: b.update_timeline_event(
        incidentRecordArn=a.incident, eventId=a.event_id, eventData='"B was here"'
    ),
    "UpdateRelatedItems": lambda b, a: b.update_related_items(
        incidentRecordArn=a.incident,
        relatedItemsUpdate={"itemToRemove": {"type": "OTHER", "value": {"url": "https://a.example/doc"}}},
    ),
    "ListIncidentFindings": lambda b, a: b.list_incident_findings(incidentRecordArn=a.incident),
    "BatchGetIncidentFindings": lambda b, a: b.batch_get_incident_findings(
        incidentRecordArn=a.incident, findingIds=["f-1"]
    ),
    "TagResource(plan)": lambda b, a: b.tag_resource(resourceArn=a.plan, tags={"owner": "b"}),
    "TagResource(incident)": lambda b, a: b.tag_resource(resourceArn=a.incident, tags={"owner": "b"}),
    "TagResource(replication set)": lambda b, a: b.tag_resource(resourceArn=a.replication_set, tags={"owner": "b"}),
    "UntagResource(plan)": lambda b, a: b.untag_resource(resourceArn=a.plan, tagKeys=["owner"]),
    "UntagResource(incident)": lambda b, a: b.untag_resource(resourceArn=a.incident, tagKeys=["owner"]),
    "UntagResource(replication set)": lambda b, a: b.untag_resource(resourceArn=a.replication_set, tagKeys=["owner"]),
    "ListTagsForResource(plan)": lambda b, a: b.list_tags_for_resource(resourceArn=a.plan),
    "ListTagsForResource(incident)": lambda b, a: b.list_tags_for_resource(resourceArn=a.incident),
    "ListTagsForResource(replication set)": lambda b, a: b.list_tags_for_resource(resourceArn=a.replication_set),
    "PutResourcePolicy": lambda b, a: b.put_resource_policy(resourceArn=a.plan, policy=sharing_policy(a.plan)),
    "GetResourcePolicies": lambda b, a: b.get_resource_policies(resourceArn=a.plan),
    "DeleteResourcePolicy": lambda b, a: b.delete_resource_policy(resourceArn=a.plan, policyId=a.policy_id),
    "GetReplicationSet": lambda b, a: b.get_replication_set(arn=a.replication_set),
    "UpdateReplicationSet": lambda b, a: b.update_replication_set(
        arn=a.replication_set, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    ),
    "UpdateDeletionProtection": lambda b, a: b.update_deletion_protection(
        arn=a.replication_set, deletionProtected=True
    ),
    "DeleteReplicationSet": lambda b, a: b.delete_replication_set(arn=a.replication_set),
}

# Deletes whose model lists no ResourceNotFoundException: they answer 204 for a missing resource, so B's call
# must succeed and do nothing.
SILENT_FOR_B: dict[str, Callable[[Any, Resources], Any]] = {
    "DeleteResponsePlan": lambda b, a: b.delete_response_plan(arn=a.plan),
    "DeleteIncidentRecord": lambda b, a: b.delete_incident_record(arn=a.incident),
    "DeleteTimelineEvent": lambda b, a: b.delete_timeline_event(incidentRecordArn=a.incident, eventId=a.event_id),
}


@pytest.mark.parametrize("operation", NOT_FOUND_FOR_B)
def test_b_gets_not_found_for_as_resources_and_changes_nothing(incidents, a, onboarded_b, operation):
    before = state_of(incidents, a)

    with pytest.raises(ClientError) as caught:
        NOT_FOUND_FOR_B[operation](onboarded_b, a)

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert state_of(incidents, a) == before


@pytest.mark.parametrize("operation", SILENT_FOR_B)
def test_b_deleting_as_resources_does_nothing(incidents, a, onboarded_b, operation):
    before = state_of(incidents, a)

    response = SILENT_FOR_B[operation](onboarded_b, a)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert state_of(incidents, a) == before


@pytest.mark.parametrize(
    ("operation", "result_key"),
    [("list_timeline_events", "eventSummaries"), ("list_related_items", "relatedItems")],
)
def test_b_lists_nothing_of_as_incident(a, onboarded_b, operation, result_key):
    # The model lists no ResourceNotFoundException for these: an error or an empty list both reveal nothing.
    try:
        response = getattr(onboarded_b, operation)(incidentRecordArn=a.incident)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
    else:
        assert response[result_key] == []


def test_b_lists_only_its_own_plans_incidents_and_replication_set(a, onboarded_b, other_account):
    plans = onboarded_b.list_response_plans()["responsePlanSummaries"]
    records = onboarded_b.list_incident_records()["incidentRecordSummaries"]
    sets = onboarded_b.list_replication_sets()["replicationSetArns"]

    own = f"arn:aws:ssm-incidents::{other_account.account_id}:"
    assert [p["arn"] for p in plans] == [own + "response-plan/test-plan"]
    assert [r["title"] for r in records] == ["B's incident"]
    assert records[0]["arn"].startswith(own)
    assert len(sets) == 1 and sets[0].startswith(own)
    assert a.replication_set not in sets


def test_plans_of_the_same_name_in_two_accounts_are_independent(incidents, a, onboarded_b, other_account):
    b_plan = f"arn:aws:ssm-incidents::{other_account.account_id}:response-plan/test-plan"

    onboarded_b.update_response_plan(arn=b_plan, incidentTemplateTitle="Changed by B")
    onboarded_b.tag_resource(resourceArn=b_plan, tags={"owner": "b"})

    assert incidents.get_response_plan(arn=a.plan)["incidentTemplate"]["title"] == "Test incident"
    assert incidents.list_tags_for_resource(resourceArn=a.plan)["tags"] == {"owner": "a"}
    assert onboarded_b.get_response_plan(arn=b_plan)["incidentTemplate"]["title"] == "Changed by B"


def test_b_not_onboarded_cannot_see_as_replication_set(a, b):
    with pytest.raises(ClientError) as caught:
        b.get_replication_set(arn=a.replication_set)

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert b.list_replication_sets()["replicationSetArns"] == []


def test_as_replication_set_does_not_count_against_bs_quota(a, b):
    arn = b.create_replication_set(regions={"eu-west-1": {}})["arn"]

    assert arn != a.replication_set
    assert b.list_replication_sets()["replicationSetArns"] == [arn]


def test_deleting_as_replication_set_leaves_b_onboarded_with_its_data(incidents, a, onboarded_b):
    b_set = onboarded_b.list_replication_sets()["replicationSetArns"][0]

    incidents.delete_replication_set(arn=a.replication_set)

    assert onboarded_b.get_replication_set(arn=b_set)["replicationSet"]["status"] == "ACTIVE"
    assert [p["name"] for p in onboarded_b.list_response_plans()["responsePlanSummaries"]] == ["test-plan"]
    assert len(onboarded_b.list_incident_records()["incidentRecordSummaries"]) == 1
