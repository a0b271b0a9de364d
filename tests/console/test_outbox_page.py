"""The console's outbox page: in development mode only, the signed-in person's account's entries only, newest
first, codes included; a checked accessibility in both colour schemes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import Browsing, sign_in, violations_in
from console_support import add_user, database, signed_in
from playwright.sync_api import expect

from incidentd.store import outbox
from outbox.outbox_support import DEV, dev_server
from paging.paging_support import onboard
from support import Account, Server

OTHER = "111122223333"


@pytest.fixture(scope="module")
def dev(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server in development mode (its console on, as by default), its account onboarded."""
    running = dev_server(own_database, tmp_path_factory.mktemp("console-dev")).start()
    onboard(running, DEV)
    yield running
    running.stop()


def _keep(server: Server, account: str, subject: str, code: str, links: str = "") -> None:
    entry = outbox.Entry(
        id=0,
        account_id=account,
        created_ms=1_780_000_000_000,
        kind="page",
        channel_type="EMAIL",
        address=f"{code}@example.com",
        subject=subject,
        text=f"{subject}\n\n{links}Accept code: {code}\n",
        code=code,
        reference=f"arn:aws:ssm-contacts:us-east-1:{account}:page/dana/{code}",
    )
    with database(server.database_url).write() as conn:
        outbox.add(conn, entry)


def test_the_outbox_shows_the_accounts_own_entries_newest_first(dev: Server) -> None:
    _keep(dev, DEV.account_id, "Ours first", "111111")
    _keep(dev, OTHER, "Theirs", "222222")
    _keep(dev, DEV.account_id, "Ours second", "333333")
    ours = signed_in(dev.endpoint, add_user(dev.database_url, DEV.account_id, "responder"))
    theirs = signed_in(dev.endpoint, add_user(dev.database_url, OTHER, "responder"))

    page = ours.get("/console/outbox")

    assert page.status_code == 200
    assert page.text.index("Ours second") < page.text.index("Ours first")  # newest first
    assert "<code>333333</code>" in page.text and "333333@example.com" in page.text
    assert "Theirs" not in page.text and "222222" not in page.text
    their_page = theirs.get("/console/outbox").text
    assert "Theirs" in their_page and "Ours" not in their_page and "111111" not in their_page
    assert 'href="/console/outbox"' in ours.get("/console/").text  # the navigation links to it


def test_a_viewer_is_refused_the_codes_and_has_no_link(dev: Server) -> None:
    viewer = signed_in(dev.endpoint, add_user(dev.database_url, DEV.account_id, "viewer"))

    assert viewer.get("/console/outbox").status_code == 403
    assert 'href="/console/outbox"' not in viewer.get("/console/").text


def test_with_credentials_configured_there_is_no_outbox(server: Server, account: Account) -> None:
    onboard(server, account)
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "admin"))

    assert client.get("/console/outbox").status_code == 404
    assert 'href="/console/outbox"' not in client.get("/console/").text


def test_the_outbox_page_is_accessible_in_both_schemes(dev: Server, browsing: Browsing) -> None:
    _keep(dev, DEV.account_id, "Checkout is down", "444444")
    page = browsing.page()
    sign_in(page, dev.endpoint, add_user(dev.database_url, DEV.account_id, "admin"))

    page.get_by_role("link", name="Outbox").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    expect(page.get_by_text("444444", exact=True)).to_be_visible()
    for scheme in ("light", "dark"):
        assert violations_in(page, scheme) == [], scheme


def test_the_settings_page_says_pages_go_to_the_outbox(dev: Server) -> None:
    admin = signed_in(dev.endpoint, add_user(dev.database_url, DEV.account_id, "admin"))

    page = admin.get("/console/settings")

    assert page.status_code == 200
    assert page.text.count("Development outbox") == 3  # EMAIL, SMS and VOICE
    assert "None: pages wait" not in page.text


def test_the_links_of_a_message_are_clickable(dev: Server) -> None:
    acknowledge = "http://127.0.0.1:4570/acknowledge/us-east-1/000000000000/dana/p1?exp=1&sig=a"
    links = f"Acknowledge this page: {acknowledge}\nNot a link: javascript:alert(1)\n\n"
    _keep(dev, DEV.account_id, "With links", "555555", links)
    responder = signed_in(dev.endpoint, add_user(dev.database_url, DEV.account_id, "responder"))

    page = responder.get("/console/outbox").text

    assert f'<a href="{acknowledge.replace("&", "&amp;")}">Acknowledge this page</a>' in page
    assert 'href="javascript' not in page
