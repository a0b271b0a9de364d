"""Creating, editing and deleting response plans with the console's form, as plain form posts (JavaScript off):
every write is the API's own operation, so a plan made with the form is the plan the same API request makes."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import httpx
import pytest
from console_support import add_user, csrf_of, signed_in

from support import SEED_REQUEST, Account, Server, wait_until

ACCOUNT_IN_ARN = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)[0-9]{12}(?=:)")
SAMPLE_ROLE = SEED_REQUEST["actions"][0]["ssmAutomation"]["roleArn"]
SAMPLE_TOPIC = SEED_REQUEST["chatChannel"]["chatbotSns"][0]

# The form filled with the values of the CreateResponsePlan documentation's sample request (the engagement is
# chosen from the account's contacts, so it is added by the test).
SAMPLE_FORM: dict[str, str] = {
    "name": "example-response",
    "displayName": "Example response plan",
    "title": "example-incident",
    "impact": "5",
    "summary": "",
    "dedupeString": "",
    "incidentTags": "",
    "chatChannel": SAMPLE_TOPIC,
    "documentName": "AWSIncidents-CriticalIncidentRunbookTemplate",
    "documentVersion": "$DEFAULT",
    "roleArn": SAMPLE_ROLE,
    "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
    "parameters": "",
    "dynamicParameters": "",
    "pagerDutyName": "",
    "secretId": "",
    "serviceId": "",
    "tags": "",
}

# A plan using every member CreateResponsePlan takes, made through the API.
FULL_PLAN: dict[str, Any] = {
    "name": "checkout",
    "displayName": "Checkout",
    "incidentTemplate": {
        "title": "Checkout down",
        "impact": 2,
        "summary": "Orders fail.",
        "dedupeString": "checkout",
        "incidentTags": {"team": "payments"},
    },
    "chatChannel": {"chatbotSns": [SAMPLE_TOPIC]},
    "engagements": ["arn:aws:ssm-contacts:us-east-1:111122223333:contact/elsewhere"],
    "actions": [
        {
            "ssmAutomation": {
                "documentName": "Runbook",
                "roleArn": SAMPLE_ROLE,
                "parameters": {"Ids": ["a", "b"], "Mode": ["fast"]},
                "dynamicParameters": {"Incident": {"variable": "INCIDENT_RECORD_ARN"}},
            }
        }
    ],
    "integrations": [
        {
            "pagerDutyConfiguration": {
                "name": "pd",
                "secretId": "pd-secret",
                "pagerDutyIncidentConfiguration": {"serviceId": "PSERVICE"},
            }
        }
    ],
}


def onboard(server: Server, account: Account) -> None:
    """The account's replication set, ACTIVE."""
    incidents = server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")


def stored(server: Server, account: Account, name: str) -> dict[str, Any]:
    """GetResponsePlan's answer, without boto3's metadata."""
    arn = f"arn:aws:ssm-incidents::{account.account_id}:response-plan/{name}"
    answer = server.client(account).get_response_plan(arn=arn)
    answer.pop("ResponseMetadata")
    return dict(answer)


def plan_names(server: Server, account: Account) -> list[str]:
    """The account's response plans' names."""
    return [p["name"] for p in server.client(account).list_response_plans()["responsePlanSummaries"]]


def without_accounts(value: Any) -> Any:
    """The value with every ARN's account id replaced, so two accounts' plans compare."""
    return json.loads(ACCOUNT_IN_ARN.sub(r"\1ACCOUNT", json.dumps(value)))


def post_plan(client: httpx.Client, path: str, form: dict[str, Any]) -> httpx.Response:
    """Post the plan form as a browser does (a multiple select sends one field per chosen option)."""
    return client.post(path, data={"csrf": csrf_of(client, path), **form})


def error_beside(page: str, field: str) -> str:
    """The message shown beside a field (empty when there is none)."""
    found = re.search(rf'<p id="{field}-error" class="error" role="alert">([^<]*)</p>', page)
    return unescape(found.group(1)) if found else ""


def test_the_documentation_sample_through_the_form_stores_what_the_sample_request_stores(
    server: Server, account: Account, other_account: Account
) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**SEED_REQUEST)
    onboard(server, other_account)
    contacts = server.client(other_account, "ssm-contacts")
    example = contacts.create_contact(Alias="example", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    admin = add_user(server.database_url, other_account.account_id, "admin")
    client = signed_in(server.endpoint, admin)
    form_page = client.get("/console/plans/new").text
    assert f'<option value="{example}">example</option>' in form_page

    answer = post_plan(client, "/console/plans/new", {**SAMPLE_FORM, "engagements": [example]})

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/plans/example-response"
    through_api = stored(server, account, "example-response")
    through_form = stored(server, other_account, "example-response")
    assert without_accounts(through_form) == without_accounts(through_api)
    shown = client.get("/console/plans/example-response").text
    assert "Example response plan" in shown and "AWSIncidents-CriticalIncidentRunbookTemplate" in shown


def test_the_list_offers_create_response_plan_to_those_who_may_create(
    server: Server, account: Account, viewer: str, responder: str
) -> None:
    onboard(server, account)
    admin = add_user(server.database_url, account.account_id, "admin")

    link = '<a class="button primary" href="/console/plans/new">Create response plan</a>'
    assert link in signed_in(server.endpoint, admin).get("/console/plans").text
    assert link not in signed_in(server.endpoint, viewer).get("/console/plans").text
    assert link not in signed_in(server.endpoint, responder).get("/console/plans").text


def test_the_plan_page_shows_each_section_and_offers_edit_and_delete(server: Server, account: Account) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**FULL_PLAN)
    admin = add_user(server.database_url, account.account_id, "admin")

    page = signed_in(server.endpoint, admin).get("/console/plans/checkout").text

    for heading in ("Incident template", "Engagement and collaboration", "Runbook", "PagerDuty integration"):
        assert f">{heading}</h2>" in page
    assert "2 High" in page and "Orders fail." in page and "team=payments" in page and "PSERVICE" in page
    assert ">Edit</a>" in page and ">Delete</a>" in page


def test_editing_changes_that_field_and_only_that_field(server: Server, account: Account) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**FULL_PLAN)
    before = stored(server, account, "checkout")
    admin = add_user(server.database_url, account.account_id, "admin")
    client = signed_in(server.endpoint, admin)
    form = client.get("/console/plans/checkout/edit").text
    assert 'value="Checkout down"' in form and "Ids=a\nIds=b\nMode=fast</textarea>" in form
    engagement = FULL_PLAN["engagements"][0]
    assert f'<option value="{engagement}" selected>{engagement}</option>' in form  # kept though not a contact here
    fields = {
        **SAMPLE_FORM,
        "name": "checkout",
        "displayName": "Checkout",
        "title": "Checkout slow",
        "impact": "2",
        "summary": "Orders fail.",
        "dedupeString": "checkout",
        "incidentTags": "team=payments",
        "chatChannel": SAMPLE_TOPIC,
        "documentName": "Runbook",
        "documentVersion": "",
        "targetAccount": "",
        "parameters": "Ids=a\nIds=b\nMode=fast",
        "dynamicParameters": "Incident=INCIDENT_RECORD_ARN",
        "pagerDutyName": "pd",
        "secretId": "pd-secret",
        "serviceId": "PSERVICE",
        "engagements": [engagement],
    }

    answer = post_plan(client, "/console/plans/checkout/edit", fields)

    assert answer.status_code == 303 and answer.headers["location"] == "/console/plans/checkout"
    after = stored(server, account, "checkout")
    before["incidentTemplate"]["title"] = "Checkout slow"
    assert after == before


def test_emptying_a_section_removes_it_as_the_api_does(server: Server, account: Account) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**SEED_REQUEST)
    admin = add_user(server.database_url, account.account_id, "admin")
    client = signed_in(server.endpoint, admin)
    fields = {**SAMPLE_FORM, "documentName": "", "documentVersion": "", "roleArn": "", "targetAccount": ""}
    fields["engagements"] = SEED_REQUEST["engagements"]

    answer = post_plan(client, "/console/plans/example-response/edit", fields)

    assert answer.status_code == 303, answer.text
    after = stored(server, account, "example-response")
    assert after["actions"] == [] and after["chatChannel"] == SEED_REQUEST["chatChannel"]


def test_deleting_asks_first_naming_the_plan_then_removes_it(server: Server, account: Account) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**SEED_REQUEST)
    admin = add_user(server.database_url, account.account_id, "admin")
    client = signed_in(server.endpoint, admin)

    confirmation = client.get("/console/plans/example-response/delete")

    assert confirmation.status_code == 200
    assert "<h1>Delete response plan example-response?</h1>" in confirmation.text
    assert plan_names(server, account) == ["example-response"]
    path = "/console/plans/example-response/delete"
    answer = client.post(path, data={"csrf": csrf_of(client, path)})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/plans"
    assert plan_names(server, account) == []


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_viewers_and_responders_are_refused_every_write(server: Server, account: Account, role: str) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**SEED_REQUEST)
    before = stored(server, account, "example-response")
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, role))
    token = csrf_of(client, "/console/plans")
    page = client.get("/console/plans/example-response").text
    assert ">Edit</a>" not in page and ">Delete</a>" not in page

    for path in (
        "/console/plans/new",
        "/console/plans/example-response/edit",
        "/console/plans/example-response/delete",
    ):
        assert client.get(path).status_code == 403, path
    created = client.post("/console/plans/new", data={"csrf": token, **SAMPLE_FORM, "name": "mine"})
    edited = client.post(
        "/console/plans/example-response/edit", data={"csrf": token, **SAMPLE_FORM, "title": "Changed"}
    )
    deleted = client.post("/console/plans/example-response/delete", data={"csrf": token})

    assert (created.status_code, edited.status_code, deleted.status_code) == (403, 403, 403)
    assert plan_names(server, account) == ["example-response"]
    assert stored(server, account, "example-response") == before


def test_an_invalid_value_shows_the_apis_message_beside_its_field_and_stores_nothing(
    server: Server, account: Account
) -> None:
    onboard(server, account)
    admin = add_user(server.database_url, account.account_id, "admin")
    client = signed_in(server.endpoint, admin)

    bad_impact = post_plan(client, "/console/plans/new", {**SAMPLE_FORM, "impact": "9"})
    bad_role = post_plan(client, "/console/plans/new", {**SAMPLE_FORM, "roleArn": "not-a-role"})

    assert bad_impact.status_code == 400
    assert "Value '9' at 'incidentTemplate.impact' failed to satisfy constraint" in error_beside(
        bad_impact.text, "impact"
    )
    assert 'aria-invalid="true"' in bad_impact.text
    assert bad_role.status_code == 400
    assert "Value 'not-a-role' at 'actions.1.member.ssmAutomation.roleArn'" in error_beside(bad_role.text, "roleArn")
    assert 'value="not-a-role"' in bad_role.text  # the person's input is kept to be corrected
    assert plan_names(server, account) == []


def test_a_plan_name_already_taken_is_shown_beside_the_name(server: Server, account: Account) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**SEED_REQUEST)
    before = stored(server, account, "example-response")
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "admin"))

    answer = post_plan(client, "/console/plans/new", {**SAMPLE_FORM, "title": "Another"})

    assert answer.status_code == 400
    assert "already exists" in error_beside(answer.text, "name")
    assert stored(server, account, "example-response") == before


def test_a_missing_plan_has_no_edit_or_delete_form(server: Server, account: Account) -> None:
    onboard(server, account)
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "admin"))

    assert client.get("/console/plans/missing/edit").status_code == 404
    assert client.get("/console/plans/missing/delete").status_code == 404


def test_the_create_form_posted_twice_makes_one_plan(server: Server, account: Account) -> None:
    onboard(server, account)
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "admin"))
    form = client.get("/console/plans/new").text
    found = re.search(r'name="clientToken" value="([^"]+)"', form)
    assert found is not None
    fields = {"csrf": csrf_of(client, "/console/plans/new"), **SAMPLE_FORM, "clientToken": found.group(1)}

    first = client.post("/console/plans/new", data=fields)
    second = client.post("/console/plans/new", data=fields)  # a double click, or a retry after a lost answer

    assert (first.status_code, second.status_code) == (303, 303)
    assert second.headers["location"] == "/console/plans/example-response"
    assert plan_names(server, account) == ["example-response"]
