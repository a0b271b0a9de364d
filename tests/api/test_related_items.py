"""Related items: adding and removing links, metrics, resources and PagerDuty incidents, and listing them.

AWS behaviour is described in docs/aws-behaviour.md §3.7 (related items) and §1.8 (unions).
"""

from __future__ import annotations

import json
import re
import time

import pytest

# Not base64, then well-formed tokens of the wrong types: ["x", "y"], [1, 2], [null, null].
GARBAGE_TOKENS = ["not-a-token", "WyJ4IiwieSJd", "WzEsMl0", "W251bGwsbnVsbF0"]
GENERATED_ID = re.compile(r"^related-item/(?P<type>[A-Z_]+)/[0-9A-F]{32}$")

ITEMS = {
    "arn": {
        "type": "INVOLVED_RESOURCE",
        "value": {"arn": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc"},
    },
    "url": {"type": "OTHER", "value": {"url": "https://wiki.example.com/runbooks/db"}},
    "metricDefinition": {
        "type": "METRIC",
        "value": {"metricDefinition": json.dumps({"namespace": "AWS/RDS", "metricName": "CPUUtilization"})},
    },
    "pagerDutyIncidentDetail": {
        "type": "OTHER",
        "value": {"pagerDutyIncidentDetail": {"id": "Q1P3AHC3KLGQAB", "autoResolve": True, "secretId": "pd-token"}},
    },
}


@pytest.fixture
def incident(incidents, response_plan) -> str:
    """An open incident with no related items; its ARN."""
    return incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]


def add(incidents, incident: str, identifier: dict, title: str | None = None) -> None:
    item = {"identifier": identifier} | ({"title": title} if title else {})
    incidents.update_related_items(incidentRecordArn=incident, relatedItemsUpdate={"itemToAdd": item})


def remove(incidents, incident: str, identifier: dict) -> None:
    incidents.update_related_items(incidentRecordArn=incident, relatedItemsUpdate={"itemToRemove": identifier})


def items_of(incidents, incident: str) -> list[dict]:
    return incidents.list_related_items(incidentRecordArn=incident)["relatedItems"]


def update_events(incidents, incident: str) -> list[dict]:
    """The incident's "SSM Incident Record Update" events, oldest first, with their eventData."""
    summaries = incidents.list_timeline_events(
        incidentRecordArn=incident,
        sortOrder="ASCENDING",
        filters=[{"key": "eventType", "condition": {"equals": {"stringValues": ["SSM Incident Record Update"]}}}],
    )["eventSummaries"]
    return [incidents.get_timeline_event(incidentRecordArn=incident, eventId=s["eventId"])["event"] for s in summaries]


def url_item(number: int) -> dict:
    return {"type": "OTHER", "value": {"url": f"https://dashboards.example.com/{number}"}}


# --- add ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ITEMS))
def test_each_kind_of_value_can_be_added(incidents, incident, kind):
    answer = incidents.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={"itemToAdd": {"identifier": ITEMS[kind], "title": kind}},
    )

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    [item] = items_of(incidents, incident)
    assert item == {"generatedId": item["generatedId"], "identifier": ITEMS[kind], "title": kind}
    match = GENERATED_ID.fullmatch(item["generatedId"])
    assert match and match["type"] == ITEMS[kind]["type"]


def test_an_item_without_a_title_has_none(incidents, incident):
    add(incidents, incident, ITEMS["url"])

    [item] = items_of(incidents, incident)
    assert "title" not in item


def test_different_items_get_different_ids(incidents, incident):
    for identifier in ITEMS.values():
        add(incidents, incident, identifier)

    ids = [item["generatedId"] for item in items_of(incidents, incident)]
    assert len(set(ids)) == len(ITEMS)


def test_an_item_keeps_its_id_across_incidents(incidents, incident, response_plan):
    other = incidents.start_incident(responsePlanArn=response_plan, title="other")["incidentRecordArn"]

    add(incidents, incident, ITEMS["arn"])
    add(incidents, other, ITEMS["arn"], title="a different title")

    assert items_of(incidents, incident)[0]["generatedId"] == items_of(incidents, other)[0]["generatedId"]


def test_adding_the_same_item_twice_is_a_conflict(incidents, incident):
    add(incidents, incident, ITEMS["url"], title="Runbook")

    with pytest.raises(incidents.exceptions.ConflictException) as caught:
        add(incidents, incident, ITEMS["url"], title="Runbook again")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert [item["title"] for item in items_of(incidents, incident)] == ["Runbook"]
    assert len(update_events(incidents, incident)) == 1


def test_items_of_an_unknown_incident_are_not_found(incidents, incident):
    missing = incident.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"

    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        add(incidents, missing, ITEMS["url"])
    assert caught.value.response["resourceType"] == "INCIDENT_RECORD"

    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        items_of(incidents, missing)


# --- remove -------------------------------------------------------------------------------------------------


def test_an_item_is_removed_by_its_identifier(incidents, incident):
    add(incidents, incident, ITEMS["url"], title="Runbook")
    add(incidents, incident, ITEMS["arn"])

    remove(incidents, incident, ITEMS["url"])

    assert [item["identifier"] for item in items_of(incidents, incident)] == [ITEMS["arn"]]


def test_a_removed_item_can_be_added_again(incidents, incident):
    add(incidents, incident, ITEMS["metricDefinition"])
    remove(incidents, incident, ITEMS["metricDefinition"])

    add(incidents, incident, ITEMS["metricDefinition"])

    assert [item["identifier"] for item in items_of(incidents, incident)] == [ITEMS["metricDefinition"]]


def test_removing_a_missing_item_is_not_found(incidents, incident):
    add(incidents, incident, ITEMS["url"])

    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        remove(incidents, incident, {"type": "OTHER", "value": {"url": "https://elsewhere.example.com"}})

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert len(items_of(incidents, incident)) == 1
    assert len(update_events(incidents, incident)) == 1


def test_the_type_is_part_of_the_identifier(incidents, incident):
    add(incidents, incident, ITEMS["url"])

    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        remove(incidents, incident, {"type": "ATTACHMENT", "value": ITEMS["url"]["value"]})


# --- the timeline -------------------------------------------------------------------------------------------


def test_an_addition_is_logged_with_a_reference_to_the_item(incidents, incident, account):
    update = {"itemToAdd": {"identifier": ITEMS["arn"], "title": "web-1"}}
    incidents.update_related_items(incidentRecordArn=incident, relatedItemsUpdate=update)
    [item] = items_of(incidents, incident)

    [event] = update_events(incidents, incident)

    data = json.loads(event["eventData"])
    assert data["modifiedBy"] == f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"
    assert data["incidentTitle"] == "Test incident"
    [change] = data["modifiedAttributes"]
    assert change["attributeName"] == "relatedItems"
    assert json.loads(change["newValue"]) == update
    assert {"relatedItemId": item["generatedId"]} in event["eventReferences"]
    assert {"resource": incident} in event["eventReferences"]


def test_a_removal_is_logged_with_a_reference_to_the_item(incidents, incident):
    add(incidents, incident, ITEMS["pagerDutyIncidentDetail"])
    [item] = items_of(incidents, incident)

    remove(incidents, incident, ITEMS["pagerDutyIncidentDetail"])

    added, removed = update_events(incidents, incident)
    [change] = json.loads(removed["eventData"])["modifiedAttributes"]
    assert change["attributeName"] == "relatedItems"
    assert json.loads(change["newValue"]) == {"itemToRemove": ITEMS["pagerDutyIncidentDetail"]}
    assert {"relatedItemId": item["generatedId"]} in removed["eventReferences"]


def test_a_change_moves_the_incident_last_modified_time(incidents, incident):
    # AWS's own related-item update at start sets the incident's lastModifiedTime to the event's time (§3.8).
    before = incidents.get_incident_record(arn=incident)["incidentRecord"]
    time.sleep(0.01)  # the clock has millisecond resolution

    add(incidents, incident, ITEMS["url"])

    after = incidents.get_incident_record(arn=incident)["incidentRecord"]
    [event] = update_events(incidents, incident)
    assert after["lastModifiedTime"] > before["lastModifiedTime"]
    assert after["lastModifiedTime"] == event["eventTime"]
    unchanged = (
        "title",
        "impact",
        "status",
        "summary",
        "creationTime",
        "dedupeString",
        "incidentRecordSource",
    )
    assert {k: after.get(k) for k in unchanged} == {k: before.get(k) for k in unchanged}


# --- list ---------------------------------------------------------------------------------------------------


def test_items_are_listed_in_the_order_they_were_added(incidents, incident):
    added = [url_item(n) for n in (5, 1, 4, 2, 3)]
    for identifier in added:
        add(incidents, incident, identifier)

    assert [item["identifier"] for item in items_of(incidents, incident)] == added


def test_items_are_listed_in_pages(incidents, incident):
    added = [url_item(n) for n in range(7)]
    for identifier in added:
        add(incidents, incident, identifier)

    pages, token = [], None
    while True:
        answer = incidents.list_related_items(
            incidentRecordArn=incident, maxResults=3, **({"nextToken": token} if token else {})
        )
        pages.append([item["identifier"] for item in answer["relatedItems"]])
        token = answer.get("nextToken")
        if not token:
            break

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [identifier for page in pages for identifier in page] == added


def test_the_paginator_lists_every_item(incidents, incident):
    added = [url_item(n) for n in range(5)]
    for identifier in added:
        add(incidents, incident, identifier)

    result = (
        incidents.get_paginator("list_related_items")
        .paginate(incidentRecordArn=incident, PaginationConfig={"PageSize": 2})
        .build_full_result()
    )

    assert [item["identifier"] for item in result["relatedItems"]] == added


@pytest.mark.parametrize("token", GARBAGE_TOKENS)
def test_a_garbage_token_is_refused(incidents, incident, token):
    add(incidents, incident, ITEMS["url"])

    with pytest.raises(incidents.exceptions.ValidationException):
        incidents.list_related_items(incidentRecordArn=incident, nextToken=token)


def test_an_incident_without_items_lists_none(incidents, incident):
    answer = incidents.list_related_items(incidentRecordArn=incident)

    assert answer["relatedItems"] == []
    assert "nextToken" not in answer


# --- validation ---------------------------------------------------------------------------------------------


@pytest.fixture
def unchecked(server, account):
    """A client that sends what it is given: boto3 itself refuses unions with two members before sending."""
    return server.client(account, parameter_validation=False)


def test_a_value_with_two_members_is_refused(unchecked, incident):
    value = {"url": "https://example.com", "arn": "arn:aws:s3:::bucket"}

    with pytest.raises(unchecked.exceptions.ValidationException) as caught:
        unchecked.update_related_items(
            incidentRecordArn=incident,
            relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": value}}},
        )

    message = caught.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: ")
    assert "at 'relatedItemsUpdate.itemToAdd.identifier.value' failed to satisfy constraint" in message
    assert unchecked.list_related_items(incidentRecordArn=incident)["relatedItems"] == []


def test_an_update_that_adds_and_removes_is_refused(unchecked, incident):
    update = {"itemToAdd": {"identifier": ITEMS["url"]}, "itemToRemove": ITEMS["arn"]}

    with pytest.raises(unchecked.exceptions.ValidationException) as caught:
        unchecked.update_related_items(incidentRecordArn=incident, relatedItemsUpdate=update)

    assert "at 'relatedItemsUpdate' failed to satisfy constraint" in caught.value.response["Error"]["Message"]


def test_a_generated_id_given_by_the_caller_is_not_kept(incidents, incident):
    # "Don't specify this parameter when you add a RelatedItem" (model): the server assigns the id.
    forged = "related-item/OTHER/" + "0" * 32
    incidents.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={"itemToAdd": {"identifier": ITEMS["url"], "generatedId": forged}},
    )

    [item] = items_of(incidents, incident)
    assert item["generatedId"] != forged
