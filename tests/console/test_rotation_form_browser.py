"""Making a rotation in headless Chromium as a person does: members added and ordered with the keyboard, the preview
following the fields without a submit, the saved rotation in the API; axe-core on the rotation and schedule forms."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from browser_support import Browsing, sign_in, violations_in
from playwright.sync_api import Page, expect

from support import Server

PEOPLE = (("ama", "Ama Owusu"), ("yaw", "Yaw Mensah"), ("kofi", "Kofi Boateng"))


@pytest.fixture
def people(contacts) -> list[str]:  # type: ignore[no-untyped-def]
    """Three personal contacts; their ARNs."""
    return [
        contacts.create_contact(Alias=alias, DisplayName=name, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        for alias, name in PEOPLE
    ]


def preview_rows(page: Page) -> list[str]:
    """The preview's rows as text."""
    return page.locator("#rotation-preview tbody tr").all_inner_texts()


def test_create_a_rotation_of_three_with_a_live_preview(
    server: Server, admin: str, contacts, people: list[str], browsing: Browsing
) -> None:
    page = browsing.page(timezone_id="America/Los_Angeles")
    sign_in(page, server.endpoint, admin)
    page.goto(f"{server.endpoint}/console/on-call/new-rotation")
    page.evaluate("window.loadedOnce = true")  # gone if the page is loaded again
    page.get_by_label("Name").fill("Payments primary")
    for _, name in PEOPLE:
        page.get_by_label("Add member").select_option(label=name)
        page.get_by_role("button", name="Add", exact=True).click()
    members = page.get_by_role("group", name="Members").get_by_role("listitem")
    expect(members).to_have_count(3)
    # Kofi to the top, by keyboard: the focus stays on his Up button as he moves.
    page.get_by_role("button", name="Up Kofi Boateng").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(members.first).to_contain_text("Kofi Boateng")
    expect(page.get_by_role("button", name="Up Kofi Boateng")).to_be_focused()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Start").fill("2030-03-25T09:00")
    page.get_by_label("Daily").check()
    # The preview answers each change in turn: wait for the answer to the last one (daily from the start).
    expect(page.locator("#rotation-preview tbody tr").first).to_contain_text("Mon 25 Mar, 09:00 CET")
    expect(page.locator("#rotation-preview tbody tr").first).to_contain_text("Tue 26 Mar, 09:00 CET")
    expect(page.locator("#rotation-preview tbody tr").first).to_contain_text("Kofi Boateng")
    daily = preview_rows(page)
    assert "Mon 25 Mar, 09:00 CET" in daily[0] and "Tue 26 Mar, 09:00 CET" in daily[0]
    # Across the change to summer time, hand-offs stay at 09:00 on the wall clock.
    assert any("Sun 31 Mar, 09:00 CEST" in row for row in daily)

    page.get_by_label("Shift length").fill("2")
    expect(page.locator("#rotation-preview tbody tr").first).to_contain_text("Wed 27 Mar, 09:00")
    page.get_by_role("group", name="Hand-off 1").get_by_label("Time").fill("07:30")
    expect(page.locator("#rotation-preview tbody tr").first).to_contain_text("Wed 27 Mar, 07:30")
    assert page.evaluate("window.loadedOnce") is True  # no submit, no reload

    page.get_by_role("button", name="Create rotation").click()
    expect(page.get_by_role("heading", level=1, name="Rotation Payments primary")).to_be_visible()
    arn = contacts.list_rotations()["Rotations"][0]["RotationArn"]
    assert page.url.endswith(f"/console/on-call/rotations/{arn.rsplit('/', 1)[-1]}")
    rotation = contacts.get_rotation(RotationId=arn)
    assert rotation["ContactIds"] == [people[2], people[0], people[1]]
    assert rotation["TimeZoneId"] == "Europe/Berlin"
    assert rotation["StartTime"] == datetime(2030, 3, 25, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert rotation["Recurrence"]["DailySettings"] == [{"HourOfDay": 7, "MinuteOfHour": 30}]
    assert rotation["Recurrence"]["RecurrenceMultiplier"] == 2


def test_the_forms_have_no_axe_violations_and_work_by_keyboard(
    server: Server, admin: str, contacts, people: list[str], browsing: Browsing
) -> None:
    contacts.create_rotation(
        Name="Day",
        ContactIds=people,
        TimeZoneId="UTC",
        Recurrence={
            "WeeklySettings": [{"DayOfWeek": "MON", "HandOffTime": {"HourOfDay": 9, "MinuteOfHour": 0}}],
            "NumberOfOnCalls": 1,
            "RecurrenceMultiplier": 1,
        },
    )
    page = browsing.page()
    sign_in(page, server.endpoint, admin)
    for path in ("/console/on-call/new-rotation", "/console/on-call/new-schedule"):
        page.goto(f"{server.endpoint}{path}")
        for scheme in ("light", "dark"):
            assert violations_in(page, scheme) == [], (path, scheme)
    # A filled rotation form (members, a preview) in both schemes too.
    rotation_id = contacts.list_rotations()["Rotations"][0]["RotationArn"].rsplit("/", 1)[-1]
    page.goto(f"{server.endpoint}/console/on-call/rotations/{rotation_id}")
    expect(page.locator("#rotation-preview tbody tr").first).to_be_visible()
    for scheme in ("light", "dark"):
        assert violations_in(page, scheme) == [], scheme

    # The schedule form by keyboard alone: type, choose a rotation, add it, save.
    page.goto(f"{server.endpoint}/console/on-call/new-schedule")
    page.get_by_label("Alias").focus()
    page.keyboard.type("payments")
    page.keyboard.press("Tab")
    page.keyboard.type("Payments")
    expect(page.get_by_label("Display name")).to_be_focused()
    page.get_by_label("Add rotation").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Rotations").get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("button", name="Remove Day")).to_be_visible()
    page.get_by_label("Display name").focus()
    page.keyboard.press("Enter")  # Enter in a field saves, as the default button
    expect(page).to_have_url(f"{server.endpoint}/console/on-call/schedules/payments")
    arn = contacts.list_contacts(Type="ONCALL_SCHEDULE")["Contacts"][0]["ContactArn"]
    assert contacts.get_contact(ContactId=arn)["Plan"]["RotationIds"] == [
        contacts.list_rotations()["Rotations"][0]["RotationArn"]
    ]
