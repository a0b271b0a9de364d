"""The On call page and a schedule's page with plain HTTP (JavaScript off): now and next as ListRotationShifts says,
the calendar's rows, overrides created and deleted through form posts, a viewer's refusal, and the API's message."""

from __future__ import annotations

import datetime
import html
import re
import time
from dataclasses import dataclass
from typing import Any

from console_support import csrf_of, signed_in

from support import Server

DAY = 86_400
DAILY_9 = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}
PEOPLE = (("ama", "Ama Owusu"), ("yaw", "Yaw Mensah"), ("efua", "Efua Boateng"))


@dataclass
class Team:
    """A schedule of one rotation of three people, handing off daily at 09:00 UTC since two days ago."""

    schedule_alias: str
    schedule_arn: str
    rotation_arn: str
    people: list[str]

    @property
    def rotation_id(self) -> str:
        return self.rotation_arn.rsplit("/", 1)[-1]

    @property
    def path(self) -> str:
        return f"/console/on-call/schedules/{self.schedule_alias}"


def make_team(contacts, prefix: str = "", zone: str = "UTC", start: float | None = None) -> Team:  # type: ignore[no-untyped-def]
    """Three people, a rotation of them (daily 09:00 in `zone`) and a schedule naming it."""
    people = [
        contacts.create_contact(Alias=f"{prefix}{alias}", DisplayName=name, Type="PERSONAL", Plan={"Stages": []})[
            "ContactArn"
        ]
        for alias, name in PEOPLE
    ]
    rotation = contacts.create_rotation(
        Name=f"{prefix}Checkout primary",
        ContactIds=people,
        StartTime=datetime.datetime.fromtimestamp(start if start is not None else time.time() - 2 * DAY, datetime.UTC),
        TimeZoneId=zone,
        Recurrence=DAILY_9,
    )["RotationArn"]
    schedule = contacts.create_contact(
        Alias=f"{prefix}checkout-oncall",
        DisplayName=f"{prefix}Checkout on call",
        Type="ONCALL_SCHEDULE",
        Plan={"RotationIds": [rotation]},
    )["ContactArn"]
    return Team(f"{prefix}checkout-oncall", schedule, rotation, people)


def shifts_from_now(contacts, rotation_arn: str, days: int = 14) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """ListRotationShifts from now on."""
    now = time.time()
    return list(
        contacts.list_rotation_shifts(
            RotationId=rotation_arn,
            StartTime=datetime.datetime.fromtimestamp(now, datetime.UTC),
            EndTime=datetime.datetime.fromtimestamp(now + days * DAY, datetime.UTC),
        )["RotationShifts"]
    )


def text_of(page: str) -> str:
    """A page's text as a person reads it: tags gone, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def label(team: Team, contact_arn: str) -> str:
    """How the pages name a contact of PEOPLE: 'Display name (alias)'."""
    alias = contact_arn.rsplit("/", 1)[-1]
    return next(f"{name} ({alias})" for short, name in PEOPLE if alias.endswith(short))


def test_the_on_call_page_links_each_schedule_by_name_with_now_and_next(server: Server, contacts, admin: str) -> None:
    team = make_team(contacts)
    lone = contacts.create_rotation(
        Name="Lonely rotation", ContactIds=team.people[:2], TimeZoneId="Europe/Berlin", Recurrence=DAILY_9
    )["RotationArn"]
    client = signed_in(server.endpoint, admin)

    page = client.get("/console/on-call")

    assert page.status_code == 200
    assert f'<a href="{team.path}">Checkout on call</a>' in page.text
    shifts = shifts_from_now(contacts, team.rotation_arn)
    row = text_of(page.text.split(team.path)[1].split("</tr>")[0])
    assert label(team, shifts[0]["ContactIds"][0]) in row
    assert f"{label(team, shifts[1]['ContactIds'][0])} from {shifts[1]['StartTime']:%Y-%m-%d %H:%M:%S}" in row
    lone_shifts = shifts_from_now(contacts, lone)
    lone_row = text_of(page.text.split("Lonely rotation")[1].split("</tr>")[0])
    assert label(team, lone_shifts[0]["ContactIds"][0]) in lone_row
    assert 'href="/console/on-call/new-rotation"' in page.text and 'href="/console/on-call/new-schedule"' in page.text


def test_a_viewer_sees_no_links_to_create(server: Server, contacts, viewer: str) -> None:
    make_team(contacts)
    page = signed_in(server.endpoint, viewer).get("/console/on-call")
    assert page.status_code == 200 and "Checkout on call" in page.text
    assert "new-rotation" not in page.text and "new-schedule" not in page.text


def test_the_schedule_page_says_who_is_on_call_now_and_next(server: Server, contacts, admin: str) -> None:
    team = make_team(contacts)
    client = signed_in(server.endpoint, admin)

    page = client.get(team.path)

    assert page.status_code == 200
    shifts = shifts_from_now(contacts, team.rotation_arn)
    text = text_of(page.text)
    assert "<h1>Checkout on call</h1>" in page.text
    now_who = label(team, shifts[0]["ContactIds"][0])
    next_who = label(team, shifts[1]["ContactIds"][0])
    assert f"On call now {now_who} until {shifts[0]['EndTime']:%a %-d %b %Y %H:%M}" in text
    assert f"Next {next_who} from {shifts[1]['StartTime']:%a %-d %b %Y %H:%M}" in text
    assert f'href="/console/feeds/new?schedule={team.schedule_alias}">Calendar feed</a>' in page.text
    assert f'href="/console/on-call/rotations/{team.rotation_id}"' in page.text
    assert f'href="{team.path}/edit">Edit schedule</a>' in page.text
    assert "Final schedule" in text


def test_a_schedule_that_does_not_exist_is_not_found(server: Server, contacts, admin: str) -> None:
    client = signed_in(server.endpoint, admin)
    assert client.get("/console/on-call/schedules/nobody-here").status_code == 404


def test_clicking_a_shift_opens_the_override_form_prefilled(server: Server, contacts, admin: str) -> None:
    team = make_team(contacts)
    client = signed_in(server.endpoint, admin)
    future = shifts_from_now(contacts, team.rotation_arn)[2]
    page = client.get(team.path, params={"view": "week", "zone": "UTC", "start": f"{future['StartTime']:%Y-%m-%d}"})
    start, end = int(future["StartTime"].timestamp()), int(future["EndTime"].timestamp())
    link = f'override={team.rotation_id}&amp;from={start}&amp;to={end}"'
    assert link in page.text

    form = client.get(
        team.path, params={"view": "week", "zone": "UTC", "override": team.rotation_id, "from": start, "to": end}
    )

    assert 'name="covered_by"' in form.text and ">Create override</button>" in form.text
    assert f'value="{future["StartTime"]:%Y-%m-%dT%H:%M}"' in form.text
    assert f'value="{future["EndTime"]:%Y-%m-%dT%H:%M}"' in form.text
    # Labelled exactly "Start", with the page's zone beside the label and in the field's description.
    assert '<label for="override-start">Start</label> <span class="muted" aria-hidden="true">(UTC)</span>' in form.text
    assert "wall-clock times in UTC" in form.text


def _post_override(client, team: Team, covered_by: str, start: str, end: str, zone: str = "UTC"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{team.path}/overrides",
        data={
            "csrf": csrf_of(client, team.path),
            "rotation": team.rotation_id,
            "covered_by": covered_by,
            "start": start,
            "end": end,
            "zone": zone,
            "view": "week",
            "date": "",
        },
    )


def test_an_override_is_created_shown_and_deleted(server: Server, contacts, admin: str) -> None:
    team = make_team(contacts)
    client = signed_in(server.endpoint, admin)
    future = shifts_from_now(contacts, team.rotation_arn)[2]
    holder = future["ContactIds"][0]
    cover = next(p for p in team.people if p != holder)
    start = future["StartTime"] + datetime.timedelta(hours=2)
    end = start + datetime.timedelta(hours=4)

    answer = _post_override(client, team, cover, f"{start:%Y-%m-%dT%H:%M}", f"{end:%Y-%m-%dT%H:%M}")

    assert answer.status_code == 303, answer.text
    overrides = contacts.list_rotation_overrides(
        RotationId=team.rotation_arn, StartTime=start - datetime.timedelta(days=1), EndTime=end
    )["RotationOverrides"]
    assert [(o["NewContactIds"], o["StartTime"], o["EndTime"]) for o in overrides] == [([cover], start, end)]
    shifts = contacts.list_rotation_shifts(RotationId=team.rotation_arn, StartTime=start, EndTime=end)
    assert [(s["Type"], s["ContactIds"]) for s in shifts["RotationShifts"]] == [("OVERRIDDEN", [cover])]
    page = client.get(answer.headers["location"])
    cell = page.text.split(f'data-day="{start:%Y-%m-%d}"')[1].split("</td>")[0]
    assert "overridden" in cell and "override</span>" in cell
    assert label(team, cover).split(" (")[0] in cell
    override_id = overrides[0]["RotationOverrideId"]
    delete_path = f"{team.path}/overrides/{team.rotation_id}/{override_id}/delete"
    assert delete_path in page.text and "Delete override" in page.text

    deleted = client.post(delete_path, data={"csrf": csrf_of(client, team.path), "view": "week", "zone": "UTC"})

    assert deleted.status_code == 303
    assert (
        contacts.list_rotation_overrides(
            RotationId=team.rotation_arn, StartTime=start - datetime.timedelta(days=1), EndTime=end
        )["RotationOverrides"]
        == []
    )


def test_an_override_the_api_refuses_shows_its_message_and_changes_nothing(
    server: Server, contacts, admin: str
) -> None:
    team = make_team(contacts)
    outsider = contacts.create_contact(Alias="kofi", DisplayName="Kofi", Type="PERSONAL", Plan={"Stages": []})
    client = signed_in(server.endpoint, admin)
    start = datetime.datetime.fromtimestamp(time.time() + 3 * DAY, datetime.UTC)

    short = _post_override(client, team, team.people[0], f"{start:%Y-%m-%dT%H:%M}", f"{start:%Y-%m-%dT%H:%M}")
    stranger = _post_override(
        client,
        team,
        outsider["ContactArn"],
        f"{start:%Y-%m-%dT%H:%M}",
        f"{start + datetime.timedelta(hours=2):%Y-%m-%dT%H:%M}",
    )

    assert short.status_code == 400 and "at least 30 minutes" in short.text
    assert stranger.status_code == 400 and "is not a member of the rotation" in stranger.text
    assert 'role="alert"' in stranger.text and ">Create override</button>" in stranger.text
    assert (
        contacts.list_rotation_overrides(
            RotationId=team.rotation_arn,
            StartTime=start - datetime.timedelta(days=1),
            EndTime=start + datetime.timedelta(days=1),
        )["RotationOverrides"]
        == []
    )


def test_a_viewer_can_neither_open_nor_post_an_override(server: Server, contacts, viewer: str) -> None:
    team = make_team(contacts)
    client = signed_in(server.endpoint, viewer)
    page = client.get(team.path)
    assert page.status_code == 200 and "override=" not in page.text and "Edit schedule" not in page.text
    start = datetime.datetime.fromtimestamp(time.time() + 3 * DAY, datetime.UTC)

    answer = _post_override(
        client,
        team,
        team.people[0],
        f"{start:%Y-%m-%dT%H:%M}",
        f"{start + datetime.timedelta(hours=2):%Y-%m-%dT%H:%M}",
    )

    assert answer.status_code == 403
    assert (
        contacts.list_rotation_overrides(
            RotationId=team.rotation_arn,
            StartTime=start - datetime.timedelta(days=1),
            EndTime=start + datetime.timedelta(days=1),
        )["RotationOverrides"]
        == []
    )


def test_an_override_is_in_the_zone_the_page_shows(server: Server, contacts, admin: str) -> None:
    team = make_team(contacts)
    client = signed_in(server.endpoint, admin)
    tomorrow = datetime.date.today() + datetime.timedelta(days=3)

    answer = _post_override(client, team, team.people[1], f"{tomorrow}T10:00", f"{tomorrow}T12:00", zone="Asia/Kolkata")

    assert answer.status_code == 303
    listed = contacts.list_rotation_overrides(
        RotationId=team.rotation_arn,
        StartTime=datetime.datetime.combine(tomorrow, datetime.time(), datetime.UTC) - datetime.timedelta(days=1),
        EndTime=datetime.datetime.combine(tomorrow, datetime.time(), datetime.UTC) + datetime.timedelta(days=2),
    )["RotationOverrides"]
    assert [o["StartTime"] for o in listed] == [datetime.datetime.combine(tomorrow, datetime.time(4, 30), datetime.UTC)]
