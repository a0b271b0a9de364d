"""With credentials configured nothing goes to the outbox: a channel type with no transport keeps its pages waiting,
with a receipt that names the settings to set, as before there was an outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from outbox_support import DEV_CONFIG, outbox_entries

import support
from incidentd.store import channels
from incidentd.store.db import Database
from paging.paging_support import onboard
from support import Server, wait_until


@pytest.fixture(scope="module")
def production(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the test accounts' credentials configured and no SMTP."""
    running = Server(own_database, tmp_path_factory.mktemp("production"), DEV_CONFIG).start()
    yield running
    running.stop()


def test_pages_wait_for_a_transport_and_nothing_goes_to_the_outbox(production: Server) -> None:
    account = support.test_account(4900)
    onboard(production, account)
    alias = f"prod-{uuid.uuid4().hex[:8]}"
    contacts = production.client(account, "ssm-contacts")
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact, Name=f"{alias} mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": f"{alias}@example.com"}
    )["ContactChannelArn"]
    # Nobody can read the code without SMTP: the test takes it from the database, as an operator could.
    db = Database(production.database_url)
    with db.read() as conn:
        found = channels.get(conn, account.account_id, channel)
    db.dispose()
    assert found is not None and found.activation_code
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=found.activation_code)
    incidents = production.client(account)
    plan = incidents.create_response_plan(
        name=alias, incidentTemplate={"title": "No mail", "impact": 3}, engagements=[contact]
    )["arn"]
    incidents.start_incident(responsePlanArn=plan)
    page = wait_until(lambda: contacts.list_pages_by_contact(ContactId=contact)["Pages"], timeout=30)[0]["PageArn"]

    receipts = wait_until(lambda: contacts.list_page_receipts(PageId=page)["Receipts"], timeout=30)

    assert receipts[0]["ReceiptType"] == "ERROR"
    assert "no transport for EMAIL channels: set INCIDENTD_SMTP_URL" in receipts[0]["ReceiptInfo"]
    assert "SENT" not in [r["ReceiptType"] for r in contacts.list_page_receipts(PageId=page)["Receipts"]]
    assert outbox_entries(production.database_url) == []
    log = (production.workdir / f"server-{production.port}.log").read_text()
    assert "outbox:" not in log and "development outbox" not in log
