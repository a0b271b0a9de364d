"""Acting from the console with plain form posts (JavaScript off): every action is the API's own operation,
with its validation, its timeline events and the signed-in person as the one who did it."""

from __future__ import annotations

import json

from console_support import csrf_of, incident_path, signed_in

from support import Account, Server, wait_until


def _start(incidents, plan: str, title: str = "Checkout is failing") -> str:  # type: ignore[no-untyped-def]
    return incidents.start_incident(responsePlanArn=plan, title=title)["incidentRecordArn"]


def test_a_note_is_a_timeline_event_naming_its_author(
    server: Server, incidents, response_plan: str, responder: str, account: Account
) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    answer = client.post(f"{page}/notes", data={"csrf": csrf_of(client, page), "note": "Rolled back deploy 42"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{page}?tab=overview"
    summaries = incidents.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]
    notes = [
        incidents.get_timeline_event(incidentRecordArn=arn, eventId=s["eventId"])["event"]
        for s in summaries
        if s["eventType"] == "Custom Event"
    ]
    data = [json.loads(note["eventData"]) for note in notes]
    assert {"content": "Rolled back deploy 42", "author": f"arn:aws:iam::{account.account_id}:user/{responder}"} in data
    assert "Rolled back deploy 42" in client.get(page).text


def test_editing_and_resolving_record_the_person_as_last_modifier(
    server: Server, incidents, response_plan: str, responder: str, account: Account
) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    token = csrf_of(client, page)
    edited = client.post(
        f"{page}/update", data={"csrf": token, "title": "Payments down", "impact": "1", "summary": "Card auth fails"}
    )
    assert edited.status_code == 303
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert (record["title"], record["impact"], record["summary"]) == ("Payments down", 1, "Card auth fails")
    assert record["lastModifiedBy"] == f"arn:aws:iam::{account.account_id}:user/{responder}"
    assert client.post(f"{page}/resolve", data={"csrf": token}).status_code == 303
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"
    shown = client.get(page).text
    assert "Resolved" in shown and ">Resolve</button>" not in shown


def test_a_refused_edit_shows_the_apis_message_beside_the_field_and_changes_nothing(
    server: Server, incidents, response_plan: str, responder: str
) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    answer = client.post(
        f"{page}/update", data={"csrf": csrf_of(client, page), "title": "x" * 201, "impact": "2", "summary": ""}
    )
    assert answer.status_code == 400
    assert 'id="title-error"' in answer.text and "at &#39;title&#39; failed to satisfy constraint" in answer.text
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["title"] == "Checkout is failing"
    impact = client.post(
        f"{page}/update", data={"csrf": csrf_of(client, page), "title": "t", "impact": "9", "summary": ""}
    )
    assert impact.status_code == 400 and 'id="impact-error"' in impact.text


def test_starting_an_incident_from_the_console_names_the_person_as_its_creator(
    server: Server, incidents, response_plan: str, responder: str, account: Account
) -> None:
    client = signed_in(server.endpoint, responder)
    token = csrf_of(client, "/console/incidents/new")
    answer = client.post(
        "/console/incidents/new",
        data={"csrf": token, "plan": "test-plan", "title": "Started in the console", "impact": "2"},
    )
    assert answer.status_code == 303
    arn = next(
        s["arn"]
        for s in incidents.list_incident_records()["incidentRecordSummaries"]
        if s["title"] == "Started in the console"
    )
    assert answer.headers["location"] == incident_path(arn)
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert record["impact"] == 2
    assert record["incidentRecordSource"]["createdBy"] == f"arn:aws:iam::{account.account_id}:user/{responder}"
    missing = client.post("/console/incidents/new", data={"csrf": token, "plan": "no-such-plan"})
    assert missing.status_code == 400 and 'id="plan-error"' in missing.text


def test_events_can_be_edited_and_deleted_as_the_api_allows(
    server: Server, incidents, response_plan: str, responder: str
) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    token = csrf_of(client, page)
    client.post(f"{page}/notes", data={"csrf": token, "note": "first words"})
    (note,) = [
        s
        for s in incidents.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]
        if "first" in _data(incidents, arn, s)
    ]
    assert (
        client.post(f"{page}/events/{note['eventId']}", data={"csrf": token, "note": "second words"}).status_code == 303
    )
    assert "second words" in _data(incidents, arn, note)
    assert client.post(f"{page}/events/{note['eventId']}/delete", data={"csrf": token}).status_code == 303
    remaining = [s["eventId"] for s in incidents.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]]
    assert note["eventId"] not in remaining


def _data(incidents, arn: str, summary: dict) -> str:  # type: ignore[no-untyped-def, type-arg]
    return str(incidents.get_timeline_event(incidentRecordArn=arn, eventId=summary["eventId"])["event"]["eventData"])


def test_related_items_are_added_and_removed(server: Server, incidents, response_plan: str, responder: str) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    token = csrf_of(client, page)
    added = client.post(
        f"{page}/related",
        data={
            "csrf": token,
            "tab": "related",
            "title": "Dashboard",
            "value": "https://grafana.example/d/1",
            "type": "OTHER",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == f"{page}?tab=related"
    items = incidents.list_related_items(incidentRecordArn=arn)["relatedItems"]
    assert any(i["identifier"]["value"].get("url") == "https://grafana.example/d/1" for i in items)
    bad = client.post(
        f"{page}/related",
        data={"csrf": token, "tab": "related", "title": "t" * 201, "value": "https://x.example", "type": "OTHER"},
    )
    assert bad.status_code == 400 and 'id="title-error"' in bad.text
    removed = client.post(
        f"{page}/related/remove", data={"csrf": token, "type": "OTHER", "value": "https://grafana.example/d/1"}
    )
    assert removed.status_code == 303
    items = incidents.list_related_items(incidentRecordArn=arn)["relatedItems"]
    assert not any(i["identifier"]["value"].get("url") == "https://grafana.example/d/1" for i in items)


def test_engaging_a_contact_starts_an_engagement_for_the_incident(
    server: Server, incidents, response_plan: str, responder: str, account: Account
) -> None:
    contacts = server.client(account, "ssm-contacts")
    contact = contacts.create_contact(Alias="oncall-dana", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    engagements_tab = client.get(f"{page}?tab=engagements").text
    assert "oncall-dana" in engagements_tab
    answer = client.post(
        f"{page}/engage", data={"csrf": csrf_of(client, page), "tab": "engagements", "contact": contact, "message": ""}
    )
    assert answer.status_code == 303
    engaged = contacts.list_engagements(IncidentId=arn)["Engagements"]
    assert [e["ContactArn"] for e in engaged] == [contact]
    assert "oncall-dana" in client.get(f"{page}?tab=engagements").text


def test_a_waiting_runbook_step_is_resumed_from_the_runbook_tab(
    server: Server, incidents, replication_set: str, responder: str, account: Account
) -> None:
    ssm = server.client(account, "ssm")
    steps = [
        {"name": "Hold", "action": "aws:pause", "inputs": {}},
        {"name": "After", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
    ]
    ssm.create_document(
        Name="hold-runbook",
        DocumentType="Automation",
        DocumentFormat="JSON",
        Content=json.dumps({"schemaVersion": "0.3", "mainSteps": steps}),
    )
    plan = incidents.create_response_plan(
        name="runbook-plan",
        incidentTemplate={"title": "Runbook incident", "impact": 3},
        actions=[
            {
                "ssmAutomation": {
                    "roleArn": f"arn:aws:iam::{account.account_id}:role/runbook",
                    "documentName": "hold-runbook",
                }
            }
        ],
    )["arn"]
    arn = _start(incidents, plan, "Runbook incident")
    record = wait_until(lambda: incidents.get_incident_record(arn=arn)["incidentRecord"].get("automationExecutions"))
    execution = record[0]["ssmExecutionArn"].rsplit("/", 1)[-1]
    wait_until(
        lambda: (
            ssm.get_automation_execution(AutomationExecutionId=execution)["AutomationExecution"][
                "AutomationExecutionStatus"
            ]
            == "Waiting"
        )
    )
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    runbook = client.get(f"{page}?tab=runbook").text
    assert "Hold" in runbook and 'value="Resume"' in runbook
    answer = client.post(
        f"{page}/signal",
        data={
            "csrf": csrf_of(client, page),
            "tab": "runbook",
            "execution": execution,
            "step": "Hold",
            "signal": "Resume",
        },
    )
    assert answer.status_code == 303
    done = wait_until(
        lambda: (
            ssm.get_automation_execution(AutomationExecutionId=execution)["AutomationExecution"][
                "AutomationExecutionStatus"
            ]
            == "Success"
        )
    )
    assert done


def test_the_list_filters_searches_and_pages(server: Server, incidents, response_plan: str, viewer: str) -> None:
    for number in range(55):
        _start(incidents, response_plan, f"Batch incident {number:02d}")
    _start(incidents, response_plan, "A unique needle_in the haystack")
    client = signed_in(server.endpoint, viewer)
    first = client.get("/console/").text
    assert first.count("data-list-item") == 50
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).text
    assert second.count("data-list-item") == 6
    assert "Batch incident 00" in second and "Batch incident 00" not in first
    found = client.get("/console/", params={"q": "NEEDLE_IN", "status": "ALL"}).text
    assert found.count("data-list-item") == 1 and "A unique needle_in the haystack" in found
    assert "Searching incidents started in the last 90 days" in found
    everywhere = client.get("/console/", params={"q": "needle", "status": "ALL", "range": "all"}).text
    assert everywhere.count("data-list-item") == 1 and "Searching incidents started" not in everywhere
    underscore = client.get("/console/", params={"q": "needle_", "status": "ALL"}).text
    assert underscore.count("data-list-item") == 1  # _ is a character here, not LIKE's wildcard
    assert client.get("/console/", params={"plan": "test-plan", "status": "ALL"}).text.count("data-list-item") == 50
    assert client.get("/console/", params={"plan": "other-plan", "status": "ALL"}).text.count("data-list-item") == 0
    assert client.get("/console/", params={"status": "RESOLVED"}).text.count("data-list-item") == 0
    assert client.get("/console/", params={"impact": "1", "status": "ALL"}).text.count("data-list-item") == 0
    rows = client.get("/console/incidents/rows", params={"status": "ALL"})
    assert rows.status_code == 200 and rows.text.count("data-list-item") == 50 and "<html" not in rows.text
    nonsense = client.get("/console/", params={"after": "%%%", "impact": "x", "status": "?", "range": "forever"})
    assert nonsense.status_code == 200


def test_the_chosen_time_zone_is_remembered_and_a_wrong_one_refused(
    server: Server, incidents, response_plan: str, viewer: str
) -> None:
    _start(incidents, response_plan)
    client = signed_in(server.endpoint, viewer)
    token = csrf_of(client, "/console/preferences")
    refused = client.post("/console/preferences", data={"csrf": token, "time_zone": "Mars/Olympus"})
    assert refused.status_code == 400 and "is not a time zone" in refused.text
    assert client.post("/console/preferences", data={"csrf": token, "time_zone": "Asia/Kolkata"}).status_code == 303
    page = client.get("/console/").text
    assert "IST" in page and 'data-zone-chosen="yes"' in page and ' UTC"' in page  # the UTC time in the tooltip


def test_the_timeline_shows_a_hundred_events_a_page_and_goes_on_to_older_ones(
    server: Server, incidents, response_plan: str, viewer: str
) -> None:
    arn = _start(incidents, response_plan)
    for number in range(120):
        incidents.create_timeline_event(
            incidentRecordArn=arn,
            eventTime=1_700_000_000 + number,
            eventType="Custom Event",
            eventData=f'"note {number}"',
        )
    client = signed_in(server.endpoint, viewer)
    first = client.get(f"{incident_path(arn)}?tab=timeline")
    assert first.status_code == 200 and len(first.content) < 100_000
    assert first.text.count('class="event"') == 100 and "note 119" in first.text and "note 19<" not in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).text
    assert second.count('class="event"') == 21 and "note 0<" in second and "Newest events" in second
    assert client.get(f"{incident_path(arn)}?tab=timeline&from=garbage").status_code == 200


def test_the_acknowledge_form_pauses_after_five_wrong_codes_for_an_incident(
    server: Server, incidents, response_plan: str, responder: str
) -> None:
    # The form finds a page by its code; unbounded tries would search the incident's six-digit codes.
    arn, other = _start(incidents, response_plan), _start(incidents, response_plan, "Search is slow")
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    token = csrf_of(client, page)
    for code in ("100000", "100001", "100002", "100003", "100004"):
        answer = client.post(f"{page}/acknowledge", data={"csrf": token, "accept_code": code})
        assert answer.status_code == 400 and "matches no page of this incident" in answer.text
    paused = client.post(f"{page}/acknowledge", data={"csrf": token, "accept_code": "100005"})
    assert paused.status_code == 400 and "Too many wrong codes for this incident" in paused.text
    elsewhere = client.post(f"{incident_path(other)}/acknowledge", data={"csrf": token, "accept_code": "100005"})
    assert elsewhere.status_code == 400 and "matches no page of this incident" in elsewhere.text
