"""Rotations from the console with plain form posts (JavaScript off): what the form says is what GetRotation
answers, the preview shows what the API computes, and a refused value changes nothing."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from console_support import csrf_of, signed_in

from support import Account, Server

NEW = "/console/on-call/new-rotation"
PEOPLE = (("ama", "Ama Owusu"), ("yaw", "Yaw Mensah"), ("kofi", "Kofi Boateng"))
_TIMES = re.compile(r'<time datetime="([^"]+)">')
_ROW = re.compile(r"<tr>\s*<td><time[^>]*>[^<]*</time></td>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>([^<]*)</td>")


@pytest.fixture
def people(contacts) -> list[str]:  # type: ignore[no-untyped-def]
    """Three personal contacts; their ARNs in PEOPLE's order."""
    return [
        contacts.create_contact(Alias=alias, DisplayName=name, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        for alias, name in PEOPLE
    ]


def rotation_form(token: str, members: list[str], **extra: str) -> dict[str, str]:
    """The form as a person fills it: weekly on Monday 09:00 in Berlin, from a Monday in 2030."""
    form = {
        "csrf": token,
        "name": "Checkout primary",
        "start": "2030-03-25T09:00",
        "time_zone": "Europe/Berlin",
        "kind": "weekly",
        "handoff-count": "1",
        "handoff-0-weekday": "MON",
        "handoff-0-time": "09:00",
        "shift_length": "1",
        "on_calls": "1",
        "action": "save",
    }
    form.update({f"member-{i}": arn for i, arn in enumerate(members)})
    return {**form, **extra}


def shown_shifts(html: str) -> list[tuple[str, str, str]]:
    """The preview's rows: start and end (ISO, in the rotation's zone) and who."""
    part = html[html.index('id="rotation-preview"') :] if 'id="rotation-preview"' in html else html
    times = _TIMES.findall(part)
    names = _ROW.findall(part)
    return [(times[2 * i], times[2 * i + 1], names[i]) for i in range(len(names))]


def api_shifts(shifts: list[dict[str, Any]], zone: str, name_of: dict[str, str]) -> list[tuple[str, str, str]]:
    """The API's shifts as the preview shows them."""
    tz = ZoneInfo(zone)
    return [
        (
            s["StartTime"].astimezone(tz).isoformat(),
            s["EndTime"].astimezone(tz).isoformat(),
            ", ".join(name_of[c] for c in s["ContactIds"]),
        )
        for s in shifts
    ]


def test_a_rotation_created_with_the_form_is_what_the_form_said(
    server: Server, admin: str, contacts, people: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    page = client.get(NEW)
    assert page.status_code == 200 and "Create rotation" in page.text
    assert "Europe/Berlin" in page.text and "Pacific/Auckland" in page.text  # the whole IANA list
    order = [people[1], people[0], people[2]]
    answer = client.post(NEW, data=rotation_form(csrf_of(client, NEW), order))
    assert answer.status_code == 303, answer.text
    rotation_id = answer.headers["location"].rsplit("/", 1)[-1]
    assert answer.headers["location"] == f"/console/on-call/rotations/{rotation_id}"
    arn = contacts.list_rotations()["Rotations"][0]["RotationArn"]
    assert arn.endswith(f"/{rotation_id}")
    rotation = contacts.get_rotation(RotationId=arn)
    assert rotation["Name"] == "Checkout primary"
    assert rotation["ContactIds"] == order
    assert rotation["TimeZoneId"] == "Europe/Berlin"
    assert rotation["StartTime"] == datetime(2030, 3, 25, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    recurrence = {k: v for k, v in rotation["Recurrence"].items() if v}
    assert recurrence == {
        "WeeklySettings": [{"DayOfWeek": "MON", "HandOffTime": {"HourOfDay": 9, "MinuteOfHour": 0}}],
        "NumberOfOnCalls": 1,
        "RecurrenceMultiplier": 1,
    }
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200
    assert 'value="2030-03-25T09:00"' in shown.text and "<option selected>Europe/Berlin</option>" in shown.text
    names = re.findall(r'class="ordered-name">([^<]+)<', shown.text)
    assert names == ["Yaw Mensah", "Ama Owusu", "Kofi Boateng"]


def test_editing_changes_members_zone_recurrence_and_coverage_but_not_the_name(
    server: Server, admin: str, contacts, people: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    created = client.post(NEW, data=rotation_form(csrf_of(client, NEW), people))
    path = created.headers["location"]
    token = csrf_of(client, path)
    edit = rotation_form(
        token,
        [people[2], people[0]],
        name="Renamed",
        time_zone="America/New_York",
        start="2030-11-03T08:30",
        kind="daily",
        **{"handoff-count": "2", "handoff-0-time": "08:30", "handoff-1-time": "20:30", "on_calls": "2"},
        **{"cover-MON-start": "08:00", "cover-MON-end": "18:00", "cover-SAT-start": "00:00", "cover-SAT-end": "00:00"},
    )
    answer = client.post(path, data=edit)
    assert answer.status_code == 303 and answer.headers["location"] == path, answer.text
    rotation = contacts.get_rotation(RotationId=contacts.list_rotations()["Rotations"][0]["RotationArn"])
    assert rotation["Name"] == "Checkout primary"
    assert rotation["ContactIds"] == [people[2], people[0]]
    assert rotation["TimeZoneId"] == "America/New_York"
    assert rotation["StartTime"] == datetime(2030, 11, 3, 8, 30, tzinfo=ZoneInfo("America/New_York"))
    recurrence = rotation["Recurrence"]
    assert recurrence["DailySettings"] == [
        {"HourOfDay": 8, "MinuteOfHour": 30},
        {"HourOfDay": 20, "MinuteOfHour": 30},
    ]
    assert (recurrence["NumberOfOnCalls"], recurrence["RecurrenceMultiplier"]) == (2, 1)
    hour = lambda h: {"HourOfDay": h, "MinuteOfHour": 0}  # noqa: E731
    assert recurrence["ShiftCoverages"] == {
        "MON": [{"Start": hour(8), "End": hour(18)}],
        "SAT": [{"Start": hour(0), "End": hour(0)}],
    }


def test_the_preview_shows_the_shifts_the_api_computes(server: Server, admin: str, contacts, people: list[str]) -> None:
    client = signed_in(server.endpoint, admin)
    token = csrf_of(client, NEW)
    # A start a week ago: the preview's window begins now.
    start = datetime.fromtimestamp(time.time() - 7 * 86_400, UTC).astimezone(ZoneInfo("Australia/Sydney"))
    form = rotation_form(
        token,
        people,
        time_zone="Australia/Sydney",
        start=start.strftime("%Y-%m-%dT%H:%M"),
        kind="daily",
        **{"handoff-0-time": "07:15", "shift_length": "2", "on_calls": "2"},
    )
    fragment = client.post("/console/on-call/preview", data=form)
    assert fragment.status_code == 200
    shown = shown_shifts(fragment.text)
    assert len(shown) >= 6
    # The same settings asked of the API directly, over the window the preview names.
    first = datetime.fromisoformat(shown[0][0])
    rotation_start = datetime.strptime(form["start"], "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo("Australia/Sydney"))
    recurrence = {"DailySettings": [{"HourOfDay": 7, "MinuteOfHour": 15}], "NumberOfOnCalls": 2}
    expected = contacts.list_preview_rotation_shifts(
        RotationStartTime=rotation_start,
        StartTime=first,
        EndTime=first.timestamp() + 14 * 86_400 - 60,
        Members=[alias for alias, _ in PEOPLE],
        TimeZoneId="Australia/Sydney",
        Recurrence={**recurrence, "RecurrenceMultiplier": 2},
    )["RotationShifts"]
    names = {alias: name for alias, name in PEOPLE}
    assert shown[: len(expected) - 1] == api_shifts(expected, "Australia/Sydney", names)[: len(expected) - 1]
    # Without JavaScript the Preview button shows the same rows in the whole page, and saves nothing.
    page = client.post(NEW, data={**form, "action": "preview"})
    again = shown_shifts(page.text)
    # The first shift starts now (to the minute), which may have moved on since.
    assert page.status_code == 200 and again[1:] == shown[1:] and again[0][1:] == shown[0][1:]
    assert contacts.list_rotations()["Rotations"] == []
    # Once saved, the rotation's page previews exactly what ListRotationShifts says.
    saved = client.post(NEW, data=form)
    arn = contacts.list_rotations()["Rotations"][0]["RotationArn"]
    edit_page = client.get(saved.headers["location"])
    shown = shown_shifts(edit_page.text)
    listed = contacts.list_rotation_shifts(
        RotationId=arn, StartTime=datetime.fromisoformat(shown[0][0]), EndTime=datetime.fromisoformat(shown[-1][1])
    )["RotationShifts"]
    by_arn = {arn: name for arn, (_, name) in zip(people, PEOPLE, strict=True)}
    assert shown == api_shifts(listed, "Australia/Sydney", by_arn)


def test_an_invalid_combination_shows_the_apis_message_in_the_preview(
    server: Server, admin: str, people: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    form = rotation_form(csrf_of(client, NEW), people[:2], on_calls="3")
    fragment = client.post("/console/on-call/preview", data=form)
    assert fragment.status_code == 200
    assert '<p class="error">' in fragment.text and "NumberOfOnCalls (3) is more than the 2 contacts" in fragment.text


def test_a_bad_value_shows_the_apis_message_and_creates_nothing(
    server: Server, admin: str, contacts, people: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    token = csrf_of(client, NEW)
    minute = client.post(NEW, data=rotation_form(token, people, **{"handoff-0-time": "09:61"}))
    assert minute.status_code == 400
    assert 'id="handoffs-error"' in minute.text and "MinuteOfHour" in minute.text
    assert "Member must have value less than or equal to 59" in minute.text
    nobody = client.post(NEW, data=rotation_form(token, []))
    assert nobody.status_code == 400
    assert 'id="members-error"' in nobody.text and "ContactIds" in nobody.text
    assert contacts.list_rotations()["Rotations"] == []


def test_buttons_that_reorder_members_show_the_form_again_and_save_nothing(
    server: Server, admin: str, contacts, people: list[str]
) -> None:
    client = signed_in(server.endpoint, admin)
    token = csrf_of(client, NEW)
    moved = client.post(NEW, data=rotation_form(token, people, action="up-2"))
    assert moved.status_code == 200
    assert re.findall(r'name="member-\d+" value="([^"]+)"', moved.text) == [people[0], people[2], people[1]]
    added = client.post(NEW, data=rotation_form(token, people[:1], action="add-member", **{"add-member": people[2]}))
    assert re.findall(r'name="member-\d+" value="([^"]+)"', added.text) == [people[0], people[2]]
    assert contacts.list_rotations()["Rotations"] == []


def test_a_viewer_sees_no_save_button_and_is_refused(
    server: Server, account: Account, viewer: str, contacts, people: list[str]
) -> None:
    client = signed_in(server.endpoint, viewer)
    page = client.get(NEW)
    assert page.status_code == 200 and "Create rotation</button>" not in page.text
    answer = client.post(NEW, data=rotation_form(csrf_of(client, NEW), people))
    assert answer.status_code == 403 and "Not allowed" in answer.text
    assert contacts.list_rotations()["Rotations"] == []


def test_deleting_a_rotation_asks_first_naming_it(server: Server, admin: str, contacts, people: list[str]) -> None:
    client = signed_in(server.endpoint, admin)
    created = client.post(NEW, data=rotation_form(csrf_of(client, NEW), people))
    path = created.headers["location"]
    assert f'href="{path}/delete"' in client.get(path).text
    confirm = client.get(f"{path}/delete")
    assert confirm.status_code == 200 and "Delete rotation Checkout primary?" in confirm.text
    answer = client.post(f"{path}/delete", data={"csrf": csrf_of(client, f"{path}/delete")})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/on-call"
    assert contacts.list_rotations()["Rotations"] == []
    assert client.get(path).status_code == 404
