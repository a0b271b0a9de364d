"""The whole on-call walk in headless Chromium, as a rota's owner would take it: a rotation of three made with the
form, a schedule around it, who is on call now and next as ListRotationShifts says, an override made by clicking a
shift and seen in the calendar, the API and the schedule's calendar feed, parsed with icalendar event for event.

The month view it ends on is saved as docs/console-schedule.png, the README's picture of a schedule."""

# ruff: noqa: F811  (fixtures imported from the other browser test modules are test arguments here)
from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from browser_support import Browsing, sign_in
from icalendar import Calendar
from playwright.sync_api import expect
from test_rotation_form_browser import PEOPLE, people  # noqa: F401 (a fixture)

from support import Server

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "console-schedule.png"
BERLIN = ZoneInfo("Europe/Berlin")
UTC = datetime.UTC


def _shifts(contacts: Any, rotation_arn: str, start: datetime.datetime, days: int) -> list[dict[str, Any]]:
    """Every shift ListRotationShifts lists from `start` for `days` days."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "RotationId": rotation_arn,
        "StartTime": start,
        "EndTime": start + datetime.timedelta(days=days),
        "MaxResults": 1024,
    }
    while True:
        answer = contacts.list_rotation_shifts(**params)
        found += answer["RotationShifts"]
        if not answer.get("NextToken"):
            return found
        params["NextToken"] = answer["NextToken"]


def test_a_rota_from_form_to_calendar_feed(
    server: Server, admin: str, contacts: Any, people: list[str], browsing: Browsing
) -> None:
    names = {arn: display for arn, (_, display) in zip(people, PEOPLE, strict=True)}
    page = browsing.page(timezone_id="America/New_York", viewport={"width": 1280, "height": 900})
    sign_in(page, server.endpoint, admin)
    on_call = page.get_by_role("navigation", name="Main").get_by_role("link", name="On call")

    # A rotation of three with daily 09:00 hand-offs in Berlin, begun two days ago.
    on_call.click()
    page.get_by_role("link", name="New rotation").click()
    page.get_by_label("Name").fill("Payments primary")
    for _, display in PEOPLE:
        page.get_by_label("Add member").select_option(label=display)
        page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("group", name="Members").get_by_role("listitem")).to_have_count(3)
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    begun = datetime.datetime.now(BERLIN).replace(hour=9, minute=0, second=0, microsecond=0) - datetime.timedelta(
        days=2
    )
    page.get_by_label("Start").fill(f"{begun:%Y-%m-%dT%H:%M}")
    page.get_by_label("Daily").check()
    page.get_by_role("button", name="Create rotation").click()
    expect(page.get_by_role("heading", level=1, name="Rotation Payments primary")).to_be_visible()
    rotation = contacts.list_rotations()["Rotations"][0]
    assert rotation["ContactIds"] == people and rotation["TimeZoneId"] == "Europe/Berlin"

    # A schedule around it.
    on_call.click()
    page.get_by_role("link", name="New schedule").click()
    page.get_by_label("Alias").fill("payments")
    page.get_by_label("Display name").fill("Payments")
    page.get_by_label("Add rotation").select_option(label="Payments primary")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_role("heading", level=1, name="Payments")).to_be_visible()

    # Who is on call now and next, on the On call page and the schedule's: what ListRotationShifts says.
    now = datetime.datetime.now(UTC)
    current, coming = _shifts(contacts, rotation["RotationArn"], now, 3)[:2]
    on_call.click()
    page.get_by_role("link", name="Payments", exact=True).click()
    now_next = page.locator(".now-next")
    expect(now_next).to_contain_text(f"On call now {names[current['ContactIds'][0]]}")
    expect(now_next).to_contain_text(f"Next {names[coming['ContactIds'][0]]}")

    # An override of the day after tomorrow's shift, made by clicking it in the week it falls in.
    target = _shifts(contacts, rotation["RotationArn"], now, 4)[2]
    start = int(target["StartTime"].timestamp())
    page.goto(
        f"{server.endpoint}/console/on-call/schedules/payments?view=week&zone=UTC&start={target['StartTime']:%Y-%m-%d}"
    )
    rotation_id = rotation["RotationArn"].rsplit("/", 1)[-1]
    page.locator(f'tr[data-rotation="{rotation_id}"] a[href*="from={start}&"]').click()
    cover = next(arn for arn in people if arn not in target["ContactIds"])
    page.get_by_label("Covered by").select_option(cover)
    page.get_by_role("button", name="Create override").click()
    day = page.locator(f'tr[data-rotation="{rotation_id}"] td[data-day="{target["StartTime"]:%Y-%m-%d}"]')
    expect(day.locator(".overridden").first).to_contain_text("override")
    overridden = [s for s in _shifts(contacts, rotation["RotationArn"], now, 30) if s["Type"] == "OVERRIDDEN"]
    assert [(s["ContactIds"], s["StartTime"], s["EndTime"]) for s in overridden] == [
        ([cover], target["StartTime"], target["EndTime"])
    ]

    # The schedule's calendar feed, subscribed to as a calendar app does: every event is a listed shift.
    page.get_by_role("link", name="Calendar feed", exact=True).first.click()
    page.get_by_role("button", name="Create calendar feed").click()
    links = page.get_by_role("link", name="Calendar feed", exact=True)
    https = next(
        href for href in (links.nth(i).get_attribute("href") or "" for i in range(2)) if href.startswith("http")
    )
    feed = Calendar.from_ical(httpx.get(https, timeout=30).content)
    events = {
        (e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"]).rsplit(": ", 1)[1]) for e in feed.walk("VEVENT")
    }
    # The feed's window runs from UTC midnight 32 days back to UTC midnight 91 days ahead, less ended shifts.
    fetched_at = datetime.datetime.now(UTC)
    midnight = fetched_at.replace(hour=0, minute=0, second=0, microsecond=0)
    listed = {
        (s["StartTime"], s["EndTime"], ", ".join(names[arn] for arn in s["ContactIds"]))
        for s in _shifts(contacts, rotation["RotationArn"], midnight - datetime.timedelta(days=32), 32 + 91)
        if s["EndTime"] > fetched_at
    }
    assert events == listed
    assert (target["StartTime"], target["EndTime"], names[cover]) in events

    # The month, as docs/console.md shows it.
    page.goto(f"{server.endpoint}/console/on-call/schedules/payments?view=month&zone=Europe/Berlin")
    expect(page.locator("[data-shown-zone]")).to_have_text("Europe/Berlin")
    page.screenshot(path=str(SCREENSHOT), full_page=False)
