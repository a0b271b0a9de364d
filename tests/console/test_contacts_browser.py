"""Contacts in headless Chromium, as a person uses them: create a contact, add an e-mail channel, activate it with
the code the SMTP stand-in received, give it an engagement plan; and axe-core on the contacts list, a contact, an
escalation plan and paging health, in light and dark. Every page must report no error (CSP violations included)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import Browsing, sign_in, violations_in
from console_support import add_user
from playwright.sync_api import Page, expect

from mailsink import MailSink
from paging.paging_support import address_of, mailing_server, onboard
from support import Account, Server


@pytest.fixture(scope="module")
def mailing(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose activation codes go out by e-mail through the sink, on a database of its own."""
    running = mailing_server(own_database, tmp_path_factory.mktemp("contacts-browser"), sink).start()
    yield running
    running.stop()


def admin_page(browsing: Browsing, server: Server, account: Account) -> Page:
    """A page signed in as an admin of the onboarded account."""
    onboard(server, account)
    page = browsing.page()
    sign_in(page, server.endpoint, add_user(server.database_url, account.account_id, "admin"))
    return page


def test_a_channel_is_activated_with_the_mailed_code_and_engaged_by_the_plan(
    mailing: Server, sink: MailSink, account: Account, browsing: Browsing
) -> None:
    page = admin_page(browsing, mailing, account)
    contacts = mailing.client(account, "ssm-contacts")
    address = address_of("kofi", account)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("Alias").fill("kofi")
    page.get_by_label("Display name").fill("Kofi Mensah")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kofi Mensah")

    page.get_by_label("Name", exact=True).fill("Kofi mail")
    page.get_by_label("Type").select_option("EMAIL")
    page.get_by_label("Address").fill(address)
    page.get_by_role("button", name="Add channel").click()
    channel = page.get_by_role("region", name="Kofi mail (EMAIL)")
    expect(channel.get_by_text("Not activated")).to_be_visible()

    (mail,) = sink.wait_for_mail(address)
    channel.get_by_label("Activation code").fill(mail.code())
    channel.get_by_role("button", name="Activate").click()

    channel = page.get_by_role("region", name="Kofi mail (EMAIL)")
    expect(channel.get_by_text("Active", exact=True)).to_be_visible()
    expect(channel.get_by_label("Activation code")).to_have_count(0)
    contact = next(c["ContactArn"] for c in contacts.list_contacts()["Contacts"] if c["Alias"] == "kofi")
    (found,) = contacts.list_contact_channels(ContactId=contact)["ContactChannels"]
    assert found["ActivationStatus"] == "ACTIVATED"

    # The engagement plan: add a stage (nothing is saved yet), fill it in, save.
    page.get_by_role("button", name="Add stage").click()
    stage = page.get_by_role("group", name="Stage 1")
    stage.get_by_label("Minutes", exact=True).fill("5")
    stage.get_by_role("checkbox", name=f"Kofi mail (EMAIL, {address})").check()
    stage.get_by_label("Retry interval").fill("2")
    assert contacts.get_contact(ContactId=contact)["Plan"] == {"Stages": []}
    with page.expect_navigation():
        page.get_by_role("button", name="Save engagement plan").click()
    expect(page.get_by_role("group", name="Stage 1").get_by_label("Minutes", exact=True)).to_have_value("5")
    assert contacts.get_contact(ContactId=contact)["Plan"] == {
        "Stages": [
            {
                "DurationInMinutes": 5,
                "Targets": [
                    {"ChannelTargetInfo": {"ContactChannelId": found["ContactChannelArn"], "RetryIntervalInMinutes": 2}}
                ],
            }
        ]
    }

    # Enter in a field saves (the form's first button is Save, not "Remove stage 1").
    page.get_by_role("group", name="Stage 1").get_by_label("Minutes", exact=True).fill("7")
    with page.expect_navigation():
        page.get_by_role("group", name="Stage 1").get_by_label("Minutes", exact=True).press("Enter")
    expect(page.get_by_role("group", name="Stage 1").get_by_label("Minutes", exact=True)).to_have_value("7")
    assert contacts.get_contact(ContactId=contact)["Plan"]["Stages"][0]["DurationInMinutes"] == 7


def test_the_contact_pages_have_no_serious_accessibility_violations(
    server: Server, account: Account, browsing: Browsing
) -> None:
    page = admin_page(browsing, server, account)
    contacts = server.client(account, "ssm-contacts")
    person = contacts.create_contact(Alias="dana", DisplayName="Dana Ortiz", Type="PERSONAL", Plan={"Stages": []})
    channel = contacts.create_contact_channel(
        ContactId=person["ContactArn"],
        Name="Dana phone",
        Type="SMS",
        DeliveryAddress={"SimpleAddress": "+4915112345678"},
        DeferActivation=True,
    )["ContactChannelArn"]
    contacts.update_contact(
        ContactId=person["ContactArn"],
        Plan={"Stages": [{"DurationInMinutes": 5, "Targets": [{"ChannelTargetInfo": {"ContactChannelId": channel}}]}]},
    )
    target = {"ContactTargetInfo": {"ContactId": person["ContactArn"], "IsEssential": True}}
    contacts.create_contact(
        Alias="escalate", Type="ESCALATION", Plan={"Stages": [{"DurationInMinutes": 10, "Targets": [target]}]}
    )

    for path, heading in (
        ("/console/contacts", "Contacts"),
        ("/console/contacts/dana", "Dana Ortiz"),
        ("/console/contacts/escalate", "escalate"),
        ("/console/paging-health", "Paging health"),
    ):
        page.goto(f"{server.endpoint}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        for scheme in ("light", "dark"):
            assert violations_in(page, scheme) == [], (path, scheme)
    # Paging health: the phone is not activated and the plan targets it; both findings link to the contact.
    expect(page.get_by_role("link", name="dana")).to_have_count(2)
    page.get_by_role("link", name="dana").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dana Ortiz")
