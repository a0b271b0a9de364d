"""Client tokens: a retry gets the first answer and the work is done once; other parameters are a conflict."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from support import wait_until

TOKEN = "3f2c1d9e-0000-4000-8000-000000000001"
RECORD_UPDATE = "SSM Incident Record Update"
TEMPLATE = {"title": "T", "impact": 3}


def onboard(incidents) -> None:  # type: ignore[no-untyped-def]
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")


def plan_names(incidents) -> list[str]:  # type: ignore[no-untyped-def]
    return [plan["name"] for plan in incidents.list_response_plans()["responsePlanSummaries"]]


def incident_arns(incidents) -> list[str]:  # type: ignore[no-untyped-def]
    return [summary["arn"] for summary in incidents.list_incident_records()["incidentRecordSummaries"]]


def events_of_type(incidents, incident_arn: str, event_type: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    events = incidents.list_timeline_events(incidentRecordArn=incident_arn)["eventSummaries"]
    return [event for event in events if event["eventType"] == event_type]


def assert_conflict(call, **params) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.fixture
def incident(incidents, response_plan: str) -> str:  # type: ignore[no-untyped-def]
    return incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]


# CreateResponsePlan


def test_a_retried_create_response_plan_returns_the_first_answer(incidents, replication_set):
    params = {"name": "retried", "incidentTemplate": TEMPLATE, "clientToken": TOKEN}
    first = incidents.create_response_plan(**params)
    # Without the token, a second create of the same name would be a ConflictException.
    second = incidents.create_response_plan(**params)
    assert second["arn"] == first["arn"]
    assert plan_names(incidents) == ["retried"]


def test_a_reused_plan_token_with_other_parameters_is_a_conflict(incidents, replication_set):
    incidents.create_response_plan(name="first", incidentTemplate=TEMPLATE, clientToken=TOKEN)
    assert_conflict(incidents.create_response_plan, name="second", incidentTemplate=TEMPLATE, clientToken=TOKEN)
    assert plan_names(incidents) == ["first"]


# StartIncident


def test_a_retried_start_incident_opens_one_incident(incidents, response_plan):
    first = incidents.start_incident(responsePlanArn=response_plan, clientToken=TOKEN)
    second = incidents.start_incident(responsePlanArn=response_plan, clientToken=TOKEN)
    assert second["incidentRecordArn"] == first["incidentRecordArn"]
    assert incident_arns(incidents) == [first["incidentRecordArn"]]


def test_a_reused_start_token_with_other_parameters_is_a_conflict(incidents, response_plan):
    arn = incidents.start_incident(responsePlanArn=response_plan, clientToken=TOKEN)["incidentRecordArn"]
    assert_conflict(incidents.start_incident, responsePlanArn=response_plan, title="Other", clientToken=TOKEN)
    assert incident_arns(incidents) == [arn]


def test_concurrent_retries_of_start_incident_open_one_incident(server, account, incidents, response_plan):
    clients = [server.client(account) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers: list[str] = []
    failures: list[BaseException] = []

    def start(client) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            answer = client.start_incident(responsePlanArn=response_plan, clientToken=TOKEN)
            answers.append(answer["incidentRecordArn"])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(answers) == len(clients)
    assert len(set(answers)) == 1
    assert incident_arns(incidents) == answers[:1]


# CreateTimelineEvent


def create_event(incidents, incident: str, data: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """A custom event, always sent with the same client token."""
    return incidents.create_timeline_event(
        incidentRecordArn=incident,
        eventTime=1704164645.678,
        eventType="Custom Event",
        eventData=json.dumps(data),
        clientToken=TOKEN,
    )


def test_a_retried_create_timeline_event_adds_one_event(incidents, incident):
    before = len(events_of_type(incidents, incident, "Custom Event"))
    first = create_event(incidents, incident, "note")
    second = create_event(incidents, incident, "note")
    assert second["eventId"] == first["eventId"]
    assert len(events_of_type(incidents, incident, "Custom Event")) == before + 1


def test_a_reused_event_token_with_other_parameters_is_a_conflict(incidents, incident):
    before = len(events_of_type(incidents, incident, "Custom Event"))
    event_id = create_event(incidents, incident, "note")["eventId"]
    with pytest.raises(ClientError) as caught:
        create_event(incidents, incident, "another note")
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert len(events_of_type(incidents, incident, "Custom Event")) == before + 1
    event = incidents.get_timeline_event(incidentRecordArn=incident, eventId=event_id)["event"]
    assert json.loads(event["eventData"]) == "note"


# UpdateIncidentRecord


def test_a_retried_update_is_not_applied_again(incidents, incident):
    incidents.update_incident_record(arn=incident, title="First title", clientToken=TOKEN)
    incidents.update_incident_record(arn=incident, title="Second title")
    # A late retry of the first update must not undo the second one.
    incidents.update_incident_record(arn=incident, title="First title", clientToken=TOKEN)
    assert incidents.get_incident_record(arn=incident)["incidentRecord"]["title"] == "Second title"
    assert len(events_of_type(incidents, incident, RECORD_UPDATE)) == 2


def test_a_reused_update_token_with_other_parameters_is_a_conflict(incidents, incident):
    incidents.update_incident_record(arn=incident, title="First title", clientToken=TOKEN)
    assert_conflict(incidents.update_incident_record, arn=incident, title="Other title", clientToken=TOKEN)
    assert incidents.get_incident_record(arn=incident)["incidentRecord"]["title"] == "First title"
    assert len(events_of_type(incidents, incident, RECORD_UPDATE)) == 1


# Tenancy


def test_two_accounts_may_use_the_same_token(server, account, other_account):
    first, second = server.client(account), server.client(other_account)
    arns = []
    for client in (first, second):
        onboard(client)
        plan = client.create_response_plan(name="shared", incidentTemplate=TEMPLATE, clientToken=TOKEN)["arn"]
        arns.append(client.start_incident(responsePlanArn=plan, clientToken=TOKEN)["incidentRecordArn"])
    assert f":{account.account_id}:" in arns[0]
    assert f":{other_account.account_id}:" in arns[1]
    assert incident_arns(first) == [arns[0]]
    assert incident_arns(second) == [arns[1]]
