"""Paging health: the findings of `incidentd check-paging` for the signed-in person's account, each linked to what
it names, and never another account's."""

from __future__ import annotations

from console_support import add_user, signed_in

from incidentd.console.paging_health_view import link_of
from paging.paging_support import onboard
from support import Account, Server


def test_a_contact_with_no_active_channel_is_a_finding_linked_to_the_contact(
    server: Server, account: Account, other_account: Account
) -> None:
    onboard(server, account)
    onboard(server, other_account)
    ours = server.client(account, "ssm-contacts")
    ours.create_contact(Alias="dana", Type="PERSONAL", Plan={"Stages": []})
    ours.create_contact(Alias="empty-escalation", Type="ESCALATION", Plan={"Stages": []})
    server.client(other_account, "ssm-contacts").create_contact(Alias="theirs", Type="PERSONAL", Plan={"Stages": []})
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer"))

    page = client.get("/console/paging-health")

    assert page.status_code == 200
    assert "No activated channel" in page.text and "no-reachable-channel" in page.text
    assert '<a href="/console/contacts/dana">dana</a>' in page.text
    assert '<a href="/console/contacts/empty-escalation">empty-escalation</a>' in page.text
    assert "theirs" not in page.text and other_account.account_id not in page.text.replace(account.account_id, "")


def test_an_account_with_nothing_wrong_says_so(server: Server, account: Account) -> None:
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "responder"))

    page = client.get("/console/paging-health")

    assert page.status_code == 200 and "Nothing found" in page.text


def test_each_kind_of_resource_links_to_its_page() -> None:
    region_account = "us-east-1:111122223333"
    assert link_of(f"arn:aws:ssm-contacts:{region_account}:contact/dana") == (
        "Contact",
        "dana",
        "/console/contacts/dana",
    )
    assert link_of(f"arn:aws:ssm-contacts:{region_account}:contact-channel/dana/abc-123") == (
        "Contact channel",
        "dana (channel)",
        "/console/contacts/dana#channel-abc-123",
    )
    assert link_of(f"arn:aws:ssm-contacts:{region_account}:rotation/r-1") == (
        "Rotation",
        "r-1",
        "/console/on-call/rotations/r-1",
    )
    assert link_of("checkout-plan") == ("Response plan", "checkout-plan", "/console/plans/checkout-plan")
