"""UpdateIncidentRecord and DeleteIncidentRecord: attribute changes, their timeline events, and deletion.

AWS behaviour: docs/aws-behaviour.md §3.6 (UpdateIncidentRecord) and §3.2 (deletes).
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from incidentd.store.db import Database
from incidentd.store.tables import related_items, timeline_events

UPDATE_EVENT = "SSM Incident Record Update"


def caller_arn(account) -> str:
    """The IAM identity incidentd reports for a test account's access key."""
    return f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"


@pytest.fixture
def incident(incidents, replication_set, account) -> str:
    """An open incident from a plan with a chat channel and a notification target; its ARN."""
    plan = incidents.create_response_plan(
        name="plan",
        incidentTemplate={
            "title": "Database down",
            "impact": 2,
            "summary": "Primary is unreachable.",
            "notificationTargets": [{"snsTopicArn": f"arn:aws:sns:us-east-1:{account.account_id}:oncall"}],
        },
        chatChannel={"chatbotSns": [f"arn:aws:sns:us-east-1:{account.account_id}:chat"]},
    )["arn"]
    return incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]


def get_record(incidents, arn: str) -> dict:
    return incidents.get_incident_record(arn=arn)["incidentRecord"]


def update_events(incidents, arn: str) -> list[dict]:
    """The incident's "SSM Incident Record Update" events, oldest first, with their eventData."""
    summaries = incidents.list_timeline_events(
        incidentRecordArn=arn,
        sortOrder="ASCENDING",
        filters=[{"key": "eventType", "condition": {"equals": {"stringValues": [UPDATE_EVENT]}}}],
    )["eventSummaries"]
    return [incidents.get_timeline_event(incidentRecordArn=arn, eventId=s["eventId"])["event"] for s in summaries]


def test_update_answers_204(incidents, incident):
    answer = incidents.update_incident_record(arn=incident, summary="Failover started.")

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert get_record(incidents, incident)["summary"] == "Failover started."


def test_resolving_sets_the_resolved_time(incidents, incident):
    incidents.update_incident_record(arn=incident, status="RESOLVED")

    record = get_record(incidents, incident)
    assert record["status"] == "RESOLVED"
    assert record["resolvedTime"] >= record["creationTime"]
    assert record["resolvedTime"] == record["lastModifiedTime"]


def test_the_resolved_incident_lists_its_resolved_time(incidents, incident):
    incidents.update_incident_record(arn=incident, status="RESOLVED")

    [summary] = incidents.list_incident_records()["incidentRecordSummaries"]

    assert summary["status"] == "RESOLVED"
    assert summary["resolvedTime"] == get_record(incidents, incident)["resolvedTime"]


def test_reopening_clears_the_resolved_time(incidents, incident):
    incidents.update_incident_record(arn=incident, status="RESOLVED")

    incidents.update_incident_record(arn=incident, status="OPEN")

    record = get_record(incidents, incident)
    assert record["status"] == "OPEN"
    assert "resolvedTime" not in record


def test_resolving_twice_keeps_the_first_resolved_time(incidents, incident):
    incidents.update_incident_record(arn=incident, status="RESOLVED")
    first = get_record(incidents, incident)["resolvedTime"]

    incidents.update_incident_record(arn=incident, status="RESOLVED")

    assert get_record(incidents, incident)["resolvedTime"] == first


def test_a_change_is_logged_as_a_record_update_event(incidents, incident, account):
    incidents.update_incident_record(arn=incident, status="RESOLVED")

    [event] = update_events(incidents, incident)

    assert json.loads(event["eventData"]) == {
        "modifiedBy": caller_arn(account),
        "modifiedAttributes": [{"attributeName": "status", "newValue": "RESOLVED"}],
        "incidentTitle": "Database down",
    }
    assert {"resource": incident} in event["eventReferences"]


def test_one_update_of_several_attributes_is_one_event(incidents, incident):
    incidents.update_incident_record(arn=incident, title="Database failover", impact=1, summary="Replica promoted.")

    [event] = update_events(incidents, incident)

    data = json.loads(event["eventData"])
    changes = {c["attributeName"]: c["newValue"] for c in data["modifiedAttributes"]}
    assert changes == {"title": "Database failover", "impact": "1", "summary": "Replica promoted."}
    assert data["incidentTitle"] == "Database failover"


def test_only_the_attributes_that_change_are_logged(incidents, incident):
    incidents.update_incident_record(arn=incident, title="Database down", impact=1)

    [event] = update_events(incidents, incident)

    assert json.loads(event["eventData"])["modifiedAttributes"] == [{"attributeName": "impact", "newValue": "1"}]


def test_every_update_adds_its_own_event(incidents, incident):
    incidents.update_incident_record(arn=incident, impact=1)
    incidents.update_incident_record(arn=incident, status="RESOLVED")

    events = update_events(incidents, incident)

    assert [json.loads(e["eventData"])["modifiedAttributes"][0]["attributeName"] for e in events] == [
        "impact",
        "status",
    ]


def test_a_no_op_update_logs_nothing_and_changes_nothing(incidents, incident):
    before = get_record(incidents, incident)

    incidents.update_incident_record(arn=incident, title="Database down", impact=2, status="OPEN")
    incidents.update_incident_record(arn=incident)

    assert update_events(incidents, incident) == []
    assert get_record(incidents, incident) == before


def test_an_empty_chat_channel_removes_the_channel(incidents, incident):
    incidents.update_incident_record(arn=incident, chatChannel={"empty": {}})

    # AWS may report a removed channel as {"empty": {}} or leave the member out; either means none (§1.8).
    assert get_record(incidents, incident).get("chatChannel", {"empty": {}}) == {"empty": {}}
    [event] = update_events(incidents, incident)
    assert json.loads(event["eventData"])["modifiedAttributes"][0]["attributeName"] == "chatChannel"


def test_removing_a_chat_channel_that_is_not_there_logs_nothing(incidents, replication_set):
    plan = incidents.create_response_plan(name="quiet", incidentTemplate={"title": "t", "impact": 3})["arn"]
    arn = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]

    incidents.update_incident_record(arn=arn, chatChannel={"empty": {}})

    assert update_events(incidents, arn) == []


def test_removing_a_chat_channel_twice_logs_once(incidents, incident):
    incidents.update_incident_record(arn=incident, chatChannel={"empty": {}})

    incidents.update_incident_record(arn=incident, chatChannel={"empty": {}})

    assert len(update_events(incidents, incident)) == 1


def test_a_new_chat_channel_replaces_the_old_one(incidents, incident, account):
    topics = [f"arn:aws:sns:us-east-1:{account.account_id}:war-room"]

    incidents.update_incident_record(arn=incident, chatChannel={"chatbotSns": topics})

    assert get_record(incidents, incident)["chatChannel"] == {"chatbotSns": topics}


def test_notification_targets_are_replaced(incidents, incident, account):
    targets = [
        {"snsTopicArn": f"arn:aws:sns:us-east-1:{account.account_id}:managers"},
        {"snsTopicArn": f"arn:aws:sns:us-east-1:{account.account_id}:status-page"},
    ]

    incidents.update_incident_record(arn=incident, notificationTargets=targets)
    assert get_record(incidents, incident)["notificationTargets"] == targets

    incidents.update_incident_record(arn=incident, notificationTargets=[])
    assert get_record(incidents, incident)["notificationTargets"] == []


def test_an_update_moves_last_modified_time_and_by(incidents, incident, account):
    before = get_record(incidents, incident)
    time.sleep(0.01)  # the clock has millisecond resolution

    incidents.update_incident_record(arn=incident, impact=1)

    after = get_record(incidents, incident)
    assert after["lastModifiedTime"] > before["lastModifiedTime"]
    assert after["lastModifiedBy"] == caller_arn(account)
    assert after["creationTime"] == before["creationTime"]


def test_updating_an_unknown_incident_is_not_found(incidents, incident):
    missing = incident.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"

    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        incidents.update_incident_record(arn=missing, status="RESOLVED")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert caught.value.response["resourceType"] == "INCIDENT_RECORD"
    assert caught.value.response["resourceIdentifier"] == missing


def test_another_accounts_incident_can_not_be_updated(incidents, incident, server, other_account):
    other = server.client(other_account)
    other.create_replication_set(regions={"us-east-1": {}})

    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.update_incident_record(arn=incident, status="RESOLVED")

    assert get_record(incidents, incident)["status"] == "OPEN"


# --- DeleteIncidentRecord -----------------------------------------------------------------------------------


@pytest.fixture
def database(server):
    """The server's own database, to check that nothing of a deleted incident is left behind."""
    db = Database(server.database_url)
    yield db
    db.dispose()


def rows_of(database: Database, table: sa.Table, incident_arn: str) -> int:
    with database.read() as conn:
        query = sa.select(sa.func.count()).select_from(table).where(table.c.incident_arn == incident_arn)
        return int(conn.execute(query).scalar_one())


def test_delete_answers_204_and_the_incident_is_gone(incidents, incident):
    answer = incidents.delete_incident_record(arn=incident)

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        incidents.get_incident_record(arn=incident)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert incidents.list_incident_records()["incidentRecordSummaries"] == []


def test_delete_removes_the_timeline_and_related_items(incidents, incident, database):
    incidents.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": "https://example.com"}}}},
    )
    assert rows_of(database, timeline_events, incident) > 0

    incidents.delete_incident_record(arn=incident)

    assert rows_of(database, timeline_events, incident) == 0
    assert rows_of(database, related_items, incident) == 0
    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        incidents.list_timeline_events(incidentRecordArn=incident)


def test_deleting_a_missing_incident_answers_204(incidents, incident):
    incidents.delete_incident_record(arn=incident)

    answer = incidents.delete_incident_record(arn=incident)

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_another_account_can_not_delete_an_incident(incidents, incident, server, other_account):
    other = server.client(other_account)
    other.create_replication_set(regions={"us-east-1": {}})

    other.delete_incident_record(arn=incident)

    assert get_record(incidents, incident)["status"] == "OPEN"
