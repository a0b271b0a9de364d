"""A person's walk through the console in headless Chromium: the list refreshing itself, notes, acknowledging a page
with its mailed code, resolving, signing out, a viewer's page, a phone's width, no JavaScript, the keyboard, and
axe-core on every page in light and dark. Every page any test opens must report no error (CSP violations included).

Locators are the accessible names (roles and labels) a person or a screen reader meets: they are the interface.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from browser_support import (
    LIGHT_BACKGROUND,
    PHONE,
    Browsing,
    console_path,
    horizontal_overflow,
    notes_of,
    serious_violations,
    sign_in,
    violations_in,
)
from console_support import PASSWORD, add_user
from playwright.sync_api import Page, expect

from mailsink import MailSink
from paging.paging_support import address_of, mailing_server, onboard, person_with_email
from support import Account, Server, wait_until

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "console-incident.png"
TABS = ("Overview", "Timeline", "Engagements", "Runbook", "Related items", "Properties")
# The list asks for its rows every 10 s: a new incident shows within that, plus the request's time.
REFRESH_MS = 15_000


@pytest.fixture(scope="module")
def paging_server(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that pages by e-mail through the sink, on a database of its own (the shared server's worker has no
    SMTP and would take the pages)."""
    running = mailing_server(own_database, tmp_path_factory.mktemp("console-paging"), sink).start()
    yield running
    running.stop()


def start(incidents, plan_arn: str, title: str) -> str:  # type: ignore[no-untyped-def]
    """StartIncident through the API; the incident's ARN."""
    return str(incidents.start_incident(responsePlanArn=plan_arn, title=title)["incidentRecordArn"])


def open_incident(page: Page, title: str) -> None:
    """From the list, open the incident by its link, as a person does."""
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def open_tab(page: Page, name: str) -> None:
    """Open one of the incident page's tabs."""
    page.get_by_role("navigation", name="Incident sections").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("region", name=name)).to_be_visible()


def add_note(page: Page, text: str) -> None:
    """Write a note and add it; wait until the page shows it."""
    page.get_by_label("Note", exact=True).fill(text)
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("listitem").filter(has_text=text).first).to_be_visible()


# 1. The list refreshes itself.


def test_an_incident_started_through_the_api_appears_in_the_list_without_a_reload(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    page = browsing.page()
    sign_in(page, server.endpoint, responder)
    title = "Checkout latency above 2 s"
    expect(page.get_by_role("cell", name="No incidents match.")).to_be_visible()
    page.evaluate("window.loadedOnce = true")  # gone if the page is loaded again

    start(incidents, response_plan, title)

    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible(timeout=REFRESH_MS)
    assert page.evaluate("window.loadedOnce") is True
    expect(page.get_by_role("cell", name="No incidents match.")).to_have_count(0)


# 2. A note is a timeline event that names its author.


def test_a_note_added_on_the_incident_page_is_a_timeline_event_naming_who_wrote_it(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    arn = start(incidents, response_plan, "Search returns stale results")
    page = browsing.page()
    sign_in(page, server.endpoint, responder)
    open_incident(page, "Search returns stale results")
    text = "Index rebuild started on search-7; ETA 20 min"

    add_note(page, text)

    assert page.url.startswith(f"{server.endpoint}{console_path(arn)}")
    author = f"arn:aws:iam::{account.account_id}:user/{responder}"
    assert notes_of(incidents, arn) == [{"content": text, "author": author}]
    expect(page.get_by_role("listitem").filter(has_text=text)).to_contain_text(f"— {responder}")


# 3 and 11. A page mailed for the incident, acknowledged with its code; the screenshot of the README.


def test_a_page_is_acknowledged_with_its_mailed_code_and_the_engagements_tab_shows_its_receipts(
    paging_server: Server, sink: MailSink, account: Account, browsing: Browsing
) -> None:
    onboard(paging_server, account)
    contacts = paging_server.client(account, "ssm-contacts")
    incidents = paging_server.client(account)
    contact, _ = person_with_email(contacts, sink, "kofi", account)
    plan = incidents.create_response_plan(
        name="payments",
        incidentTemplate={"title": "Payments degraded", "impact": 2, "summary": "Card auth latency above 5 s"},
        engagements=[contact],
    )["arn"]
    # A person's name for the README's picture: this database is the module's own, and this test its only user.
    responder = add_user(paging_server.database_url, account.account_id, "responder", name="akosua")
    arn = start(incidents, plan, "Card payments failing in eu-west-1")
    (_, page_mail) = sink.wait_for_mail(address_of("kofi", account), count=2)
    (engagement,) = contacts.list_engagements(IncidentId=arn)["Engagements"]
    code = page_mail.code()

    page = browsing.page()
    sign_in(page, paging_server.endpoint, responder)
    open_incident(page, "Card payments failing in eu-west-1")
    wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
    page.get_by_label("Accept code").fill(wrong)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("alert")).to_contain_text("matches no page of this incident")
    expect(page.get_by_label("Accept code")).to_have_attribute("aria-invalid", "true")
    browsing.expect_error("/acknowledge: Failed to load resource: the server responded with a status of 400")
    assert serious_violations(page) == []  # a refused form, with its message beside the field
    assert "StopTime" not in contacts.describe_engagement(EngagementId=engagement["EngagementArn"])

    page.get_by_label("Accept code").fill(code)
    page.get_by_role("button", name="Acknowledge").click()

    expect(page.get_by_role("alert")).to_have_count(0)
    wait_until(lambda: "StopTime" in contacts.describe_engagement(EngagementId=engagement["EngagementArn"]))
    open_tab(page, "Engagements")
    expect(page.get_by_text("stopped", exact=False)).to_be_visible()
    pages = page.get_by_role("table", name="Pages of kofi")
    (row,) = pages.get_by_role("row").filter(has=page.get_by_role("cell", name="kofi", exact=True)).all()
    expect(row.get_by_text("sent", exact=True)).to_be_visible()
    expect(row.get_by_text("read", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="not yet")).to_have_count(0)  # the Acknowledged column has its time
    assert violations_in(page, "dark") == []
    assert violations_in(page, "light") == []

    # The README's picture: the incident's overview with a few notes and the page that went out.
    open_tab(page, "Overview")
    add_note(page, "Card authorisations time out at the acquirer; failing over to the secondary gateway.")
    add_note(page, "Failover done. Auth latency back under 400 ms; watching it for 15 minutes.")
    add_note(page, "Acquirer confirms a network incident on their side; status page updated.")
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


# 4. Resolving, signing out, and what a signed-out browser gets.


def test_resolving_shows_resolved_and_signing_out_sends_every_page_to_sign_in(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    arn = start(incidents, response_plan, "Disk full on db-3")
    page = browsing.page()
    sign_in(page, server.endpoint, responder)
    open_incident(page, "Disk full on db-3")
    expect(page.get_by_text("Open", exact=True)).to_be_visible()

    page.get_by_role("button", name="Resolve").click()

    expect(page.get_by_text("Resolved", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.url == f"{server.endpoint}/console/sign-in"
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto(f"{server.endpoint}{console_path(arn)}")
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.url.startswith(f"{server.endpoint}/console/sign-in?next=")
    page.get_by_label("Username").fill(responder)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Disk full on db-3")  # back where it was going


# 5. A viewer reads and does nothing else.


def test_a_viewer_sees_the_incident_without_its_actions(
    server: Server, account: Account, viewer: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    start(incidents, response_plan, "Queue backlog on billing")
    page = browsing.page()
    sign_in(page, server.endpoint, viewer)
    expect(page.get_by_role("link", name="Start incident")).to_have_count(0)
    open_incident(page, "Queue backlog on billing")
    expect(page.get_by_text("Open", exact=True)).to_be_visible()

    for tab in ("Overview", "Timeline", "Engagements"):
        open_tab(page, tab)
        for button in ("Resolve", "Add note", "Acknowledge"):
            expect(page.get_by_role("button", name=button)).to_have_count(0)
        expect(page.get_by_label("Note", exact=True)).to_have_count(0)
        expect(page.get_by_label("Accept code")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


# 6. A phone's width.


def test_the_incident_page_fits_a_phone_without_scrolling_sideways(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    title = "Elevated 5xx from api-gateway in us-east-1 after the 14:00 deploy"
    arn = start(incidents, response_plan, title)
    incidents.update_related_items(
        incidentRecordArn=arn,
        relatedItemsUpdate={
            "itemToAdd": {
                "identifier": {"type": "OTHER", "value": {"url": "https://dashboards.example.com/d/api-gateway-5xx?"}},
                "title": "5xx dashboard",
            }
        },
    )
    page = browsing.page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)
    sign_in(page, server.endpoint, responder)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"] + 1, "the list"
    open_incident(page, title)
    add_note(page, "Logs: https://logs.example.com/search?query=status%3E%3D500%20service%3Dapi-gateway&from=now-1h")

    for name in ("Resolve", "Add note", "Acknowledge", "Sign out"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
    for tab in TABS:
        open_tab(page, tab)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (tab, width, horizontal_overflow(page))


# 7. Without JavaScript, every action is a plain form post.


def test_without_javascript_signing_in_adding_a_note_and_resolving_still_work(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    arn = start(incidents, response_plan, "Login page blank in Safari")
    page = browsing.page(java_script_enabled=False)
    sign_in(page, server.endpoint, responder)
    open_incident(page, "Login page blank in Safari")
    # The page's script would show times in the browser's format; without it they stay as the server wrote them.
    expect(page.locator("time").first).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))

    add_note(page, "Reproduced on Safari 17.4 only")
    page.get_by_role("button", name="Resolve").click()

    expect(page.get_by_text("Resolved", exact=True)).to_be_visible()
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"
    assert [note["content"] for note in notes_of(incidents, arn)] == ["Reproduced on Safari 17.4 only"]


# 8. The keyboard.


def test_the_list_answers_j_k_enter_question_mark_and_slash(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    start(incidents, response_plan, "Older incident")
    start(incidents, response_plan, "Newer incident")
    page = browsing.page()
    sign_in(page, server.endpoint, responder)
    links = page.get_by_role("table", name="Incidents").get_by_role("link")
    expect(links).to_have_text(["Newer incident", "Older incident"])

    page.keyboard.press("j")
    expect(links.first).to_be_focused()
    page.keyboard.press("j")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(links.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Newer incident")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")

    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search titles")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the slash only moved the focus
    page.keyboard.type("jk")  # in a field, letters are text, not shortcuts
    expect(search).to_have_value("jk")


# 10. axe-core on every page, light and dark.


def _runbook_plan(server: Server, account: Account, incidents, user: str) -> str:  # type: ignore[no-untyped-def]
    """A response plan whose runbook waits for the user's approval; its ARN."""
    ssm = server.client(account, "ssm")
    me = f"arn:aws:iam::{account.account_id}:user/{user}"
    steps = [
        {"name": "Triage", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
        {
            "name": "ApproveRollback",
            "action": "aws:approve",
            "inputs": {"Approvers": [me], "MinRequiredApprovals": 1, "Message": "Roll back the deploy?"},
        },
    ]
    content = yaml.safe_dump({"schemaVersion": "0.3", "mainSteps": steps}, sort_keys=False)
    ssm.create_document(Name="rollback", Content=content, DocumentType="Automation", DocumentFormat="YAML")
    action = {
        "documentName": "rollback",
        "roleArn": f"arn:aws:iam::{account.account_id}:role/IncidentRunbooks",
        "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
        "documentVersion": "$LATEST",
    }
    return str(
        incidents.create_response_plan(
            name="deploys",
            displayName="Bad deploys",
            incidentTemplate={"title": "Deploy broke checkout", "impact": 1, "summary": "Error rate 30 % after deploy"},
            actions=[{"ssmAutomation": action}],
        )["arn"]
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_any_page(
    server: Server,
    account: Account,
    responder: str,
    incidents,
    response_plan: str,
    browsing: Browsing,
    scheme: str,
) -> None:
    plan = _runbook_plan(server, account, incidents, responder)
    arn = start(incidents, plan, "Checkout returns 502 after the 14:00 deploy")
    wait_until(lambda: incidents.get_incident_record(arn=arn)["incidentRecord"].get("automationExecutions"))
    incidents.update_related_items(
        incidentRecordArn=arn,
        relatedItemsUpdate={
            "itemToAdd": {
                "identifier": {"type": "OTHER", "value": {"url": "https://status.example.com/"}},
                "title": "Status page",
            }
        },
    )
    incidents.tag_resource(resourceArn=arn, tags={"team": "checkout"})
    contacts = server.client(account, "ssm-contacts")
    people = [
        contacts.create_contact(Alias=alias, DisplayName=name, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        for alias, name in (("ama", "Ama Owusu"), ("yaw", "Yaw Mensah"))
    ]
    contacts.create_rotation(
        Name="Checkout primary",
        ContactIds=people,
        TimeZoneId="UTC",
        Recurrence={
            "DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}],
            "NumberOfOnCalls": 1,
            "RecurrenceMultiplier": 1,
        },
    )
    page = browsing.page(color_scheme=scheme)
    checked: dict[str, list[str]] = {}

    def check(name: str) -> None:
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == LIGHT_BACKGROUND) == (scheme == "light"), (name, background)
        if name != "sign-in":
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # on every page
        checked[name] = serious_violations(page)

    page.goto(f"{server.endpoint}/console/sign-in")
    check("sign-in")
    sign_in(page, server.endpoint, responder)
    check("incident list")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    check("shortcuts dialog")
    page.keyboard.press("Escape")
    page.get_by_role("link", name="Start incident").click()
    expect(page.get_by_role("heading", level=1, name="Start incident")).to_be_visible()
    check("start incident")
    page.get_by_role("link", name="Incidents", exact=True).click()
    open_incident(page, "Checkout returns 502 after the 14:00 deploy")
    add_note(page, "Rolling back to 2024.06.1")
    shows = {  # what each tab must show before axe looks at it
        "Overview": page.get_by_text("waiting at ApproveRollback"),
        "Timeline": page.get_by_role("combobox", name="Event type"),
        "Engagements": page.get_by_role("combobox", name="Contact"),
        "Runbook": page.get_by_role("button", name="Approve"),
        "Related items": page.get_by_role("link", name="https://status.example.com/"),
        "Properties": page.get_by_text("team = checkout"),
    }
    for tab, content in shows.items():
        open_tab(page, tab)
        expect(content).to_be_visible()
        check(f"incident: {tab}")
    open_tab(page, "Timeline")
    page.get_by_text("Change the event of").first.click()
    expect(page.get_by_label("New text").first).to_be_visible()
    check("incident: timeline with a note's form open")
    page.get_by_role("link", name="Response plans", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Response plans")).to_be_visible()
    check("response plans")
    page.get_by_role("link", name="deploys", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Bad deploys")).to_be_visible()
    check("one response plan")
    page.get_by_role("link", name="On call", exact=True).click()
    expect(page.get_by_role("cell", name="Checkout primary", exact=False)).to_be_visible()
    check("on call")
    page.get_by_role("link", name=responder, exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Preferences")).to_be_visible()
    check("preferences")

    found = {name: violations for name, violations in checked.items() if violations}
    assert found == {}, "\n".join(f"{name}:\n  " + "\n  ".join(v) for name, v in found.items())


# Bugs found while writing the tests above, now fixed: a note saved unchanged, focus across the refresh, and the
# way back to the list after a session ends during a refresh.


def test_saving_a_note_unchanged_keeps_its_text(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    arn = start(incidents, response_plan, "Cache hit rate falling")
    page = browsing.page()
    sign_in(page, server.endpoint, responder)
    open_incident(page, "Cache hit rate falling")
    add_note(page, "Hit rate down to 40 % on cache-2")
    open_tab(page, "Timeline")
    page.get_by_text("Change the event of").first.click()

    page.get_by_role("button", name="Save event").first.click()

    expect(page.get_by_role("region", name="Timeline")).to_be_visible()
    assert [note["content"] for note in notes_of(incidents, arn)] == ["Hit rate down to 40 % on cache-2"]


def test_the_list_refresh_keeps_the_keyboard_where_it_was(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    start(incidents, response_plan, "Older incident")
    start(incidents, response_plan, "Newer incident")
    page = browsing.page()
    page.clock.install()  # the refresh comes when the test says, not in 10 s
    sign_in(page, server.endpoint, responder)
    links = page.get_by_role("table", name="Incidents").get_by_role("link")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(links.nth(1)).to_be_focused()

    with page.expect_response(lambda response: "/console/incidents/rows" in response.url):
        page.clock.run_for(10_500)
    page.clock.run_for(1_000)  # htmx settles the swap on a timer

    expect(links.nth(1)).to_be_focused(timeout=2_000)
    page.keyboard.press("k")
    expect(links.first).to_be_focused(timeout=2_000)


def test_a_list_whose_session_ended_goes_to_sign_in_and_comes_back_to_the_list(
    server: Server, account: Account, responder: str, incidents, response_plan: str, browsing: Browsing
) -> None:
    page = browsing.page()
    page.clock.install()
    sign_in(page, server.endpoint, responder)
    elsewhere = page.context.new_page()  # the same person signs out in another tab
    elsewhere.goto(f"{server.endpoint}/console/on-call")
    elsewhere.get_by_role("button", name="Sign out").click()
    expect(elsewhere.get_by_role("button", name="Sign in")).to_be_visible()

    page.clock.run_for(10_500)

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    browsing.forgive("status of 401 (Unauthorized)")  # the refresh's answer, as it should be
    page.get_by_label("Username").fill(responder)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Incidents")).to_be_visible(timeout=2_000)
