"""The on-call pages in headless Chromium: an override made by clicking a shift, the keyboard, the chosen zone
over the browser's, and axe-core in light and dark."""

from __future__ import annotations

import datetime
import re

import pytest
from browser_support import Browsing, sign_in, violations_in
from playwright.sync_api import expect
from test_calendar_dst import dst_schedule
from test_on_call import label, make_team, shifts_from_now

from support import Server


def test_an_override_made_by_clicking_a_shift_shows_in_the_calendar_and_the_api(
    server: Server, contacts, admin: str, browsing: Browsing
) -> None:
    team = make_team(contacts)
    page = browsing.page()
    sign_in(page, server.endpoint, admin)
    page.get_by_role("link", name="On call", exact=True).click()
    page.get_by_role("link", name="Checkout on call", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Checkout on call")).to_be_visible()
    shifts = shifts_from_now(contacts, team.rotation_arn)
    expect(page.locator(".now-next")).to_contain_text(f"On call now {label(team, shifts[0]['ContactIds'][0])}")
    expect(page.locator(".now-next")).to_contain_text(f"Next {label(team, shifts[1]['ContactIds'][0])}")
    future = shifts[2]
    page.goto(f"{server.endpoint}{team.path}?view=week&zone=UTC&start={future['StartTime']:%Y-%m-%d}")
    start = int(future["StartTime"].timestamp())
    page.locator(f'tr[data-rotation="{team.rotation_id}"] a[href*="from={start}&"]').click()
    expect(page.get_by_label("Start")).to_have_value(f"{future['StartTime']:%Y-%m-%dT%H:%M}")
    expect(page.get_by_label("End")).to_have_value(f"{future['EndTime']:%Y-%m-%dT%H:%M}")
    cover = next(p for p in team.people if p != future["ContactIds"][0])
    page.get_by_label("Covered by").select_option(cover)
    page.get_by_role("button", name="Create override").click()

    expect(page.get_by_role("button", name="Delete override")).to_be_visible()
    cell = page.locator(f'tr[data-rotation="{team.rotation_id}"] td[data-day="{future["StartTime"]:%Y-%m-%d}"]')
    expect(cell.locator(".overridden").first).to_contain_text("override")
    listed = contacts.list_rotation_overrides(
        RotationId=team.rotation_arn, StartTime=future["StartTime"], EndTime=future["EndTime"]
    )["RotationOverrides"]
    assert [(o["NewContactIds"], o["StartTime"], o["EndTime"]) for o in listed] == [
        ([cover], future["StartTime"], future["EndTime"])
    ]
    now_shifts = contacts.list_rotation_shifts(
        RotationId=team.rotation_arn, StartTime=future["StartTime"], EndTime=future["EndTime"]
    )["RotationShifts"]
    assert [(s["Type"], s["ContactIds"]) for s in now_shifts] == [("OVERRIDDEN", [cover])]

    page.get_by_role("button", name="Delete override").click()
    expect(page.get_by_text("No overrides in these weeks.")).to_be_visible()


def test_tab_reaches_a_shift_and_enter_opens_the_override_form(
    server: Server, contacts, admin: str, browsing: Browsing
) -> None:
    team = make_team(contacts)
    page = browsing.page()
    sign_in(page, server.endpoint, admin)
    page.goto(f"{server.endpoint}{team.path}?view=week")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('shift')"):
            break
    else:
        pytest.fail("Tab never reached a shift")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Covered by")).to_be_focused()
    expect(page.get_by_role("button", name="Create override")).to_be_visible()


def test_the_calendar_shows_the_chosen_zone_not_the_browser_s(
    server: Server, contacts, admin: str, browsing: Browsing
) -> None:
    alias, rotation_id = dst_schedule(contacts, "Europe/Berlin")
    page = browsing.page(timezone_id="Asia/Kolkata")
    sign_in(page, server.endpoint, admin)
    path = f"{server.endpoint}/console/on-call/schedules/{alias}?view=month&start=2027-03-01"
    page.goto(path)
    # Nobody chose a zone yet: the browser's own is shown (Chromium names it by its older name).
    expect(page.locator("[data-shown-zone]")).to_have_text(re.compile(r"Asia/(Kolkata|Calcutta)"))
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("[data-shown-zone]")).to_have_text("Europe/Berlin")
    row = page.locator(f'tr[data-rotation="{rotation_id}"] [data-handoff]')
    assert set(row.all_inner_texts()) == {"09:00"} and row.count() >= 31
    page.get_by_label("Time zone").select_option("UTC")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-shown-zone]")).to_have_text("UTC")
    times = [
        page.locator(f'tr[data-rotation="{rotation_id}"] td[data-day="2027-03-{day}"] [data-handoff]').inner_text()
        for day in ("27", "28")
    ]
    assert times == ["08:00", "07:00"]
    own = page.locator(f'tr[data-rotation="{rotation_id}"] td[data-day="2027-03-28"] .own-zone').inner_text()
    assert re.fullmatch(r"\(09:00 CEST\)", own), own


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_on_call_pages(
    server: Server, contacts, admin: str, browsing: Browsing, scheme: str
) -> None:
    team = make_team(contacts)
    future = shifts_from_now(contacts, team.rotation_arn)[2]
    start = future["StartTime"] + datetime.timedelta(hours=1)
    contacts.create_rotation_override(
        RotationId=team.rotation_arn,
        NewContactIds=[team.people[0]],
        StartTime=start,
        EndTime=start + datetime.timedelta(hours=3),
    )
    page = browsing.page(color_scheme=scheme)
    sign_in(page, server.endpoint, admin)
    found = {}
    page.goto(f"{server.endpoint}/console/on-call")
    found["on call"] = violations_in(page, scheme)
    for view in ("week", "month"):
        page.goto(f"{server.endpoint}{team.path}?view={view}&start={start:%Y-%m-%d}")
        found[view] = violations_in(page, scheme)
    page.locator("a.shift").first.click()
    expect(page.get_by_label("Covered by")).to_be_visible()
    found["override form"] = violations_in(page, scheme)
    assert found == {name: [] for name in found}
