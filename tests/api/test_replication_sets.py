"""The replication set: onboarding, regions, deletion protection and leaving (aws-behaviour §3.1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from support import Server, refused, status_of, wait_until

CUSTOMER_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_CUSTOMER_KEY = "arn:aws:kms:us-west-2:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"
NOT_ONBOARDED = (
    "This account has no replication set. Create one with CreateReplicationSet before using Incident Manager."
)

# A second API node on the same database whose replication changes settle after 3 s instead of 0.2 s, so
# that the CREATING and UPDATING states can be observed without racing the worker. It runs no worker: the
# shared server's worker settles its jobs when they fall due.
SLOW_CONFIG = """
[replication]
settle_seconds = 3
"""


@pytest.fixture(scope="module")
def slow_server(server: Server, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(database_url, tmp_path_factory.mktemp("slow-server"), SLOW_CONFIG, worker=False).start()
    yield running
    running.stop()


@pytest.fixture
def slow_incidents(slow_server: Server, account):  # type: ignore[no-untyped-def]
    return slow_server.client(account)


def replication_set_of(incidents, arn: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return incidents.get_replication_set(arn=arn)["replicationSet"]


def wait_active(incidents, arn: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Poll until the replication set is ACTIVE; its document then."""

    def active() -> dict[str, Any] | None:
        doc = replication_set_of(incidents, arn)
        return doc if doc["status"] == "ACTIVE" else None

    return wait_until(active)


# --- CreateReplicationSet -----------------------------------------------------------------------------------


def test_create_is_creating_then_active_within_seconds(slow_incidents):
    response = slow_incidents.create_replication_set(regions={"us-east-1": {}})
    assert status_of(response) == 201
    arn = response["arn"]

    creating = replication_set_of(slow_incidents, arn)
    assert creating["status"] == "CREATING"
    assert creating["regionMap"]["us-east-1"]["status"] == "CREATING"

    started = time.monotonic()
    active = wait_active(slow_incidents, arn)
    assert time.monotonic() - started < 10
    assert active["regionMap"]["us-east-1"]["status"] == "ACTIVE"


def test_create_returns_a_replication_set_arn_of_the_account(incidents, account):
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]

    prefix = f"arn:aws:ssm-incidents::{account.account_id}:replication-set/"
    assert arn.startswith(prefix)
    assert len(arn) > len(prefix)


def test_a_region_without_a_key_uses_the_aws_owned_default_key(incidents):
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "us-west-2": {}})["arn"]

    regions = replication_set_of(incidents, arn)["regionMap"]
    assert {name: info["sseKmsKeyId"] for name, info in regions.items()} == {
        "us-east-1": "DefaultKey",
        "us-west-2": "DefaultKey",
    }


def test_a_customer_managed_key_is_kept(incidents):
    arn = incidents.create_replication_set(
        regions={"us-east-1": {"sseKmsKeyId": CUSTOMER_KEY}, "us-west-2": {"sseKmsKeyId": OTHER_CUSTOMER_KEY}}
    )["arn"]

    regions = replication_set_of(incidents, arn)["regionMap"]
    assert regions["us-east-1"]["sseKmsKeyId"] == CUSTOMER_KEY
    assert regions["us-west-2"]["sseKmsKeyId"] == OTHER_CUSTOMER_KEY


@pytest.mark.parametrize("default", [{}, {"sseKmsKeyId": "DefaultKey"}], ids=["omitted", "named"])
def test_mixing_the_default_key_and_a_customer_key_is_refused(incidents, default):
    error = refused(
        incidents.create_replication_set,
        regions={"us-east-1": default, "us-west-2": {"sseKmsKeyId": CUSTOMER_KEY}},
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "All Regions must use the AWS owned key, or all must use customer managed keys."
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_more_than_three_regions_at_create_are_refused(incidents):
    regions = {name: {} for name in ("us-east-1", "us-east-2", "us-west-1", "us-west-2")}

    error = refused(incidents.create_replication_set, regions=regions)

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].endswith(
        "at 'regions' failed to satisfy constraint: Member must have length less than or equal to 3"
    )
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_a_second_replication_set_exceeds_the_quota(incidents, replication_set):
    error = refused(incidents.create_replication_set, regions={"us-west-2": {}})

    assert error["Error"]["Code"] == "ServiceQuotaExceededException"
    assert status_of(error) == 402
    assert replication_set in error["Error"]["Message"]
    assert error["serviceCode"] == "ssm-incidents"
    assert incidents.list_replication_sets()["replicationSetArns"] == [replication_set]


def test_tags_given_at_create_are_on_the_replication_set(incidents):
    arn = incidents.create_replication_set(regions={"us-east-1": {}}, tags={"team": "sre", "cost-centre": ""})["arn"]

    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "sre", "cost-centre": ""}


# --- GetReplicationSet and ListReplicationSets --------------------------------------------------------------


def test_get_returns_every_required_member(incidents, replication_set):
    model = incidents.meta.service_model
    doc = replication_set_of(incidents, replication_set)

    assert set(model.shape_for("ReplicationSet").required_members) <= set(doc)
    assert doc["arn"] == replication_set
    assert doc["deletionProtected"] is False
    for region in doc["regionMap"].values():
        assert set(model.shape_for("RegionInfo").required_members) <= set(region)
    assert doc["createdTime"] <= doc["lastModifiedTime"]


def test_created_by_and_last_modified_by_are_the_callers_arn(incidents, account, replication_set):
    doc = replication_set_of(incidents, replication_set)

    caller = f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"
    assert doc["createdBy"] == caller
    assert doc["lastModifiedBy"] == caller


def test_get_of_an_unknown_arn_is_not_found(incidents, account, replication_set):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:replication-set/00000000-0000-0000-0000-000000000000"

    error = refused(incidents.get_replication_set, arn=unknown)

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 404
    assert error["resourceIdentifier"] == unknown
    assert error["resourceType"] == "REPLICATION_SET"


def test_get_before_onboarding_is_not_found(incidents, account):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:replication-set/00000000-0000-0000-0000-000000000000"

    error = refused(incidents.get_replication_set, arn=unknown)

    assert error["Error"]["Code"] == "ResourceNotFoundException"


def test_list_is_empty_then_holds_the_one_replication_set(incidents):
    assert incidents.list_replication_sets()["replicationSetArns"] == []

    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]

    assert incidents.list_replication_sets()["replicationSetArns"] == [arn]


# --- UpdateReplicationSet -----------------------------------------------------------------------------------


def test_adding_a_region_updates_then_activates_it(slow_incidents):
    arn = slow_incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    created = wait_active(slow_incidents, arn)

    response = slow_incidents.update_replication_set(
        arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    )

    assert status_of(response) == 204
    updating = replication_set_of(slow_incidents, arn)
    assert updating["status"] == "UPDATING"
    assert updating["regionMap"]["eu-west-1"]["status"] == "CREATING"
    active = wait_active(slow_incidents, arn)
    assert active["regionMap"]["eu-west-1"]["status"] == "ACTIVE"
    assert active["regionMap"]["eu-west-1"]["sseKmsKeyId"] == "DefaultKey"
    assert active["regionMap"]["us-east-1"]["status"] == "ACTIVE"
    assert active["lastModifiedTime"] > created["lastModifiedTime"]


def test_more_than_one_action_per_update_is_refused(incidents, replication_set):
    actions = [
        {"addRegionAction": {"regionName": "eu-west-1"}},
        {"addRegionAction": {"regionName": "eu-west-2"}},
    ]

    error = refused(incidents.update_replication_set, arn=replication_set, actions=actions)

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].endswith(
        "at 'actions' failed to satisfy constraint: Member must have length less than or equal to 1"
    )
    assert set(replication_set_of(incidents, replication_set)["regionMap"]) == {"us-east-1"}


def test_adding_a_region_already_in_the_set_is_refused(incidents, replication_set):
    error = refused(
        incidents.update_replication_set,
        arn=replication_set,
        actions=[{"addRegionAction": {"regionName": "us-east-1"}}],
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "Region us-east-1 is already in the replication set."
    assert replication_set_of(incidents, replication_set)["status"] == "ACTIVE"


def test_a_fourth_region_is_refused(incidents):
    arn = incidents.create_replication_set(regions={"us-east-1": {}, "us-east-2": {}, "us-west-2": {}})["arn"]
    wait_active(incidents, arn)

    error = refused(
        incidents.update_replication_set, arn=arn, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "A replication set can have at most 3 Regions."
    assert set(replication_set_of(incidents, arn)["regionMap"]) == {"us-east-1", "us-east-2", "us-west-2"}


def test_adding_a_customer_key_region_to_a_default_key_set_is_refused(incidents, replication_set):
    action = {"addRegionAction": {"regionName": "eu-west-1", "sseKmsKeyId": CUSTOMER_KEY}}

    error = refused(incidents.update_replication_set, arn=replication_set, actions=[action])

    assert error["Error"]["Code"] == "ValidationException"
    assert set(replication_set_of(incidents, replication_set)["regionMap"]) == {"us-east-1"}


def test_updating_while_not_active_is_a_conflict(slow_incidents):
    arn = slow_incidents.create_replication_set(regions={"us-east-1": {}})["arn"]

    error = refused(
        slow_incidents.update_replication_set,
        arn=arn,
        actions=[{"addRegionAction": {"regionName": "eu-west-1"}}],
    )

    assert error["Error"]["Code"] == "ConflictException"
    assert status_of(error) == 409
    assert error["resourceIdentifier"] == arn
    assert set(wait_active(slow_incidents, arn)["regionMap"]) == {"us-east-1"}


def test_updating_an_unknown_replication_set_is_not_found(incidents, account, replication_set):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:replication-set/00000000-0000-0000-0000-000000000000"

    error = refused(
        incidents.update_replication_set,
        arn=unknown,
        actions=[{"addRegionAction": {"regionName": "eu-west-1"}}],
    )

    assert error["Error"]["Code"] == "ResourceNotFoundException"


def test_a_region_can_be_deleted_only_some_time_after_it_was_added(incidents, replication_set):
    # AWS waits 24 h (UG replication.md); the test servers wait about 2 s (TEST_CONFIG in conftest).
    added_at = time.monotonic()
    incidents.update_replication_set(arn=replication_set, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}])
    wait_active(incidents, replication_set)
    delete = [{"deleteRegionAction": {"regionName": "eu-west-1"}}]

    error = refused(incidents.update_replication_set, arn=replication_set, actions=delete)

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "Region eu-west-1 can't be deleted until 24 hours after it was added."
    assert "eu-west-1" in replication_set_of(incidents, replication_set)["regionMap"]

    time.sleep(max(0.0, added_at + 2.5 - time.monotonic()))
    incidents.update_replication_set(arn=replication_set, actions=delete)
    assert replication_set_of(incidents, replication_set)["regionMap"]["eu-west-1"]["status"] == "DELETING"
    assert set(wait_active(incidents, replication_set)["regionMap"]) == {"us-east-1"}


def test_deleting_a_region_not_in_the_set_is_refused(incidents, replication_set):
    error = refused(
        incidents.update_replication_set,
        arn=replication_set,
        actions=[{"deleteRegionAction": {"regionName": "ap-south-1"}}],
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "Region ap-south-1 is not in the replication set."


def test_the_last_region_cannot_be_removed(incidents, replication_set):
    error = refused(
        incidents.update_replication_set,
        arn=replication_set,
        actions=[{"deleteRegionAction": {"regionName": "us-east-1"}}],
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert "DeleteReplicationSet" in error["Error"]["Message"]
    assert replication_set_of(incidents, replication_set)["regionMap"]["us-east-1"]["status"] == "ACTIVE"


# --- UpdateDeletionProtection and DeleteReplicationSet ------------------------------------------------------


def test_deletion_protection_is_reported_by_get(incidents, replication_set):
    response = incidents.update_deletion_protection(arn=replication_set, deletionProtected=True)

    assert status_of(response) == 204
    assert replication_set_of(incidents, replication_set)["deletionProtected"] is True


def test_a_protected_replication_set_cannot_be_deleted(incidents, replication_set):
    incidents.update_deletion_protection(arn=replication_set, deletionProtected=True)

    error = refused(incidents.delete_replication_set, arn=replication_set)

    assert error["Error"]["Code"] == "ValidationException"
    assert "UpdateDeletionProtection" in error["Error"]["Message"]
    assert replication_set_of(incidents, replication_set)["status"] == "ACTIVE"


def test_an_unprotected_replication_set_is_deleted(incidents, replication_set):
    incidents.update_deletion_protection(arn=replication_set, deletionProtected=True)
    incidents.update_deletion_protection(arn=replication_set, deletionProtected=False)

    response = incidents.delete_replication_set(arn=replication_set)

    assert status_of(response) == 204
    error = refused(incidents.get_replication_set, arn=replication_set)
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 404
    assert incidents.list_replication_sets()["replicationSetArns"] == []


def test_deleting_an_unknown_replication_set_is_not_found(incidents, account, replication_set):
    unknown = f"arn:aws:ssm-incidents::{account.account_id}:replication-set/00000000-0000-0000-0000-000000000000"

    error = refused(incidents.delete_replication_set, arn=unknown)

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert replication_set_of(incidents, replication_set)["status"] == "ACTIVE"


def test_deleting_the_replication_set_deletes_all_of_the_accounts_data(incidents, replication_set):
    plan = incidents.create_response_plan(
        name="doomed", incidentTemplate={"title": "Doomed", "impact": 3}, tags={"owner": "sre"}
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    incidents.tag_resource(resourceArn=incident, tags={"severity": "high"})
    incidents.put_resource_policy(resourceArn=plan, policy='{"Version": "2012-10-17", "Statement": []}')

    incidents.delete_replication_set(arn=replication_set)

    # The account is as if it had never onboarded...
    error = refused(incidents.list_response_plans)
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == NOT_ONBOARDED
    # ...and onboarding again finds nothing of the old data, even under the same names.
    wait_active(incidents, incidents.create_replication_set(regions={"us-east-1": {}})["arn"])
    assert incidents.list_response_plans()["responsePlanSummaries"] == []
    assert incidents.list_incident_records()["incidentRecordSummaries"] == []
    assert refused(incidents.get_incident_record, arn=incident)["Error"]["Code"] == "ResourceNotFoundException"
    same_name = incidents.create_response_plan(name="doomed", incidentTemplate={"title": "New", "impact": 3})["arn"]
    assert same_name == plan
    assert incidents.list_tags_for_resource(resourceArn=plan)["tags"] == {}
    assert incidents.get_resource_policies(resourceArn=plan)["resourcePolicies"] == []


def test_a_client_token_used_before_the_delete_creates_a_new_replication_set(incidents):
    first = incidents.create_replication_set(regions={"us-east-1": {}}, clientToken="onboarding")["arn"]
    wait_active(incidents, first)
    incidents.delete_replication_set(arn=first)

    second = incidents.create_replication_set(regions={"us-east-1": {}}, clientToken="onboarding")["arn"]

    assert second != first
    assert wait_active(incidents, second)["arn"] == second


# --- Waiters ------------------------------------------------------------------------------------------------


def test_the_replication_set_active_waiter_returns_once_active(incidents):
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]

    incidents.get_waiter("wait_for_replication_set_active").wait(arn=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 10})

    assert replication_set_of(incidents, arn)["status"] == "ACTIVE"


def test_the_replication_set_deleted_waiter_returns_once_deleted(incidents, replication_set):
    incidents.delete_replication_set(arn=replication_set)

    incidents.get_waiter("wait_for_replication_set_deleted").wait(
        arn=replication_set, WaiterConfig={"Delay": 1, "MaxAttempts": 3}
    )


# --- Before onboarding --------------------------------------------------------------------------------------


NEEDS_ONBOARDING = {
    "CreateResponsePlan": (
        "create_response_plan",
        {"name": "p", "incidentTemplate": {"title": "t", "impact": 3}},
    ),
    "ListResponsePlans": ("list_response_plans", {}),
    "ListIncidentRecords": ("list_incident_records", {}),
    "StartIncident": (
        "start_incident",
        {"responsePlanArn": "arn:aws:ssm-incidents::100000000000:response-plan/p"},
    ),
}


@pytest.mark.parametrize("operation", NEEDS_ONBOARDING)
def test_operations_before_onboarding_ask_for_a_replication_set(incidents, operation):
    method, params = NEEDS_ONBOARDING[operation]

    error = refused(getattr(incidents, method), **params)

    assert error["Error"]["Code"] == "ValidationException"
    assert status_of(error) == 400
    assert error["Error"]["Message"] == NOT_ONBOARDED
