"""Helpers of the console's browser tests: pages that record their errors, signing in through the form, axe-core,
and the e-mail paging helpers of tests/paging."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from console_support import PASSWORD
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download its own here
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}  # an iPhone 12 to 15, in CSS pixels
BAD_IMPACTS = ("serious", "critical")
LIGHT_BACKGROUND = "rgb(255, 255, 255)"  # console.css --bg in light; dark is #0d1117
# Reported as an error by the page itself: a CSP violation, an exception, a failed load all end up here.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

_axe = Axe()


@dataclass
class Browsing:
    """Browser contexts opened by one test, and every error their pages reported."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def page(self, **options: Any) -> Page:
        """A page of a new context (1280x800 in UTC unless told otherwise) whose errors are recorded."""
        options.setdefault("viewport", WIDE)
        options.setdefault("timezone_id", "UTC")
        options.setdefault("locale", "en-GB")
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))
        return page

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{page.url}: {message.text}")

    def expect_error(self, text: str) -> None:
        """Take back the one error a test provoked on purpose (a refused form answers 400, which Chromium reports)."""
        found = [error for error in self.errors if text in error]
        assert len(found) == 1, (text, self.errors)
        self.errors.remove(found[0])

    def forgive(self, text: str) -> None:
        """Take back the errors a test expects, if there are any (a 401 answer, which Chromium reports)."""
        self.errors[:] = [error for error in self.errors if text not in error]

    def close(self) -> None:
        """Close every context."""
        for context in self.contexts:
            context.close()


def sign_in(page: Page, endpoint: str, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does, and wait for the incident list."""
    page.goto(f"{endpoint}/console/sign-in")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Incidents")).to_be_visible()


def console_path(arn: str) -> str:
    """The console path of an incident."""
    plan, incident = arn.split("/")[1:3]
    return f"/console/incidents/{plan}/{incident}"


def serious_violations(page: Page) -> list[str]:
    """What axe-core finds of impact serious or critical on the page as it is, one line per element."""
    result = _axe.run(page)
    found = []
    for violation in result.response["violations"]:
        if violation["impact"] in BAD_IMPACTS:
            for node in violation["nodes"]:
                found.append(f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary']}")
    return found


def violations_in(page: Page, scheme: str) -> list[str]:
    """serious_violations with the page shown in a colour scheme ("light" or "dark"), making sure it took."""
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == LIGHT_BACKGROUND) == (scheme == "light"), (scheme, background)
    return serious_violations(page)


def horizontal_overflow(page: Page) -> int:
    """How far the page scrolls sideways, in CSS pixels (0 when it fits)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def notes_of(incidents, incident_arn: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The incident's notes through the API: its Custom Events whose data is an object (the console writes
    {"content", "author"}; "Incident Started" is a Custom Event too, with a string)."""
    summaries = incidents.list_timeline_events(
        incidentRecordArn=incident_arn,
        filters=[{"key": "eventType", "condition": {"equals": {"stringValues": ["Custom Event"]}}}],
    )["eventSummaries"]
    events = [
        incidents.get_timeline_event(incidentRecordArn=incident_arn, eventId=summary["eventId"])["event"]
        for summary in summaries
    ]
    return [data for event in events if isinstance(data := json.loads(event["eventData"]), dict)]
