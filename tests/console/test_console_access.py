"""Who may do what in the console: roles are the API's policies, sessions are per account, every write needs the
session's CSRF token, and whatever a person typed is shown as text."""

from __future__ import annotations

from console_support import add_user, browser, csrf_of, incident_path, signed_in

from support import Account, Server


def _start(incidents, plan: str, title: str = "Disk full") -> str:  # type: ignore[no-untyped-def]
    return incidents.start_incident(responsePlanArn=plan, title=title)["incidentRecordArn"]


def _notes(incidents, arn: str) -> int:  # type: ignore[no-untyped-def]
    events = incidents.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]
    return sum(1 for event in events if event["eventType"] == "Custom Event")


def test_a_viewer_sees_no_buttons_and_a_crafted_post_is_refused_and_changes_nothing(
    server: Server, incidents, response_plan: str, viewer: str
) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, viewer)
    page = incident_path(arn)
    shown = client.get(page).text
    assert "Disk full" in shown
    for button in (">Resolve</button>", ">Add note</button>", ">Acknowledge</button>", "<summary>Edit</summary>"):
        assert button not in shown
    assert "Start incident" not in client.get("/console/").text
    token = csrf_of(client, page)
    before = _notes(incidents, arn)
    resolve = client.post(f"{page}/resolve", data={"csrf": token})
    note = client.post(f"{page}/notes", data={"csrf": token, "note": "sneaky"})
    start = client.post("/console/incidents/new", data={"csrf": token, "plan": "test-plan"})
    assert resolve.status_code == note.status_code == start.status_code == 403
    assert "is not authorized to perform: ssm-incidents:UpdateIncidentRecord" in resolve.text
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "OPEN"
    assert _notes(incidents, arn) == before
    assert len(incidents.list_incident_records()["incidentRecordSummaries"]) == 1


def test_a_session_of_another_account_neither_sees_nor_changes_this_accounts_incident(
    server: Server, incidents, response_plan: str, other_account: Account
) -> None:
    arn = _start(incidents, response_plan, "Secret outage")
    stranger = add_user(server.database_url, other_account.account_id, "admin")
    client = signed_in(server.endpoint, stranger)
    page = incident_path(arn)
    assert "Secret outage" not in client.get("/console/?status=ALL").text
    looked = client.get(page)
    assert looked.status_code == 404 and "Secret outage" not in looked.text
    token = csrf_of(client, "/console/")
    for action, data in (("resolve", {}), ("notes", {"note": "hi"}), ("update", {"title": "owned", "impact": "1"})):
        answer = client.post(f"{page}/{action}", data={"csrf": token, **data})
        assert answer.status_code == 404
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert (record["status"], record["title"]) == ("OPEN", "Secret outage")
    assert _notes(incidents, arn) == 1  # only "Incident Started"


def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    server: Server, incidents, response_plan: str, responder: str, account: Account
) -> None:
    arn = _start(incidents, response_plan)
    client = signed_in(server.endpoint, responder)
    other = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "responder"))
    page = incident_path(arn)
    for data in ({}, {"csrf": ""}, {"csrf": "forged"}, {"csrf": csrf_of(other, page)}):
        answer = client.post(f"{page}/resolve", data=data)
        assert answer.status_code == 403
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "OPEN"
    # htmx sends the token as a header instead: that works too
    assert client.post(f"{page}/resolve", headers={"x-csrf-token": csrf_of(client, page)}).status_code == 303
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"


def test_a_post_without_a_session_goes_to_sign_in_and_changes_nothing(
    server: Server, incidents, response_plan: str
) -> None:
    arn = _start(incidents, response_plan)
    answer = browser(server.endpoint).post(f"{incident_path(arn)}/resolve", data={"csrf": "x"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/sign-in")
    hx = browser(server.endpoint).post(f"{incident_path(arn)}/resolve", headers={"hx-request": "true"})
    assert hx.status_code == 401 and hx.headers["hx-redirect"].startswith("/console/sign-in")
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "OPEN"


def test_what_people_typed_is_shown_as_text(server: Server, incidents, response_plan: str, responder: str) -> None:
    attack = "<img src=x onerror=alert(1)>"
    arn = _start(incidents, response_plan, attack)
    client = signed_in(server.endpoint, responder)
    page = incident_path(arn)
    client.post(f"{page}/notes", data={"csrf": csrf_of(client, page), "note": f"<script>alert(2)</script>{attack}"})
    for shown in (client.get("/console/").text, client.get(page).text, client.get(f"{page}?tab=timeline").text):
        assert attack not in shown and "<script>alert" not in shown
        assert "&lt;img src=x onerror=alert(1)&gt;" in shown


def test_every_console_answer_carries_a_strict_content_security_policy(server: Server, responder: str) -> None:
    client = signed_in(server.endpoint, responder)
    for path in ("/console/", "/console/sign-in", "/console/static/console.js", "/console/nowhere"):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
    page = client.get("/console/")
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " on" + "click=" not in page.text  # no inline script anywhere
    assert client.get("/console/static/htmx.min.js").status_code == 200


def test_unknown_incidents_and_plans_are_a_plain_not_found(server: Server, responder: str) -> None:
    client = signed_in(server.endpoint, responder)
    assert client.get("/console/incidents/no-plan/no-incident").status_code == 404
    assert client.get("/console/incidents/bad%20plan/x").status_code == 404
    assert client.get("/console/plans/missing").status_code == 404
    large = client.post(
        "/console/incidents/new", content=b"x" * 100_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert large.status_code == 413
