"""Pages to one channel are rate-limited, so engagements can't pump texts and calls through it (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailsink import MailSink
from support import Server, wait_until
from support import test_account as numbered_account

ACCOUNT = numbered_account(4960)
PER_HOUR = 2


@pytest.fixture(scope="module")
def sink(own_database: str) -> Iterator[MailSink]:
    """An SMTP sink per database kind: each kind's server mails the same addresses."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def limited_server(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that mails pages through the sink and delivers at most PER_HOUR pages to a channel in an hour."""
    config = f"[replication]\nsettle_seconds = 0.2\n\n[paging]\npages_per_channel_per_hour = {PER_HOUR}\n"
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    running = Server(own_database, tmp_path_factory.mktemp("limited"), config, extra_env=env).start()
    yield running
    running.stop()


def test_pages_beyond_the_channels_hourly_limit_are_not_sent_and_say_why(limited_server: Server, sink: MailSink):
    incidents = limited_server.client(ACCOUNT)
    replication = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=replication)["replicationSet"]["status"] == "ACTIVE")
    contacts = limited_server.client(ACCOUNT, "ssm-contacts")
    address = f"pumped.{ACCOUNT.account_id}@example.com"
    person = contacts.create_contact(Alias="pumped", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=person, Name="mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    (activation,) = sink.wait_for(lambda mails: [m for m in mails if address in m.to] or None)
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())

    pages = []
    for number in range(PER_HOUR + 2):
        engagement = contacts.start_engagement(ContactId=person, Sender="ops", Subject=f"s{number}", Content="c")
        (page,) = contacts.list_pages_by_engagement(EngagementId=engagement["EngagementArn"])["Pages"]
        pages.append(page["PageArn"])

    def receipts(page: str) -> list[dict]:  # type: ignore[type-arg]
        return contacts.list_page_receipts(PageId=page)["Receipts"]  # type: ignore[no-any-return]

    wait_until(lambda: all(receipts(page) for page in pages), timeout=20)
    kinds = [[r["ReceiptType"] for r in receipts(page)] for page in pages]
    assert sorted(kinds) == [["ERROR"], ["ERROR"], ["SENT"], ["SENT"]], kinds
    refusals = [r for page in pages for r in receipts(page) if r["ReceiptType"] == "ERROR"]
    assert all("not sent" in r["ReceiptInfo"] and r["ContactChannelArn"] == channel for r in refusals)
    pages_mailed = [m for m in sink.to(address) if "Accept code" in m.body]
    assert len(pages_mailed) == PER_HOUR
