"""On-call schedules from the console with plain form posts: create, edit and delete one, and GetContact agrees."""

from __future__ import annotations

import re

import pytest
from console_support import csrf_of, signed_in

from support import Server

NEW = "/console/on-call/new-schedule"
DAILY = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}


@pytest.fixture
def rotations(contacts) -> list[str]:  # type: ignore[no-untyped-def]
    """Three rotations of one person; their ARNs (named Day, Night, Weekend)."""
    person = contacts.create_contact(Alias="ama", DisplayName="Ama Owusu", Type="PERSONAL", Plan={"Stages": []})
    return [
        contacts.create_rotation(
            Name=name, ContactIds=[person["ContactArn"]], TimeZoneId="Europe/Berlin", Recurrence=DAILY
        )["RotationArn"]
        for name in ("Day", "Night", "Weekend")
    ]


def test_create_edit_and_delete_a_schedule(server: Server, admin: str, contacts, rotations: list[str]) -> None:
    client = signed_in(server.endpoint, admin)
    page = client.get(NEW)
    assert page.status_code == 200 and "Create schedule" in page.text
    assert [name for name in ("Day", "Night", "Weekend") if f">{name}</option>" in page.text] == [
        "Day",
        "Night",
        "Weekend",
    ]
    token = csrf_of(client, NEW)
    form = {"csrf": token, "alias": "checkout-oncall", "display_name": "Checkout on call", "action": "save"}
    answer = client.post(NEW, data={**form, "rotation-0": rotations[2], "rotation-1": rotations[0]})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/on-call/schedules/checkout-oncall"
    arn = f"{rotations[0].split(':rotation/')[0]}:contact/checkout-oncall"
    contact = contacts.get_contact(ContactId=arn)
    assert (contact["Type"], contact["DisplayName"]) == ("ONCALL_SCHEDULE", "Checkout on call")
    assert contact["Plan"]["RotationIds"] == [rotations[2], rotations[0]] and not contact["Plan"].get("Stages")

    edit = "/console/on-call/schedules/checkout-oncall/edit"
    shown = client.get(edit)
    assert re.findall(r'class="ordered-name">([^<]+)<', shown.text) == ["Weekend", "Day"]
    changed = {"csrf": token, "display_name": "Checkout", "rotation-0": rotations[0], "rotation-1": rotations[1]}
    answer = client.post(edit, data={**changed, "action": "save"})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/on-call/schedules/checkout-oncall"
    contact = contacts.get_contact(ContactId=arn)
    assert contact["DisplayName"] == "Checkout" and contact["Plan"]["RotationIds"] == rotations[:2]

    confirm = client.get("/console/on-call/schedules/checkout-oncall/delete")
    assert confirm.status_code == 200 and "Delete on-call schedule Checkout?" in confirm.text
    answer = client.post("/console/on-call/schedules/checkout-oncall/delete", data={"csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/on-call"
    assert contacts.list_contacts(Type="ONCALL_SCHEDULE")["Contacts"] == []


def test_a_refused_schedule_shows_the_apis_message_and_creates_nothing(
    server: Server, admin: str, contacts, rotations: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    token = csrf_of(client, NEW)
    bad_alias = client.post(NEW, data={"csrf": token, "alias": "Checkout On Call", "rotation-0": rotations[0]})
    assert bad_alias.status_code == 400 and 'id="alias-error"' in bad_alias.text
    assert "failed to satisfy constraint" in bad_alias.text
    too_many = {f"rotation-{i}": rotations[0].replace(rotations[0][-4:], f"{i:04d}") for i in range(9)}
    many = client.post(NEW, data={"csrf": token, "alias": "many", **too_many})
    assert many.status_code == 400 and 'id="rotations-error"' in many.text
    assert contacts.list_contacts(Type="ONCALL_SCHEDULE")["Contacts"] == []


def test_reordering_without_javascript_saves_nothing(
    server: Server, admin: str, contacts, rotations: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    token = csrf_of(client, NEW)
    form = {"csrf": token, "alias": "s", "rotation-0": rotations[0], "rotation-1": rotations[1]}
    moved = client.post(NEW, data={**form, "action": "down-0"})
    assert moved.status_code == 200
    assert re.findall(r'name="rotation-\d+" value="([^"]+)"', moved.text) == [rotations[1], rotations[0]]
    assert contacts.list_contacts(Type="ONCALL_SCHEDULE")["Contacts"] == []


def test_a_viewer_is_refused(server: Server, viewer: str, contacts, rotations: list[str]) -> None:
    kept = contacts.create_contact(
        Alias="kept", Type="ONCALL_SCHEDULE", Plan={"Stages": [], "RotationIds": rotations[:1]}
    )["ContactArn"]
    client = signed_in(server.endpoint, viewer)
    assert "Create schedule</button>" not in client.get(NEW).text
    token = csrf_of(client, NEW)
    assert client.post(NEW, data={"csrf": token, "alias": "mine", "rotation-0": rotations[0]}).status_code == 403
    edit = client.get("/console/on-call/schedules/kept/edit")
    assert edit.status_code == 200 and 'class="primary">Save</button>' not in edit.text
    answer = client.post("/console/on-call/schedules/kept/edit", data={"csrf": token, "display_name": "Mine"})
    assert answer.status_code == 403
    assert client.post("/console/on-call/schedules/kept/delete", data={"csrf": token}).status_code == 403
    assert [c["Alias"] for c in contacts.list_contacts(Type="ONCALL_SCHEDULE")["Contacts"]] == ["kept"]
    assert "DisplayName" not in contacts.get_contact(ContactId=kept)
