"""My shifts and calendar feeds in headless Chromium: the home shows the person's shifts, a schedule's feed is made
from its "new feed" page, its `Calendar feed` link fetches the shifts ListRotationShifts lists, Revoke stops it; and
axe-core finds nothing serious on these pages, in light and dark."""

from __future__ import annotations

import time
from datetime import UTC

import httpx
from browser_support import Browsing, sign_in, violations_in
from console_support import add_user
from icalendar import Calendar
from playwright.sync_api import Page, expect
from test_feeds import as_tuples, events_of, expected_events, listed_shifts, make_rota

from support import Account, Server


def accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation, light or dark."""
    for scheme in ("light", "dark"):
        assert violations_in(page, scheme) == [], (page.url, scheme)


def test_my_shifts_and_a_schedules_calendar_feed(server: Server, account: Account, browsing: Browsing) -> None:
    rota = make_rota(server, account)
    name = add_user(server.database_url, account.account_id, "responder", contact="alice")
    page = browsing.page(timezone_id="Australia/Sydney")
    sign_in(page, server.endpoint, name)

    # The home: the person's next shifts, above the incidents.
    my_shifts = page.get_by_role("region", name="My shifts")
    expect(my_shifts).to_be_visible()
    alices = [
        s for s in listed_shifts(rota.contacts, rota.week, time.time()) if rota.people["alice"] in s["ContactIds"]
    ]
    for number, moment in enumerate((alices[0]["StartTime"], alices[0]["EndTime"])):
        utc = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        expect(my_shifts.locator("time").nth(number)).to_have_attribute("datetime", utc)
    expect(my_shifts.get_by_text("Primary / Week rotation").first).to_be_visible()
    accessible(page)
    my_shifts.get_by_role("link", name="All my shifts").click()
    expect(page.get_by_role("heading", level=1, name="My shifts")).to_be_visible()
    expect(page.get_by_role("table", name="My shifts in the next 90 days")).to_be_visible()
    accessible(page)

    # A schedule's feed: what it will hold, then "Create calendar feed".
    page.goto(f"{server.endpoint}/console/feeds/new?schedule=primary")
    expect(page.get_by_role("heading", level=1, name="New calendar feed")).to_be_visible()
    expect(page.get_by_text("Primary", exact=True)).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="Create calendar feed").click()
    expect(page.get_by_role("heading", level=1, name="Calendar feed created")).to_be_visible()
    links = page.get_by_role("link", name="Calendar feed", exact=True)
    expect(links).to_have_count(2)
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(2)]
    assert hrefs[0].startswith("webcal://") and hrefs[1].startswith("http://")
    assert hrefs[0].split("://", 1)[1] == hrefs[1].split("://", 1)[1]
    accessible(page)

    # Subscribing: a calendar app fetches the https address, and gets what ListRotationShifts lists.
    feed = httpx.get(hrefs[1], timeout=30)
    assert feed.status_code == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert str(Calendar.from_ical(feed.content)["x-wr-calname"]) == "On call: Primary"
    place = {rota.week: "Primary / Week rotation", rota.weekend: "Primary / Weekend rotation"}
    assert as_tuples(events_of(feed.content)) == expected_events(rota, place, time.time())

    # The list of feeds: the address is not shown again; Revoke stops the feed.
    page.get_by_role("link", name="Your calendar feeds").click()
    expect(page.get_by_role("table", name="Your calendar feeds")).to_be_visible()
    assert hrefs[1].rsplit("/", 1)[1] not in page.content()
    accessible(page)
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("You have no calendar feeds.")).to_be_visible()
    assert httpx.get(hrefs[1], timeout=30).status_code == 404
