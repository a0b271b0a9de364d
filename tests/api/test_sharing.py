"""Sharing between accounts (aws-behaviour §3.10, §4.4): a plan's or a contact's policy lets the accounts it names
use that plan or contact, and nothing else of the owner's; any other account still sees nothing."""

from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

import pytest

import support
from support import Account, Server, refused, sharing_policy, status_of, wait_until

PLAN_ACTIONS = (
    "ssm-incidents:GetResponsePlan",
    "ssm-incidents:StartIncident",
    "ssm-incidents:GetIncidentRecord",
    "ssm-incidents:UpdateIncidentRecord",
    "ssm-incidents:CreateTimelineEvent",
    "ssm-incidents:ListTimelineEvents",
    "ssm-incidents:GetTimelineEvent",
    "ssm-incidents:UpdateTimelineEvent",
    "ssm-incidents:ListRelatedItems",
    "ssm-incidents:UpdateRelatedItems",
)
# Accounts of their own, far from the ones the conftest hands out, so that nothing else shares with them.
_third = itertools.count(4000)


@pytest.fixture
def third_account() -> Account:
    return support.test_account(next(_third))


def onboard(client: Any) -> None:
    arn = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: client.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")


@pytest.fixture
def consumer(server: Server, other_account: Account) -> Any:
    """The ssm-incidents client of an onboarded account that plans may be shared with."""
    client = server.client(other_account)
    onboard(client)
    return client


@pytest.fixture
def stranger(server: Server, third_account: Account) -> Any:
    """The ssm-incidents client of an onboarded account that nothing is shared with."""
    client = server.client(third_account)
    onboard(client)
    return client


def missing(error: dict[str, Any]) -> bool:
    """Whether a refusal says the resource does not exist (in the caller's own, onboarded account)."""
    return error["Error"]["Code"] == "ResourceNotFoundException"


def code(error: dict[str, Any]) -> str:
    return str(error["Error"]["Code"])


def test_a_shared_plan_lets_the_consumer_start_and_run_an_incident_that_both_accounts_see(
    server: Server,
    incidents: Any,
    response_plan: str,
    account: Account,
    other_account: Account,
    third_account: Account,
    consumer: Any,
    stranger: Any,
) -> None:
    incidents.put_resource_policy(
        resourceArn=response_plan, policy=sharing_policy(response_plan, other_account.account_id, PLAN_ACTIONS)
    )

    assert consumer.get_response_plan(arn=response_plan)["name"] == "test-plan"
    incident = consumer.start_incident(responsePlanArn=response_plan, title="Seen from B")["incidentRecordArn"]
    assert f":{account.account_id}:incident-record/test-plan/" in incident  # it belongs to the plan's account
    consumer.update_incident_record(arn=incident, impact=2)
    consumer.create_timeline_event(
        incidentRecordArn=incident,
        eventTime=datetime.datetime.now(datetime.UTC),
        eventType="Custom Event",
        eventData='"B looked at the dashboards"',
    )
    consumer.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": "https://b.example/"}}}},
    )

    record = incidents.get_incident_record(arn=incident)["incidentRecord"]
    assert record["impact"] == 2
    assert record["incidentRecordSource"]["createdBy"] == f"arn:aws:iam::{other_account.account_id}:user/" + (
        other_account.access_key_id
    )
    listed = [s["arn"] for s in incidents.list_incident_records()["incidentRecordSummaries"]]
    assert incident in listed
    events = consumer.list_timeline_events(incidentRecordArn=incident)["eventSummaries"]
    assert "Custom Event" in {event["eventType"] for event in events}
    assert consumer.get_incident_record(arn=incident)["incidentRecord"]["title"] == "Seen from B"
    # A third account sees none of it.
    for call, params in (
        (stranger.get_response_plan, {"arn": response_plan}),
        (stranger.start_incident, {"responsePlanArn": response_plan}),
        (stranger.get_incident_record, {"arn": incident}),
        (stranger.list_timeline_events, {"incidentRecordArn": incident}),
    ):
        assert missing(refused(call, **params))
    assert len(incidents.list_incident_records()["incidentRecordSummaries"]) == 1


def test_sharing_a_plan_shows_nothing_else_of_the_owners(
    server: Server, incidents: Any, response_plan: str, other_account: Account, consumer: Any
) -> None:
    unshared = incidents.create_response_plan(name="private", incidentTemplate={"title": "Private", "impact": 1})["arn"]
    incidents.put_resource_policy(
        resourceArn=response_plan, policy=sharing_policy(response_plan, other_account.account_id, PLAN_ACTIONS)
    )
    incident = incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]

    # Actions the sharing does not grant, and resources it does not name, are as if they weren't there...
    for call, params in (
        (consumer.get_response_plan, {"arn": unshared}),
        (consumer.update_response_plan, {"arn": response_plan, "displayName": "Mine now"}),
        (consumer.get_resource_policies, {"resourceArn": response_plan}),
        (consumer.tag_resource, {"resourceArn": incident, "tags": {"owner": "b"}}),
    ):
        assert missing(refused(call, **params))
    # ...so deleting them deletes nothing (deleting a missing plan or incident is not an error, as on AWS).
    consumer.delete_response_plan(arn=response_plan)
    consumer.delete_incident_record(arn=incident)
    assert incidents.get_response_plan(arn=response_plan).get("displayName") == "Test plan"
    assert incidents.get_incident_record(arn=incident)["incidentRecord"]["arn"] == incident


def test_a_sharing_grants_only_the_actions_it_lists_and_ends_when_deleted(
    server: Server, incidents: Any, response_plan: str, other_account: Account, consumer: Any
) -> None:
    policy_id = incidents.put_resource_policy(
        resourceArn=response_plan,
        policy=sharing_policy(response_plan, other_account.account_id, ("ssm-incidents:GetResponsePlan",)),
    )["policyId"]

    assert consumer.get_response_plan(arn=response_plan)["name"] == "test-plan"
    assert missing(refused(consumer.start_incident, responsePlanArn=response_plan))

    incidents.delete_resource_policy(resourceArn=response_plan, policyId=policy_id)

    assert missing(refused(consumer.get_response_plan, arn=response_plan))


def test_a_plan_may_be_shared_with_one_principal_of_an_account(
    server: Server,
    incidents: Any,
    response_plan: str,
    other_account: Account,
    third_account: Account,
    consumer: Any,
    stranger: Any,
) -> None:
    named = f"arn:aws:iam::{other_account.account_id}:user/{other_account.access_key_id}"
    incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan, named))

    assert consumer.get_response_plan(arn=response_plan)["name"] == "test-plan"
    assert missing(refused(stranger.get_response_plan, arn=response_plan))


def statement(plan: str, **changes: Any) -> str:
    document = json.loads(sharing_policy(plan))
    document["Statement"][0].update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Effect": "Deny"}, "only Allow statements"),
        ({"Action": ["ssm-incidents:DeleteResponsePlan"]}, "can't be shared"),
        ({"Action": "ssm-incidents:*"}, "can't be shared"),
        ({"Principal": "*"}, "Principal"),
        ({"Principal": {"AWS": "*"}}, "neither an account id nor an IAM principal ARN"),
        ({"Resource": "arn:aws:ssm-incidents:*:111122223333:response-plan/*"}, "is not this response-plan"),
        ({"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}, "Condition is not supported"),
    ],
    ids=["deny", "unsharable-action", "wildcard-action", "anyone", "any-principal", "other-plans", "condition"],
)
def test_a_policy_that_is_not_a_sharing_is_refused_when_put(
    incidents: Any, response_plan: str, change: dict[str, Any], message: str
) -> None:
    if "Resource" in change:
        change = {"Resource": change["Resource"].replace("111122223333", response_plan.split(":")[4])}

    error = refused(incidents.put_resource_policy, resourceArn=response_plan, policy=statement(response_plan, **change))

    assert code(error) == "ValidationException"
    assert status_of(error) == 400
    assert message in error["Error"]["Message"]
    assert incidents.get_resource_policies(resourceArn=response_plan)["resourcePolicies"] == []


def test_a_shared_contact_can_be_read_and_engaged_by_the_consumer_only(
    server: Server, account: Account, other_account: Account, third_account: Account, replication_set: str
) -> None:
    owner = server.client(account, "ssm-contacts")
    for client in (server.client(other_account), server.client(third_account)):
        onboard(client)
    consumer = server.client(other_account, "ssm-contacts")
    stranger = server.client(third_account, "ssm-contacts")
    contact = owner.create_contact(Alias="payments-oncall", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    engagements = contact.replace(":contact/", ":engagement/") + "/*"
    owner.put_contact_policy(
        ContactArn=contact,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": other_account.account_id},
                        "Action": [
                            "ssm-contacts:GetContact",
                            "ssm-contacts:StartEngagement",
                            "ssm-contacts:DescribeEngagement",
                        ],
                        "Resource": [contact, engagements],
                    }
                ],
            }
        ),
    )

    assert consumer.get_contact(ContactId=contact)["Alias"] == "payments-oncall"
    engagement = consumer.start_engagement(ContactId=contact, Sender="b-ops", Subject="Help", Content="Payments down")[
        "EngagementArn"
    ]
    assert f":{account.account_id}:engagement/payments-oncall/" in engagement
    assert consumer.describe_engagement(EngagementId=engagement)["Sender"] == "b-ops"
    assert owner.describe_engagement(EngagementId=engagement)["ContactArn"] == contact
    # Not granted: changing the contact; not named: anyone else.
    assert missing(refused(consumer.update_contact, ContactId=contact, DisplayName="Ours"))
    assert missing(refused(stranger.get_contact, ContactId=contact))
    assert "DisplayName" not in owner.get_contact(ContactId=contact)


def test_a_contact_policy_that_is_not_a_sharing_is_refused(
    server: Server, account: Account, replication_set: str
) -> None:
    owner = server.client(account, "ssm-contacts")
    contact = owner.create_contact(Alias="akua", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "222233334444"}, "Action": "ssm-contacts:DeleteContact"}
        ],
    }

    error = refused(owner.put_contact_policy, ContactArn=contact, Policy=json.dumps(document))

    assert code(error) == "ValidationException"
    assert "can't be shared" in error["Error"]["Message"]
    assert "Policy" not in owner.get_contact_policy(ContactArn=contact)


def test_the_consumers_listings_hold_what_is_shared_with_it_beside_its_own(
    server: Server,
    incidents: Any,
    response_plan: str,
    account: Account,
    other_account: Account,
    third_account: Account,
    consumer: Any,
    stranger: Any,
) -> None:
    own_plan = consumer.create_response_plan(name="test-plan", incidentTemplate={"title": "B's own", "impact": 4})[
        "arn"
    ]
    own_incident = consumer.start_incident(responsePlanArn=own_plan)["incidentRecordArn"]
    incidents.put_resource_policy(
        resourceArn=response_plan, policy=sharing_policy(response_plan, other_account.account_id, PLAN_ACTIONS)
    )
    shared_incident = incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]

    # Two plans of one name, the owner's and B's own, one page each: ARN order breaks the tie.
    first = consumer.list_response_plans(maxResults=1)
    second = consumer.list_response_plans(maxResults=1, nextToken=first["nextToken"])
    listed = [p["arn"] for p in first["responsePlanSummaries"] + second["responsePlanSummaries"]]
    assert listed == sorted([own_plan, response_plan]) and "nextToken" not in second
    incidents_listed = [s["arn"] for s in consumer.list_incident_records()["incidentRecordSummaries"]]
    assert incidents_listed == [shared_incident, own_incident]  # newest first, across both accounts
    assert [s["arn"] for s in stranger.list_response_plans()["responsePlanSummaries"]] == []
    assert stranger.list_incident_records()["incidentRecordSummaries"] == []
    # The owner's listings stay its own.
    assert [p["arn"] for p in incidents.list_response_plans()["responsePlanSummaries"]] == [response_plan]

    policy_id = incidents.get_resource_policies(resourceArn=response_plan)["resourcePolicies"][0]["policyId"]
    incidents.delete_resource_policy(resourceArn=response_plan, policyId=policy_id)

    assert [p["arn"] for p in consumer.list_response_plans()["responsePlanSummaries"]] == [own_plan]
    assert [s["arn"] for s in consumer.list_incident_records()["incidentRecordSummaries"]] == [own_incident]


def test_a_shared_contact_is_listed_for_the_consumer(
    server: Server, account: Account, other_account: Account, replication_set: str
) -> None:
    owner = server.client(account, "ssm-contacts")
    onboard(server.client(other_account))
    consumer = server.client(other_account, "ssm-contacts")
    contact = owner.create_contact(Alias="db-oncall", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    mine = consumer.create_contact(Alias="db-oncall", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    owner.put_contact_policy(
        ContactArn=contact,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{other_account.account_id}:root"},
                        "Action": "ssm-contacts:GetContact",
                        "Resource": contact,
                    }
                ],
            }
        ),
    )

    first = consumer.list_contacts(MaxResults=1)
    second = consumer.list_contacts(MaxResults=1, NextToken=first["NextToken"])

    assert [c["ContactArn"] for c in first["Contacts"] + second["Contacts"]] == sorted([contact, mine])
    assert [c["ContactArn"] for c in consumer.list_contacts(AliasPrefix="zz")["Contacts"]] == []
    assert [c["ContactArn"] for c in owner.list_contacts()["Contacts"]] == [contact]


def test_a_client_token_belongs_to_the_account_that_sent_it(
    server: Server, incidents: Any, response_plan: str, other_account: Account, consumer: Any
) -> None:
    incidents.put_resource_policy(
        resourceArn=response_plan, policy=sharing_policy(response_plan, other_account.account_id, PLAN_ACTIONS)
    )

    owners = incidents.start_incident(responsePlanArn=response_plan, clientToken="same-token")["incidentRecordArn"]
    consumers = consumer.start_incident(responsePlanArn=response_plan, clientToken="same-token")["incidentRecordArn"]

    assert owners != consumers
    assert consumer.start_incident(responsePlanArn=response_plan, clientToken="same-token")["incidentRecordArn"] == (
        consumers
    )


def test_every_resource_a_call_names_must_be_shared(
    server: Server, incidents: Any, response_plan: str, other_account: Account, consumer: Any
) -> None:
    # GetIncidentRecord is authorized on the incident and on its plan; a sharing of the incidents alone is not enough.
    document = json.loads(sharing_policy(response_plan, other_account.account_id, PLAN_ACTIONS))
    document["Statement"][0]["Resource"] = document["Statement"][0]["Resource"][1]
    incidents.put_resource_policy(resourceArn=response_plan, policy=json.dumps(document))
    incident = incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]

    error = refused(consumer.get_incident_record, arn=incident)

    assert missing(error)


def test_an_empty_statement_list_shares_nothing(
    server: Server, incidents: Any, response_plan: str, other_account: Account, consumer: Any
) -> None:
    incidents.put_resource_policy(resourceArn=response_plan, policy='{"Version": "2012-10-17", "Statement": []}')

    error = refused(consumer.get_response_plan, arn=response_plan)

    assert missing(error)
    assert len(incidents.get_resource_policies(resourceArn=response_plan)["resourcePolicies"]) == 1


def test_a_plan_shared_with_its_own_account_is_listed_once(
    incidents: Any, response_plan: str, account: Account
) -> None:
    incidents.put_resource_policy(resourceArn=response_plan, policy=sharing_policy(response_plan, account.account_id))

    assert [p["arn"] for p in incidents.list_response_plans()["responsePlanSummaries"]] == [response_plan]
