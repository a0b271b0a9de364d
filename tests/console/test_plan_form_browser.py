"""The response plan form in headless Chromium: a person fills in the CreateResponsePlan documentation's sample by
the fields' labels, saves, and sees the plan; edits and deletes it; axe-core finds nothing on the plans pages, in
light and dark. Every page must report no error (CSP violations included)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from browser_support import LIGHT_BACKGROUND, Browsing, sign_in
from console_support import add_user
from playwright.sync_api import Page, expect
from test_plan_form import SAMPLE_ROLE, SAMPLE_TOPIC, onboard, plan_names, stored, without_accounts

from support import SEED_REQUEST, Account, Server

_axe = Axe()


def violations(page: Page) -> list[str]:
    """Every axe-core violation, of any impact, in light and in dark."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == LIGHT_BACKGROUND) == (scheme == "light"), (scheme, background)
        for violation in _axe.run(page).response["violations"]:
            found += [
                f"{scheme} {violation['id']} ({violation['impact']}): {node['target']}" for node in violation["nodes"]
            ]
    return found


def fill_sample(page: Page, engagement: str = "example") -> None:
    """The documentation's sample request, typed and chosen field by field as a person does."""
    page.get_by_label("Name", exact=True).fill("example-response")
    page.get_by_label("Display name", exact=True).fill("Example response plan")
    page.get_by_label("Title", exact=True).fill("example-incident")
    page.get_by_label("Impact", exact=True).select_option(label="5 No impact")
    page.get_by_label("Chat channel", exact=True).fill(SAMPLE_TOPIC)
    page.get_by_label("Engagements", exact=True).select_option(label=engagement)
    page.get_by_label("Runbook", exact=True).fill("AWSIncidents-CriticalIncidentRunbookTemplate")
    page.get_by_label("Document version", exact=True).fill("$DEFAULT")
    page.get_by_label("Role", exact=True).fill(SAMPLE_ROLE)
    page.get_by_label("Target account", exact=True).select_option("RESPONSE_PLAN_OWNER_ACCOUNT")


def test_the_documentation_sample_filled_in_the_browser_is_the_sample_plan(
    server: Server, account: Account, other_account: Account, browsing: Browsing
) -> None:
    onboard(server, other_account)
    server.client(other_account).create_response_plan(**SEED_REQUEST)
    onboard(server, account)
    server.client(account, "ssm-contacts").create_contact(Alias="example", Type="PERSONAL", Plan={"Stages": []})
    admin = add_user(server.database_url, account.account_id, "admin")
    page = browsing.page()
    sign_in(page, server.endpoint, admin)
    page.get_by_role("link", name="Response plans", exact=True).click()
    page.get_by_role("link", name="Create response plan", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Create response plan")).to_be_visible()

    fill_sample(page)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="Example response plan")).to_be_visible()
    expect(page.get_by_text("AWSIncidents-CriticalIncidentRunbookTemplate", exact=True)).to_be_visible()
    through_form = stored(server, account, "example-response")
    assert without_accounts(through_form) == without_accounts(stored(server, other_account, "example-response"))


def test_editing_and_deleting_in_the_browser(server: Server, account: Account, browsing: Browsing) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(**SEED_REQUEST)
    before = stored(server, account, "example-response")
    admin = add_user(server.database_url, account.account_id, "admin")
    page = browsing.page()
    sign_in(page, server.endpoint, admin)
    page.goto(f"{server.endpoint}/console/plans/example-response")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("example-incident")
    page.get_by_label("Summary", exact=True).fill("Card payments fail.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Card payments fail.", exact=True)).to_be_visible()
    before["incidentTemplate"]["summary"] = "Card payments fail."
    assert stored(server, account, "example-response") == before

    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Delete response plan example-response?")).to_be_visible()
    page.get_by_role("button", name="Delete response plan").click()
    expect(page.get_by_role("heading", level=1, name="Response plans")).to_be_visible()
    expect(page.get_by_text("No response plans.")).to_be_visible()
    assert plan_names(server, account) == []


def test_axe_finds_nothing_on_the_plans_pages(server: Server, account: Account, browsing: Browsing) -> None:
    onboard(server, account)
    server.client(account).create_response_plan(
        **{**SEED_REQUEST, "incidentTemplate": {**SEED_REQUEST["incidentTemplate"], "summary": "Card payments fail."}}
    )
    server.client(account, "ssm-contacts").create_contact(
        Alias="example", DisplayName="Example person", Type="PERSONAL", Plan={"Stages": []}
    )
    admin = add_user(server.database_url, account.account_id, "admin")
    page = browsing.page()
    sign_in(page, server.endpoint, admin)
    checked: dict[str, list[str]] = {}
    pages = {
        "plans": ("/console/plans", "Response plans"),
        "plan": ("/console/plans/example-response", "Example response plan"),
        "new plan form": ("/console/plans/new", "Create response plan"),
        "edit form": ("/console/plans/example-response/edit", "Edit example-response"),
        "delete confirmation": ("/console/plans/example-response/delete", "Delete response plan example-response?"),
    }
    for name, (path, heading) in pages.items():
        page.goto(f"{server.endpoint}{path}")
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        checked[name] = violations(page)
    page.goto(f"{server.endpoint}/console/plans/new")
    fill_sample(page, engagement="Example person")
    page.get_by_label("Impact", exact=True).select_option(label="1 Critical")
    page.get_by_label("Role", exact=True).fill("not-a-role")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("at 'actions.1.member.ssmAutomation.roleArn'")).to_be_visible()
    browsing.expect_error("400")
    checked["form with an error"] = violations(page)

    found = {name: found for name, found in checked.items() if found}
    assert found == {}, "\n".join(f"{name}:\n  " + "\n  ".join(v) for name, v in found.items())
