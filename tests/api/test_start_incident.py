"""StartIncident: the record a plan's template makes, deduplication, and the response kept as durable jobs.

AWS behaviour: docs/aws-behaviour.md §3.3 (StartIncident) and §3.4 (deduplication).
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from incidentd.domain import response
from incidentd.store.db import Database
from incidentd.store.tables import jobs

GENERATED_ID = re.compile(r"^related-item/(?P<type>[A-Z_]+)/[0-9A-F]{32}$")
NOW = datetime.datetime.now(datetime.UTC)


def caller_arn(account) -> str:
    """The IAM identity incidentd reports for a test account's access key."""
    return f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"


def create_plan(incidents, name: str = "plan", **members) -> str:
    """A response plan with a minimal template unless members say otherwise; its ARN."""
    members.setdefault("incidentTemplate", {"title": "Database down", "impact": 2})
    return incidents.create_response_plan(name=name, **members)["arn"]


def start(incidents, plan_arn: str, **params) -> str:
    """Start an incident; its ARN."""
    return incidents.start_incident(responsePlanArn=plan_arn, **params)["incidentRecordArn"]


def get_record(incidents, arn: str) -> dict:
    return incidents.get_incident_record(arn=arn)["incidentRecord"]


def timeline(incidents, arn: str) -> list[dict]:
    """Every event of an incident with its eventData, oldest first."""
    summaries = incidents.list_timeline_events(incidentRecordArn=arn, sortOrder="ASCENDING")["eventSummaries"]
    return [incidents.get_timeline_event(incidentRecordArn=arn, eventId=s["eventId"])["event"] for s in summaries]


def trigger(account, **extra) -> dict:
    """TriggerDetails as a CloudWatch alarm integration would send them."""
    details = {
        "source": "custom.monitoring",
        "timestamp": NOW,
        "triggerArn": f"arn:aws:cloudwatch:us-east-1:{account.account_id}:alarm:HighErrorRate",
        "rawData": json.dumps({"alarm": "HighErrorRate", "state": "ALARM"}),
    }
    return details | extra


# --- the record ---------------------------------------------------------------------------------------------


def test_the_template_is_copied_onto_the_record(incidents, replication_set, account):
    topic = f"arn:aws:sns:us-east-1:{account.account_id}:responders"
    chat_topic = f"arn:aws:sns:us-east-1:{account.account_id}:chatbot"
    plan = create_plan(
        incidents,
        incidentTemplate={
            "title": "Checkout is failing",
            "impact": 1,
            "summary": "Customers can't pay.",
            "notificationTargets": [{"snsTopicArn": topic}],
        },
        chatChannel={"chatbotSns": [chat_topic]},
    )

    record = get_record(incidents, start(incidents, plan))

    assert record["title"] == "Checkout is failing"
    assert record["impact"] == 1
    assert record["summary"] == "Customers can't pay."
    assert record["notificationTargets"] == [{"snsTopicArn": topic}]
    assert record["chatChannel"] == {"chatbotSns": [chat_topic]}
    assert record["status"] == "OPEN"
    assert "resolvedTime" not in record


def test_the_incident_arn_names_the_plan(incidents, replication_set, account):
    plan = create_plan(incidents, name="payments")

    arn = start(incidents, plan)

    assert re.fullmatch(rf"arn:aws:ssm-incidents::{account.account_id}:incident-record/payments/[0-9a-f-]{{36}}", arn)


def test_incident_ids_are_uuids_that_grow_with_time(incidents, replication_set):
    # Time-ordered ids keep each new incident's rows beside the previous one's in every index (docs/aws-behaviour.md).
    plan = create_plan(incidents)

    ids = [start(incidents, plan).rsplit("/", 1)[1] for _ in range(3)]
    record = get_record(incidents, f"{plan.replace('response-plan', 'incident-record')}/{ids[0]}")

    parsed = [uuid.UUID(value) for value in ids]
    assert [value.version for value in parsed] == [7, 7, 7]
    assert [str(value) for value in parsed] == ids
    # The first 48 bits are the creation time in milliseconds, so ids of later incidents sort after.
    assert abs((parsed[0].int >> 80) - record["creationTime"].timestamp() * 1000) < 1000
    assert len(set(ids)) == 3
    assert [value.int >> 80 for value in parsed] == sorted(value.int >> 80 for value in parsed)


def test_a_plan_without_targets_gives_an_empty_target_list(incidents, replication_set):
    # AWS reports "notificationTargets": [] rather than leaving the member out (§3.3).
    record = get_record(incidents, start(incidents, create_plan(incidents)))

    assert record["notificationTargets"] == []


def test_title_and_impact_in_the_request_override_the_template(incidents, replication_set):
    plan = create_plan(incidents, incidentTemplate={"title": "Template title", "impact": 4, "summary": "kept"})

    record = get_record(incidents, start(incidents, plan, title="Checkout latency above 2 s", impact=1))

    assert (record["title"], record["impact"]) == ("Checkout latency above 2 s", 1)
    assert record["summary"] == "kept"


def test_a_direct_start_is_a_custom_source_created_by_the_caller(incidents, replication_set, account):
    record = get_record(incidents, start(incidents, create_plan(incidents)))

    assert record["incidentRecordSource"] == {
        "createdBy": caller_arn(account),
        "invokedBy": caller_arn(account),
        "source": "aws.ssm-incidents.custom",
    }
    assert record["lastModifiedBy"] == caller_arn(account)
    assert record["creationTime"] == record["lastModifiedTime"]


def test_trigger_details_give_the_source_and_resource_arn(incidents, replication_set, account):
    details = trigger(account)

    record = get_record(incidents, start(incidents, create_plan(incidents), triggerDetails=details))

    source = record["incidentRecordSource"]
    assert source["source"] == "custom.monitoring"
    assert source["resourceArn"] == details["triggerArn"]
    assert source["createdBy"] == caller_arn(account)


def test_incident_tags_come_from_the_template(incidents, replication_set):
    plan = create_plan(
        incidents,
        incidentTemplate={"title": "t", "impact": 3, "incidentTags": {"team": "payments", "tier": ""}},
    )

    arn = start(incidents, plan)

    assert incidents.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "payments", "tier": ""}


def test_an_unknown_plan_is_not_found(incidents, replication_set, account):
    missing = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/no-such-plan"

    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        start(incidents, missing)

    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["resourceType"] == "RESPONSE_PLAN"
    assert error["resourceIdentifier"] == missing


def test_a_plan_of_another_account_is_not_found(incidents, replication_set, server, other_account):
    other = server.client(other_account)
    other.create_replication_set(regions={"us-east-1": {}})
    foreign_plan = create_plan(other, name="plan")

    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        start(incidents, foreign_plan)
    assert incidents.list_incident_records()["incidentRecordSummaries"] == []
    assert other.list_incident_records()["incidentRecordSummaries"] == []


# --- related items given at the start -----------------------------------------------------------------------


RELATED = [
    {
        "identifier": {
            "type": "INVOLVED_RESOURCE",
            "value": {"arn": "arn:aws:ec2:us-east-1:111122223333:instance/i-1"},
        }
    },
    {"identifier": {"type": "OTHER", "value": {"url": "https://status.example.com"}}, "title": "Status page"},
]


def test_related_items_are_stored_with_generated_ids(incidents, replication_set):
    arn = start(incidents, create_plan(incidents), relatedItems=RELATED)

    items = incidents.list_related_items(incidentRecordArn=arn)["relatedItems"]

    by_value = {json.dumps(item["identifier"], sort_keys=True): item for item in items}
    assert set(by_value) == {json.dumps(r["identifier"], sort_keys=True) for r in RELATED}
    for item in items:
        match = GENERATED_ID.fullmatch(item["generatedId"])
        assert match and match["type"] == item["identifier"]["type"]
    assert by_value[json.dumps(RELATED[1]["identifier"], sort_keys=True)]["title"] == "Status page"


def test_the_same_related_item_gets_the_same_id_in_every_incident(incidents, replication_set):
    plan = create_plan(incidents)

    first = start(incidents, plan, relatedItems=RELATED)
    second = start(incidents, plan, relatedItems=RELATED)

    def ids(arn: str) -> set[str]:
        return {item["generatedId"] for item in incidents.list_related_items(incidentRecordArn=arn)["relatedItems"]}

    assert first != second
    assert ids(first) == ids(second)
    assert len(ids(first)) == 2


# --- the timeline written at the start ----------------------------------------------------------------------


def test_the_timeline_starts_with_an_incident_started_event(incidents, replication_set):
    arn = start(incidents, create_plan(incidents))

    events = timeline(incidents, arn)

    assert [e["eventType"] for e in events] == ["Custom Event"]
    started = events[0]
    assert started["eventData"] == '"Incident Started"'
    assert {"resource": arn} in started["eventReferences"]
    assert started["eventTime"] == get_record(incidents, arn)["creationTime"]


def test_a_trigger_is_logged_as_an_incident_trigger_event(incidents, replication_set, account):
    details = trigger(account)
    arn = start(incidents, create_plan(incidents), triggerDetails=details)

    events = timeline(incidents, arn)

    assert sorted(e["eventType"] for e in events) == ["Custom Event", "SSM Incident Trigger"]
    logged = next(e for e in events if e["eventType"] == "SSM Incident Trigger")
    data = json.loads(logged["eventData"])
    assert data["createdIncident"] is True
    assert data["incidentSource"] == "custom.monitoring"
    assert data["triggerArn"] == details["triggerArn"]
    assert data["rawData"] == details["rawData"]
    assert {"resource": arn} in logged["eventReferences"]


# --- deduplication ------------------------------------------------------------------------------------------


def test_a_dedupe_string_is_generated_when_the_plan_has_none(incidents, replication_set):
    plan = create_plan(incidents)

    first = get_record(incidents, start(incidents, plan))
    second = get_record(incidents, start(incidents, plan))

    assert first["dedupeString"] and second["dedupeString"]
    assert first["dedupeString"] != second["dedupeString"]
    assert first["arn"] != second["arn"]


def test_the_plan_dedupe_string_is_copied_onto_the_record(incidents, replication_set):
    plan = create_plan(incidents, incidentTemplate={"title": "t", "impact": 3, "dedupeString": "db-primary"})

    assert get_record(incidents, start(incidents, plan))["dedupeString"] == "db-primary"


def test_a_start_with_the_dedupe_string_of_an_open_incident_joins_it(incidents, replication_set):
    plan = create_plan(incidents, incidentTemplate={"title": "t", "impact": 3, "dedupeString": "db-primary"})
    first = start(incidents, plan)

    second = start(incidents, plan, title="Another alert about the same database")

    assert second == first
    assert [s["arn"] for s in incidents.list_incident_records()["incidentRecordSummaries"]] == [first]
    assert get_record(incidents, first)["title"] == "t"


def test_a_deduplicated_start_is_logged_on_the_open_incident(incidents, replication_set):
    plan = create_plan(incidents, incidentTemplate={"title": "t", "impact": 3, "dedupeString": "db-primary"})
    arn = start(incidents, plan)

    start(incidents, plan)

    triggers = [e for e in timeline(incidents, arn) if e["eventType"] == "SSM Incident Trigger"]
    assert len(triggers) == 1
    assert json.loads(triggers[0]["eventData"])["createdIncident"] is False
    assert {"resource": arn} in triggers[0]["eventReferences"]


def test_starts_from_the_same_trigger_are_deduplicated(incidents, replication_set, account):
    # Incidents from the same CloudWatch alarm or EventBridge event "are deduplicated by default" (§3.4).
    plan = create_plan(incidents)

    first = start(incidents, plan, triggerDetails=trigger(account))
    second = start(incidents, plan, triggerDetails=trigger(account, rawData='{"state": "ALARM", "again": true}'))

    assert second == first
    data = [json.loads(e["eventData"]) for e in timeline(incidents, first) if e["eventType"] == "SSM Incident Trigger"]
    assert sorted(d["createdIncident"] for d in data) == [False, True]


def test_a_resolved_incident_never_absorbs_a_new_start(incidents, replication_set):
    plan = create_plan(incidents, incidentTemplate={"title": "t", "impact": 3, "dedupeString": "db-primary"})
    resolved = start(incidents, plan)
    incidents.update_incident_record(arn=resolved, status="RESOLVED")

    fresh = start(incidents, plan)

    assert fresh != resolved
    assert get_record(incidents, fresh)["status"] == "OPEN"
    assert get_record(incidents, fresh)["dedupeString"] == "db-primary"
    assert not [e for e in timeline(incidents, resolved) if e["eventType"] == "SSM Incident Trigger"]


def test_concurrent_starts_with_one_dedupe_string_open_one_incident(incidents, replication_set, server, account):
    plan = create_plan(incidents, incidentTemplate={"title": "t", "impact": 3, "dedupeString": "db-primary"})
    clients = [server.client(account) for _ in range(8)]

    with ThreadPoolExecutor(len(clients)) as pool:
        arns = set(pool.map(lambda client: start(client, plan), clients))

    assert len(arns) == 1
    assert [s["arn"] for s in incidents.list_incident_records()["incidentRecordSummaries"]] == list(arns)
    triggers = [e for e in timeline(incidents, arns.pop()) if e["eventType"] == "SSM Incident Trigger"]
    assert len(triggers) == 7


def test_different_dedupe_strings_open_separate_incidents(incidents, replication_set):
    one = create_plan(incidents, name="one", incidentTemplate={"title": "t", "impact": 3, "dedupeString": "a"})
    two = create_plan(incidents, name="two", incidentTemplate={"title": "t", "impact": 3, "dedupeString": "b"})

    assert start(incidents, one) != start(incidents, two)


# --- the durable response -----------------------------------------------------------------------------------


@pytest.fixture
def database(server):
    """The server's own database, to look at the jobs table."""
    db = Database(server.database_url)
    yield db
    db.dispose()


def response_jobs(database: Database, account_id: str) -> list[dict]:
    """The response jobs recorded for an account, whatever state a worker has moved them to."""
    # Every state, not only queue.pending(): a worker that knows a kind may already have run it.
    query = sa.select(jobs).where(jobs.c.account_id == account_id, jobs.c.kind.like("response.%")).order_by(jobs.c.id)
    with database.read() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


@pytest.fixture
def full_plan(incidents, replication_set, account) -> dict:
    """A plan with every kind of response step; the request that created it, with its ARN."""
    acct = account.account_id
    request = {
        "name": "full-response",
        "incidentTemplate": {
            "title": "Everything is on fire",
            "impact": 1,
            "notificationTargets": [
                {"snsTopicArn": f"arn:aws:sns:us-east-1:{acct}:oncall"},
                {"snsTopicArn": f"arn:aws:sns:us-east-1:{acct}:managers"},
            ],
        },
        "chatChannel": {"chatbotSns": [f"arn:aws:sns:us-east-1:{acct}:chat"]},
        "engagements": [
            f"arn:aws:ssm-contacts:us-east-1:{acct}:contact/alice",
            f"arn:aws:ssm-contacts:us-east-1:{acct}:contact/escalation",
        ],
        "actions": [
            {
                "ssmAutomation": {
                    "roleArn": f"arn:aws:iam::{acct}:role/runbook",
                    "documentName": "AWSIncidents-CriticalIncidentRunbookTemplate",
                    "documentVersion": "$DEFAULT",
                    "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
                    "dynamicParameters": {"IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"}},
                }
            }
        ],
        "integrations": [
            {
                "pagerDutyConfiguration": {
                    "name": "pagerduty",
                    "secretId": "pagerduty-token",
                    "pagerDutyIncidentConfiguration": {"serviceId": "PSERVICE"},
                }
            }
        ],
    }
    request["arn"] = incidents.create_response_plan(**request)["arn"]
    return request


def response_steps(recorded: list[dict]) -> list[dict]:
    """Each step of the recorded response as {"kind", "payload"}: the RESPOND job's parts, and the other jobs."""
    steps = []
    for job in recorded:
        if job["kind"] == response.RESPOND:
            steps += [{"kind": kind, "payload": payload} for kind, payload in job["payload"]["parts"]]
        else:
            steps.append({"kind": job["kind"], "payload": job["payload"]})
    return steps


def test_start_records_its_response_as_one_job_and_pagerduty_beside_it(incidents, full_plan, database, account):
    start(incidents, full_plan["arn"])

    recorded = response_jobs(database, account.account_id)

    assert Counter(job["kind"] for job in recorded) == {response.RESPOND: 1, response.PAGERDUTY: 1}
    assert Counter(step["kind"] for step in response_steps(recorded)) == {
        response.ENGAGE: 2,
        response.CHAT: 1,
        response.NOTIFY: 2,
        response.RUNBOOK: 1,
        response.PAGERDUTY: 1,
    }


def test_every_step_names_the_incident(incidents, full_plan, database, account):
    arn = start(incidents, full_plan["arn"])

    steps = response_steps(response_jobs(database, account.account_id))

    assert {step["payload"]["incidentArn"] for step in steps} == {arn}
    payloads: dict[str, list[dict]] = {}
    for step in steps:
        payloads.setdefault(step["kind"], []).append(step["payload"])
    assert {p["contactArn"] for p in payloads[response.ENGAGE]} == set(full_plan["engagements"])
    assert payloads[response.CHAT][0]["topicArns"] == full_plan["chatChannel"]["chatbotSns"]
    assert [p["target"] for p in payloads[response.NOTIFY]] == full_plan["incidentTemplate"]["notificationTargets"]
    assert payloads[response.RUNBOOK][0]["ssmAutomation"] == full_plan["actions"][0]["ssmAutomation"]
    assert payloads[response.PAGERDUTY][0]["pagerDuty"] == full_plan["integrations"][0]["pagerDutyConfiguration"]


def test_the_runbook_job_carries_the_involved_resources(incidents, full_plan, database, account):
    # They feed the runbook's INVOLVED_RESOURCES dynamic parameter (§3.3).
    start(incidents, full_plan["arn"], relatedItems=RELATED)

    steps = response_steps(response_jobs(database, account.account_id))
    runbook = [step for step in steps if step["kind"] == response.RUNBOOK]

    assert runbook[0]["payload"]["involvedResources"] == ["arn:aws:ec2:us-east-1:111122223333:instance/i-1"]


def test_a_deduplicated_start_records_no_jobs(incidents, replication_set, database, account, full_plan):
    incidents.update_response_plan(arn=full_plan["arn"], incidentTemplateDedupeString="everything")
    start(incidents, full_plan["arn"])
    before = [job["id"] for job in response_jobs(database, account.account_id)]

    start(incidents, full_plan["arn"])

    # The ids only: the worker may move the first start's jobs along meanwhile, but no job may be added.
    assert [job["id"] for job in response_jobs(database, account.account_id)] == before
    assert len(before) == 2  # the RESPOND job and the PagerDuty one


def test_a_retried_start_opens_one_incident_and_records_its_jobs_once(incidents, full_plan, database, account):
    first = start(incidents, full_plan["arn"], clientToken="retry-me")

    again = start(incidents, full_plan["arn"], clientToken="retry-me")

    assert again == first
    assert len(incidents.list_incident_records()["incidentRecordSummaries"]) == 1
    assert len(response_steps(response_jobs(database, account.account_id))) == 7


def test_a_plan_without_a_response_records_no_jobs(incidents, replication_set, database, account):
    start(incidents, create_plan(incidents))

    assert response_jobs(database, account.account_id) == []
