"""Timeline events: creating, reading, editing and deleting responders' events, and listing the timeline.

AWS behaviour: docs/aws-behaviour.md §3.8 (timeline events) and §1.7 (pagination, order).
"""

from __future__ import annotations

import datetime
import json

import pytest

HOUR = datetime.timedelta(hours=1)
T0 = datetime.datetime(2024, 1, 2, 12, 0, tzinfo=datetime.UTC)
# Not base64, then well-formed tokens of the wrong types: ["x", "y"], [1, 2], [null, null].
GARBAGE_TOKENS = ["not-a-token", "WyJ4IiwieSJd", "WzEsMl0", "W251bGwsbnVsbF0"]


def event_filter(key: str, **condition) -> dict:
    return {"key": key, "condition": condition}


def type_filter(*types: str) -> dict:
    return event_filter("eventType", equals={"stringValues": list(types)})


@pytest.fixture
def incident(incidents, response_plan) -> str:
    """An open incident; its timeline holds only the "Incident Started" event."""
    return incidents.start_incident(responsePlanArn=response_plan)["incidentRecordArn"]


def create(
    incidents,
    incident: str,
    when: datetime.datetime,
    data: str = '"x"',
    kind: str = "Custom Event",
    references: list | None = None,
) -> str:
    """Add an event; its id."""
    return incidents.create_timeline_event(
        incidentRecordArn=incident,
        eventTime=when,
        eventType=kind,
        eventData=data,
        eventReferences=references or [],
    )["eventId"]


def get(incidents, incident: str, event_id: str) -> dict:
    return incidents.get_timeline_event(incidentRecordArn=incident, eventId=event_id)["event"]


def listed(incidents, incident: str, **params) -> list[str]:
    """The ids of one page of events."""
    return [
        e["eventId"] for e in incidents.list_timeline_events(incidentRecordArn=incident, **params)["eventSummaries"]
    ]


def record_update_event(incidents, incident: str) -> str:
    """Make Incident Manager write a system event; its id."""
    incidents.update_incident_record(arn=incident, impact=1)
    [event_id] = listed(incidents, incident, filters=[type_filter("SSM Incident Record Update")])
    return event_id


# --- create and get -----------------------------------------------------------------------------------------


def test_a_custom_event_can_be_created_and_read_back(incidents, incident):
    answer = incidents.create_timeline_event(
        incidentRecordArn=incident,
        eventTime=T0,
        eventType="Custom Event",
        eventData='"Rolled back deploy 42"',
        eventReferences=[{"resource": incident}],
    )

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert answer["incidentRecordArn"] == incident
    event = get(incidents, incident, answer["eventId"])
    assert event["eventId"] == answer["eventId"]
    assert event["incidentRecordArn"] == incident
    assert event["eventTime"] == T0
    assert event["eventType"] == "Custom Event"
    assert event["eventData"] == '"Rolled back deploy 42"'
    assert event["eventReferences"] == [{"resource": incident}]
    assert event["eventUpdatedTime"] > T0


def test_a_note_can_be_created(incidents, incident):
    event_id = create(
        incidents,
        incident,
        T0,
        data="Customer support informed.",
        kind="Note",
        references=[{"resource": incident}],
    )

    event = get(incidents, incident, event_id)
    assert (event["eventType"], event["eventData"]) == ("Note", "Customer support informed.")


def test_event_times_keep_their_milliseconds(incidents, incident):
    when = T0.replace(microsecond=678000)

    assert get(incidents, incident, create(incidents, incident, when))["eventTime"] == when


def test_event_data_is_stored_as_given(incidents, incident):
    data = json.dumps({"deploy": 42, "note": "ünïcode ✓"})

    assert get(incidents, incident, create(incidents, incident, T0, data=data))["eventData"] == data


@pytest.mark.parametrize("kind", ["SSM Incident Record Update", "SSM Incident Trigger", "custom event", "Other"])
def test_only_custom_events_and_notes_can_be_created(incidents, incident, kind):
    with pytest.raises(incidents.exceptions.ValidationException) as caught:
        create(incidents, incident, T0, kind=kind)

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"'{kind}'" in caught.value.response["Error"]["Message"]


def test_an_event_on_an_unknown_incident_is_not_found(incidents, incident):
    missing = incident.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"

    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        create(incidents, missing, T0)

    assert caught.value.response["resourceType"] == "INCIDENT_RECORD"


def test_an_unknown_event_is_not_found(incidents, incident):
    with pytest.raises(incidents.exceptions.ResourceNotFoundException) as caught:
        get(incidents, incident, "00000000-0000-0000-0000-000000000000")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert caught.value.response["resourceType"] == "TIMELINE_EVENT"
    assert caught.value.response["resourceIdentifier"] == "00000000-0000-0000-0000-000000000000"


def test_an_event_is_only_found_under_its_own_incident(incidents, incident, response_plan):
    other_incident = incidents.start_incident(responsePlanArn=response_plan, title="other")["incidentRecordArn"]
    event_id = create(incidents, incident, T0)

    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        get(incidents, other_incident, event_id)


# --- update -------------------------------------------------------------------------------------------------


def test_update_replaces_the_references_and_moves_the_updated_time(incidents, incident):
    event_id = create(incidents, incident, T0, references=[{"resource": incident}])
    before = get(incidents, incident, event_id)
    metric = "related-item/METRIC/" + "A" * 32

    answer = incidents.update_timeline_event(
        incidentRecordArn=incident, eventId=event_id, eventReferences=[{"relatedItemId": metric}]
    )

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    after = get(incidents, incident, event_id)
    assert after["eventReferences"] == [{"relatedItemId": metric}]
    assert after["eventUpdatedTime"] > before["eventUpdatedTime"]
    assert (after["eventData"], after["eventTime"]) == (before["eventData"], before["eventTime"])


def test_update_changes_only_the_members_given(incidents, incident):
    event_id = create(incidents, incident, T0, data='"first draft"', references=[{"resource": incident}])

    incidents.update_timeline_event(
        incidentRecordArn=incident,
        eventId=event_id,
        eventData='"final"',
        eventTime=T0 + HOUR,
        eventType="Note",
    )

    event = get(incidents, incident, event_id)
    assert (event["eventData"], event["eventTime"], event["eventType"]) == ('"final"', T0 + HOUR, "Note")
    assert event["eventReferences"] == [{"resource": incident}]


def test_the_incident_started_event_is_a_custom_event_and_can_be_edited(incidents, incident):
    [started] = listed(incidents, incident)

    incidents.update_timeline_event(incidentRecordArn=incident, eventId=started, eventData='"Paged by the NOC"')

    assert get(incidents, incident, started)["eventData"] == '"Paged by the NOC"'


def test_system_events_can_not_be_updated(incidents, incident):
    event_id = record_update_event(incidents, incident)
    before = get(incidents, incident, event_id)

    with pytest.raises(incidents.exceptions.ValidationException):
        incidents.update_timeline_event(incidentRecordArn=incident, eventId=event_id, eventData='"rewritten"')

    assert get(incidents, incident, event_id) == before


def test_an_event_can_not_be_turned_into_a_system_event(incidents, incident):
    event_id = create(incidents, incident, T0)

    with pytest.raises(incidents.exceptions.ValidationException):
        incidents.update_timeline_event(
            incidentRecordArn=incident, eventId=event_id, eventType="SSM Incident Record Update"
        )

    assert get(incidents, incident, event_id)["eventType"] == "Custom Event"


def test_updating_an_unknown_event_is_not_found(incidents, incident):
    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        incidents.update_timeline_event(
            incidentRecordArn=incident, eventId="00000000-0000-0000-0000-000000000000", eventData='"x"'
        )


# --- delete -------------------------------------------------------------------------------------------------


def test_a_deleted_event_is_gone(incidents, incident):
    event_id = create(incidents, incident, T0)

    answer = incidents.delete_timeline_event(incidentRecordArn=incident, eventId=event_id)

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        get(incidents, incident, event_id)
    assert event_id not in listed(incidents, incident)


def test_system_events_can_not_be_deleted(incidents, incident):
    event_id = record_update_event(incidents, incident)

    with pytest.raises(incidents.exceptions.ValidationException):
        incidents.delete_timeline_event(incidentRecordArn=incident, eventId=event_id)

    assert get(incidents, incident, event_id)["eventType"] == "SSM Incident Record Update"


def test_deleting_a_missing_event_answers_204(incidents, incident):
    answer = incidents.delete_timeline_event(incidentRecordArn=incident, eventId="00000000-0000-0000-0000-000000000000")

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204


# --- list ---------------------------------------------------------------------------------------------------


@pytest.fixture
def story(incidents, incident) -> dict[str, str]:
    """Four user events an hour apart in 2024, then the incident's "Incident Started" event; name -> id."""
    metric = "related-item/METRIC/" + "B" * 32
    return {
        "alarm": create(incidents, incident, T0, references=[{"relatedItemId": metric}]),
        "note": create(
            incidents,
            incident,
            T0 + HOUR,
            data="Looking at it.",
            kind="Note",
            references=[{"resource": incident}],
        ),
        "deploy": create(
            incidents,
            incident,
            T0 + 2 * HOUR,
            references=[{"resource": "arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:app/web"}],
        ),
        "fixed": create(incidents, incident, T0 + 3 * HOUR, data="Fixed.", kind="Note"),
        "started": listed(incidents, incident, filters=[event_filter("eventTime", after=T0 + 4 * HOUR)])[0],
    }


def test_events_are_listed_newest_first_by_default(incidents, incident, story):
    assert listed(incidents, incident) == [story[k] for k in ("started", "fixed", "deploy", "note", "alarm")]


def test_events_can_be_listed_oldest_first(incidents, incident, story):
    ascending = listed(incidents, incident, sortBy="EVENT_TIME", sortOrder="ASCENDING")

    assert ascending == [story[k] for k in ("alarm", "note", "deploy", "fixed", "started")]
    assert listed(incidents, incident, sortOrder="DESCENDING") == ascending[::-1]


def test_summaries_carry_everything_but_the_event_data(incidents, incident, story):
    summaries = incidents.list_timeline_events(incidentRecordArn=incident)["eventSummaries"]

    note = next(s for s in summaries if s["eventId"] == story["note"])
    assert note == {
        "eventId": story["note"],
        "incidentRecordArn": incident,
        "eventTime": T0 + HOUR,
        "eventUpdatedTime": note["eventUpdatedTime"],
        "eventType": "Note",
        "eventReferences": [{"resource": incident}],
    }


def test_events_can_be_filtered_by_type(incidents, incident, story):
    assert listed(incidents, incident, filters=[type_filter("Note")]) == [story["fixed"], story["note"]]


def test_values_of_one_filter_are_alternatives(incidents, incident, story):
    incidents.update_incident_record(arn=incident, impact=1)

    found = listed(incidents, incident, filters=[type_filter("Note", "SSM Incident Record Update")])

    assert len(found) == 3
    assert {story["fixed"], story["note"]} < set(found)


def test_events_can_be_filtered_by_time(incidents, incident, story):
    after = [event_filter("eventTime", after=T0 + 0.5 * HOUR)]
    before = [event_filter("eventTime", before=T0 + 2.5 * HOUR)]

    assert listed(incidents, incident, filters=after, sortOrder="ASCENDING") == [
        story[k] for k in ("note", "deploy", "fixed", "started")
    ]
    assert listed(incidents, incident, filters=before, sortOrder="ASCENDING") == [
        story[k] for k in ("alarm", "note", "deploy")
    ]
    assert listed(incidents, incident, filters=after + before) == [story["deploy"], story["note"]]


def test_filters_of_different_keys_must_all_match(incidents, incident, story):
    filters = [type_filter("Note"), event_filter("eventTime", before=T0 + 2 * HOUR)]

    assert listed(incidents, incident, filters=filters) == [story["note"]]


def test_events_can_be_filtered_by_a_referenced_resource(incidents, incident, story):
    found = listed(incidents, incident, filters=[event_filter("eventReference", equals={"stringValues": [incident]})])

    # The "Incident Started" event references the incident as well.
    assert found == [story["started"], story["note"]]


def test_events_can_be_filtered_by_a_referenced_related_item(incidents, incident, story):
    metric = "related-item/METRIC/" + "B" * 32

    found = listed(incidents, incident, filters=[event_filter("eventReference", equals={"stringValues": [metric]})])

    assert found == [story["alarm"]]


def test_a_reference_filter_finds_the_events_of_a_related_item_update(incidents, incident, story):
    incidents.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": "https://runbook"}}}},
    )
    [item] = incidents.list_related_items(incidentRecordArn=incident)["relatedItems"]

    found = incidents.list_timeline_events(
        incidentRecordArn=incident,
        filters=[event_filter("eventReference", equals={"stringValues": [item["generatedId"]]})],
    )["eventSummaries"]

    assert [e["eventType"] for e in found] == ["SSM Incident Record Update"]


def test_a_filter_that_matches_nothing_lists_nothing(incidents, incident, story):
    assert listed(incidents, incident, filters=[type_filter("SSM Incident Trigger")]) == []
    assert listed(incidents, incident, filters=[type_filter("Note"), type_filter("Custom Event")]) == []


def test_an_unknown_filter_key_is_refused(incidents, incident):
    with pytest.raises(incidents.exceptions.ValidationException):
        listed(incidents, incident, filters=[event_filter("eventData", equals={"stringValues": ["x"]})])


def test_a_time_filter_with_values_is_refused(incidents, incident):
    with pytest.raises(incidents.exceptions.ValidationException):
        listed(incidents, incident, filters=[event_filter("eventTime", equals={"stringValues": ["2024"]})])


def test_events_of_an_unknown_incident_are_not_found(incidents, incident):
    missing = incident.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"

    with pytest.raises(incidents.exceptions.ResourceNotFoundException):
        listed(incidents, missing)


# --- pagination ---------------------------------------------------------------------------------------------


def pages(incidents, incident: str, **params) -> list[list[str]]:
    """Every page of a listing, following nextToken."""
    result, token = [], None
    while True:
        answer = incidents.list_timeline_events(
            incidentRecordArn=incident, **params, **({"nextToken": token} if token else {})
        )
        result.append([e["eventId"] for e in answer["eventSummaries"]])
        token = answer.get("nextToken")
        if not token:
            return result


@pytest.mark.parametrize("order", ["DESCENDING", "ASCENDING"])
def test_pages_hold_every_event_once(incidents, incident, order):
    [started] = listed(incidents, incident)
    created = [create(incidents, incident, T0 + i * HOUR) for i in range(11)]

    found = pages(incidents, incident, maxResults=5, sortOrder=order)

    assert [len(page) for page in found] == [5, 5, 2]
    everything = [event_id for page in found for event_id in page]
    expected = [started, *created[::-1]] if order == "DESCENDING" else [*created, started]
    assert everything == expected


def test_events_at_the_same_time_page_without_gaps_or_repeats(incidents, incident):
    # The page boundary falls inside a run of equal event times: the token must break the tie.
    created = {create(incidents, incident, T0) for _ in range(7)}

    found = pages(incidents, incident, maxResults=3, filters=[event_filter("eventTime", before=T0 + HOUR)])

    everything = [event_id for page in found for event_id in page]
    assert len(everything) == len(set(everything)) == 7
    assert set(everything) == created


def test_a_page_token_works_with_filters(incidents, incident, story):
    found = pages(incidents, incident, maxResults=1, filters=[type_filter("Note")])

    assert found == [[story["fixed"]], [story["note"]]]


def test_the_last_page_has_no_token(incidents, incident, story):
    answer = incidents.list_timeline_events(incidentRecordArn=incident, maxResults=5)

    assert len(answer["eventSummaries"]) == 5
    assert "nextToken" not in answer


def test_the_paginator_reads_every_page(incidents, incident, story):
    paginator = incidents.get_paginator("list_timeline_events")

    result = paginator.paginate(incidentRecordArn=incident, PaginationConfig={"PageSize": 2}).build_full_result()

    assert [e["eventId"] for e in result["eventSummaries"]] == listed(incidents, incident)


@pytest.mark.parametrize("token", GARBAGE_TOKENS)
def test_a_garbage_token_is_refused(incidents, incident, token):
    with pytest.raises(incidents.exceptions.ValidationException):
        listed(incidents, incident, nextToken=token)
