"""Escalation plans through the console's forms (no JavaScript): created with the new-contact form, stages with
durations and targets (a contact and an on-call schedule) with "Acknowledgement stops progression" per target, the
buttons that change the form without saving, the API's refusals beside the field, and viewers' refusals."""

from __future__ import annotations

import httpx
from console_support import add_user, signed_in
from test_contact_pages import admin_of, create_contact, error_beside, post

from paging.paging_support import onboard
from support import Account, Server


def _plan_with_targets(server: Server, account: Account) -> tuple[httpx.Client, object, str, str, str]:
    """An admin's browser, the API, and an escalation plan (made with the form), a person and a schedule."""
    client = admin_of(server, account)
    contacts = server.client(account, "ssm-contacts")
    person = contacts.create_contact(Alias="dana", DisplayName="Dana Ortiz", Type="PERSONAL", Plan={"Stages": []})
    schedule = contacts.create_contact(
        Alias="primary", DisplayName="Primary on call", Type="ONCALL_SCHEDULE", Plan={"RotationIds": []}
    )
    create_contact(client, "checkout-escalation", "Checkout escalation", kind="ESCALATION")
    plan = next(c for c in contacts.list_contacts()["Contacts"] if c["Alias"] == "checkout-escalation")
    return client, contacts, plan["ContactArn"], person["ContactArn"], schedule["ContactArn"]


def test_an_escalation_plan_stores_two_stages_with_targets_and_acknowledgement_per_target(
    server: Server, account: Account
) -> None:
    client, contacts, plan, person, schedule = _plan_with_targets(server, account)
    assert contacts.get_contact(ContactId=plan)["Type"] == "ESCALATION"  # type: ignore[attr-defined]
    page = client.get("/console/contacts/checkout-escalation").text
    assert "<h1>Checkout escalation</h1>" in page and "No stages" in page

    answer = post(
        client,
        "/console/contacts/checkout-escalation/plan",
        {
            "stages": "2",
            "stage-0-minutes": "5",
            "stage-0-target-0": person,
            "stage-0-essential-0": "yes",
            "stage-0-target-1": schedule,
            "stage-1-minutes": "15",
            "stage-1-target-0": schedule,
            "stage-1-essential-0": "yes",
            "stage-1-target-1": "",  # a row left empty is no target
            "action": "save",
        },
    )

    assert answer.status_code == 303, answer.text
    assert contacts.get_contact(ContactId=plan)["Plan"] == {  # type: ignore[attr-defined]
        "Stages": [
            {
                "DurationInMinutes": 5,
                "Targets": [
                    {"ContactTargetInfo": {"ContactId": person, "IsEssential": True}},
                    {"ContactTargetInfo": {"ContactId": schedule, "IsEssential": False}},
                ],
            },
            {
                "DurationInMinutes": 15,
                "Targets": [{"ContactTargetInfo": {"ContactId": schedule, "IsEssential": True}}],
            },
        ]
    }
    page = client.get("/console/contacts/checkout-escalation").text
    assert f'<option value="{person}" selected>Dana Ortiz (contact)</option>' in page
    assert f'<option value="{schedule}" selected>Primary on call (on-call schedule)</option>' in page
    assert 'name="stage-0-essential-0" value="yes" checked' in page
    assert 'name="stage-0-essential-1" value="yes">' in page  # not checked
    assert "<legend>Stage 2</legend>" in page


def test_add_target_and_add_stage_show_more_rows_and_save_nothing(server: Server, account: Account) -> None:
    client, contacts, plan, person, _ = _plan_with_targets(server, account)
    form = {"stages": "1", "stage-0-minutes": "5", "stage-0-target-0": person, "stage-0-essential-0": "yes"}

    more_targets = post(client, "/console/contacts/checkout-escalation/plan", {**form, "action": "add-target-0"})
    more_stages = post(client, "/console/contacts/checkout-escalation/plan", {**form, "action": "add-stage"})

    assert more_targets.status_code == 200
    assert 'id="stage-0-target-1"' in more_targets.text and 'id="stage-0-target-2"' not in more_targets.text
    assert f'<option value="{person}" selected>' in more_targets.text
    assert more_stages.status_code == 200
    assert "<legend>Stage 2</legend>" in more_stages.text and 'id="stage-1-target-0"' in more_stages.text
    assert contacts.get_contact(ContactId=plan)["Plan"] == {"Stages": []}  # type: ignore[attr-defined]


def test_a_stage_of_no_minutes_and_no_target_is_refused_beside_its_minutes(server: Server, account: Account) -> None:
    client, contacts, plan, person, _ = _plan_with_targets(server, account)

    answer = post(
        client,
        "/console/contacts/checkout-escalation/plan",
        {
            "stages": "2",
            "stage-0-minutes": "5",
            "stage-0-target-0": person,
            "stage-1-minutes": "0",
            "stage-1-target-0": "",
        },
    )

    assert answer.status_code == 400
    assert "DurationInMinutes of 0 and no target" in error_beside(answer.text, "stage-1-minutes")
    assert f'<option value="{person}" selected>' in answer.text  # the form keeps what was chosen
    assert contacts.get_contact(ContactId=plan)["Plan"] == {"Stages": []}  # type: ignore[attr-defined]


def test_a_target_that_is_gone_is_refused_above_the_form(server: Server, account: Account) -> None:
    client, contacts, plan, person, _ = _plan_with_targets(server, account)
    gone = person.replace("contact/dana", "contact/nobody")

    answer = post(
        client,
        "/console/contacts/checkout-escalation/plan",
        {"stages": "1", "stage-0-minutes": "5", "stage-0-target-0": gone},
    )

    assert answer.status_code == 400 and "does not exist" in answer.text
    assert f'<option value="{gone}" selected>nobody (deleted)</option>' in answer.text
    assert contacts.get_contact(ContactId=plan)["Plan"] == {"Stages": []}  # type: ignore[attr-defined]


def test_a_viewer_sees_the_stages_but_no_buttons_and_is_refused(server: Server, account: Account) -> None:
    onboard(server, account)
    contacts = server.client(account, "ssm-contacts")
    person = contacts.create_contact(Alias="dana", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    stages = [{"DurationInMinutes": 5, "Targets": [{"ContactTargetInfo": {"ContactId": person, "IsEssential": True}}]}]
    plan = contacts.create_contact(Alias="escalate", Type="ESCALATION", Plan={"Stages": stages})["ContactArn"]
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer"))

    page = client.get("/console/contacts/escalate")

    assert page.status_code == 200 and "<legend>Stage 1</legend>" in page.text and "disabled" in page.text
    for control in ("Add stage", "Add target", "Save escalation plan", "Delete escalation plan"):
        assert control not in page.text, control
    refused = post(client, "/console/contacts/escalate/plan", {"stages": "0"})
    assert refused.status_code == 403
    assert contacts.get_contact(ContactId=plan)["Plan"]["Stages"] == stages
    assert client.get("/console/contacts/new?type=ESCALATION").status_code == 403


def test_a_schedules_contact_page_is_its_calendar(server: Server, account: Account) -> None:
    client = admin_of(server, account)
    server.client(account, "ssm-contacts").create_contact(Alias="primary", Type="ONCALL_SCHEDULE", Plan={})

    answer = client.get("/console/contacts/primary")

    assert answer.status_code == 303 and answer.headers["location"] == "/console/on-call/schedules/primary"
