"""Console fixtures: the session's server serves the console (it is on by default); users are made in its database;
browser tests share one headless Chromium per module, and an SMTP sink where a page or a code must be read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import CHROMIUM, Browsing
from console_support import OPEN_CLIENTS, add_user
from playwright.sync_api import Browser, sync_playwright

from mailsink import MailSink
from support import Account, Server


@pytest.fixture
def responder(server: Server, account: Account) -> str:
    """A responder of the test's account; their user name (the password is console_support.PASSWORD)."""
    return add_user(server.database_url, account.account_id, "responder")


@pytest.fixture
def admin(server: Server, account: Account) -> str:
    """An admin of the test's account: of the roles, only admins may change contacts, rotations, plans, settings."""
    return add_user(server.database_url, account.account_id, "admin")


@pytest.fixture
def contacts(server: Server, account: Account, replication_set: str):  # type: ignore[no-untyped-def]
    """An ssm-contacts client of the onboarded test account."""
    return server.client(account, "ssm-contacts")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the module; each test opens contexts of its own."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def browsing(chromium: Browser) -> Iterator[Browsing]:
    """The test's pages; when it ends, none of them may have reported an error (script, CSP, failed load)."""
    opened = Browsing(chromium)
    yield opened
    opened.close()
    assert opened.errors == [], "the console's pages reported errors:\n" + "\n".join(opened.errors)


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture
def viewer(server: Server, account: Account) -> str:
    """A viewer of the test's account."""
    return add_user(server.database_url, account.account_id, "viewer")


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Close the HTTP clients a test opened (an open socket at exit is an error under the suite's warnings)."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()
