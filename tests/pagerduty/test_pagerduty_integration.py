"""A response plan's PagerDuty integration through a real server: open, record, resolve, retry, give up."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from pagerduty_support import BAD_TOKEN_SECRET, SECRET
from standin import FROM, PagerDutyStandIn

from support import Account, Server, wait_until
from support import test_account as numbered_account

SERVICE_ROLE = "AWSServiceRoleForIncidentManager"
_accounts = iter(range(4100, 4200))  # accounts of their own: this module's server is not the shared one


def onboarded(server: Server) -> tuple[Account, object]:
    """A fresh account with an ACTIVE replication set, and its ssm-incidents client."""
    account = numbered_account(next(_accounts))
    incidents = server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    return account, incidents


def plan_with_pagerduty(incidents, service: str, secret: str = SECRET, name: str = "pd-plan") -> str:  # type: ignore[no-untyped-def]
    """A plan whose integration opens PagerDuty incidents on a service; its ARN."""
    return incidents.create_response_plan(
        name=name,
        incidentTemplate={"title": "Checkout is down", "impact": 2},
        integrations=[
            {
                "pagerDutyConfiguration": {
                    "name": "checkout-pd",
                    "secretId": secret,
                    "pagerDutyIncidentConfiguration": {"serviceId": service},
                }
            }
        ],
    )["arn"]


def pagerduty_items(incidents, arn: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The pagerDutyIncidentDetail related items of an incident."""
    items = incidents.list_related_items(incidentRecordArn=arn)["relatedItems"]
    return [i for i in items if "pagerDutyIncidentDetail" in i["identifier"]["value"]]


def events_of(incidents, arn: str, event_type: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The incident's timeline events of one type."""
    summaries = incidents.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]
    return [
        incidents.get_timeline_event(incidentRecordArn=arn, eventId=e["eventId"])["event"]
        for e in summaries
        if e["eventType"] == event_type
    ]


def service_id() -> str:
    """A PagerDuty service id no other test uses (the stand-in is shared by the module)."""
    return "P" + uuid.uuid4().hex[:7].upper()


def test_start_incident_opens_one_pagerduty_incident(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    _, incidents = onboarded(pd_server)
    service = service_id()
    plan = plan_with_pagerduty(incidents, service)
    arn = incidents.start_incident(responsePlanArn=plan, title="Checkout returns 502")["incidentRecordArn"]

    (opened,) = pagerduty.wait_for(lambda: pagerduty.on_service(service))
    assert opened.title == "Checkout returns 502"
    assert opened.incident_key == arn
    assert arn in opened.details
    (request,) = pagerduty.creations(service)
    assert request.headers["Authorization"].startswith("Token token=")
    assert request.headers["From"] == FROM

    (item,) = wait_until(lambda: pagerduty_items(incidents, arn))
    assert item["identifier"]["type"] == "OTHER"
    assert item["identifier"]["value"]["pagerDutyIncidentDetail"] == {
        "id": opened.id,
        "autoResolve": True,
        "secretId": SECRET,
    }
    assert item["title"] == "checkout-pd"
    (update,) = events_of(incidents, arn, "SSM Incident Record Update")
    data = json.loads(update["eventData"])
    assert data["modifiedAttributes"][0]["attributeName"] == "relatedItems"
    assert data["modifiedBy"].endswith(":role/aws-service-role/ssm-incidents.amazonaws.com/" + SERVICE_ROLE)
    assert {"relatedItemId": item["generatedId"]} in update["eventReferences"]
    time.sleep(1.0)  # a second PagerDuty incident would have been opened by now
    assert len(pagerduty.creations(service)) == 1


def test_resolving_the_incident_resolves_pagerduty(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    _, incidents = onboarded(pd_server)
    service = service_id()
    arn = incidents.start_incident(responsePlanArn=plan_with_pagerduty(incidents, service))["incidentRecordArn"]
    wait_until(lambda: pagerduty_items(incidents, arn))

    incidents.update_incident_record(arn=arn, status="RESOLVED")

    (opened,) = pagerduty.on_service(service)
    pagerduty.wait_for(lambda: opened.status == "resolved")
    assert opened.resolved_by == [FROM]


def test_resolved_while_pagerduty_answers_is_resolved_after(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    _, incidents = onboarded(pd_server)
    service = service_id()
    gate = pagerduty.hold(service)
    arn = incidents.start_incident(responsePlanArn=plan_with_pagerduty(incidents, service))["incidentRecordArn"]
    (opened,) = pagerduty.wait_for(lambda: pagerduty.on_service(service))

    # Resolved before the opener heard PagerDuty's answer: the resolve job finds nothing to resolve yet.
    incidents.update_incident_record(arn=arn, status="RESOLVED")
    time.sleep(0.8)
    gate.set()

    pagerduty.wait_for(lambda: opened.status == "resolved")
    assert wait_until(lambda: pagerduty_items(incidents, arn))


def test_a_5xx_from_pagerduty_is_retried(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    _, incidents = onboarded(pd_server)
    service = service_id()
    pagerduty.fail(service, 500)
    arn = incidents.start_incident(responsePlanArn=plan_with_pagerduty(incidents, service))["incidentRecordArn"]

    (item,) = wait_until(lambda: pagerduty_items(incidents, arn), timeout=15)
    assert [r.status for r in pagerduty.creations(service)] == [500, 201]
    assert item["identifier"]["value"]["pagerDutyIncidentDetail"]["id"] == pagerduty.on_service(service)[0].id


def test_a_lost_answer_does_not_open_a_second_incident(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    _, incidents = onboarded(pd_server)
    service = service_id()
    pagerduty.fail(service, 503, create_anyway=True)  # PagerDuty opened it, but incidentd heard a 503
    arn = incidents.start_incident(responsePlanArn=plan_with_pagerduty(incidents, service))["incidentRecordArn"]

    (item,) = wait_until(lambda: pagerduty_items(incidents, arn), timeout=15)
    (only,) = pagerduty.on_service(service)
    assert item["identifier"]["value"]["pagerDutyIncidentDetail"]["id"] == only.id
    # The retry was refused as a duplicate key, and the incident it had opened was found by that key.
    assert [r.status for r in pagerduty.creations(service)] == [503, 400]


def test_a_bad_token_gives_up_at_once(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    _, incidents = onboarded(pd_server)
    service = service_id()
    plan = plan_with_pagerduty(incidents, service, secret=BAD_TOKEN_SECRET)
    arn = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]

    (failure,) = wait_until(lambda: events_of(incidents, arn, "PagerDuty Incident Start Failure for Incident"))
    data = json.loads(failure["eventData"])
    assert "HTTP 401" in data["error"]
    assert data["secretId"] == BAD_TOKEN_SECRET and data["serviceId"] == service
    time.sleep(2.5)  # retries would come after 1 s and 2 s
    assert [r.status for r in pagerduty.creations(service)] == [401]
    assert pagerduty_items(incidents, arn) == []


def test_a_plan_naming_an_unknown_secret_is_refused_as_aws_does(pd_server: Server) -> None:
    _, incidents = onboarded(pd_server)
    with pytest.raises(ClientError) as refused:
        plan_with_pagerduty(incidents, service_id(), secret="pagerduty/never-configured")
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationException",
        "We were unable to validate the AWS Secrets Manager secret",
    )
    assert incidents.list_response_plans()["responsePlanSummaries"] == []

    plan = plan_with_pagerduty(incidents, service_id())
    with pytest.raises(ClientError) as refused:
        incidents.update_response_plan(
            arn=plan,
            integrations=[
                {
                    "pagerDutyConfiguration": {
                        "name": "other",
                        "secretId": "pagerduty/never-configured",
                        "pagerDutyIncidentConfiguration": {"serviceId": "PNEVER1"},
                    }
                }
            ],
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    stored = incidents.get_response_plan(arn=plan)["integrations"][0]["pagerDutyConfiguration"]
    assert stored["secretId"] == SECRET


def test_a_removed_item_is_not_resolved(pd_server: Server, pagerduty: PagerDutyStandIn) -> None:
    """Removing the related item and adding it back with autoResolve false opts one incident out."""
    _, incidents = onboarded(pd_server)
    service = service_id()
    arn = incidents.start_incident(responsePlanArn=plan_with_pagerduty(incidents, service))["incidentRecordArn"]
    (item,) = wait_until(lambda: pagerduty_items(incidents, arn))
    identifier = item["identifier"]
    incidents.update_related_items(incidentRecordArn=arn, relatedItemsUpdate={"itemToRemove": identifier})
    detail = dict(identifier["value"]["pagerDutyIncidentDetail"], autoResolve=False)
    kept = {"identifier": {"type": "OTHER", "value": {"pagerDutyIncidentDetail": detail}}, "title": "kept open"}
    incidents.update_related_items(incidentRecordArn=arn, relatedItemsUpdate={"itemToAdd": kept})

    incidents.update_incident_record(arn=arn, status="RESOLVED")
    time.sleep(1.5)
    assert pagerduty.on_service(service)[0].status == "triggered"
    assert not [r for r in pagerduty.requests if r.method == "PUT" and detail["id"] in r.path]
