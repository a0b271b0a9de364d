"""Development mode with SMTP configured: e-mail goes out through it, nothing of it goes to the outbox, and each
successful delivery is logged with the address masked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from outbox_support import DEV, dev_server, outbox_entries

from mailsink import MailSink
from paging.paging_support import onboard
from support import Server, wait_until


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mailing_dev(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server in development mode that mails through the sink."""
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    running = dev_server(own_database, tmp_path_factory.mktemp("smtp-dev"), **env).start()
    onboard(running, DEV)
    yield running
    running.stop()


def test_mail_goes_through_smtp_and_not_to_the_outbox(mailing_dev: Server, sink: MailSink) -> None:
    alias = f"mail-{uuid.uuid4().hex[:8]}"
    address = f"{alias}@example.com"
    contacts = mailing_dev.client(DEV, "ssm-contacts")
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact, Name=f"{alias} mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    (activation,) = sink.wait_for_mail(address)
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())
    incidents = mailing_dev.client(DEV)
    plan = incidents.create_response_plan(
        name=alias, incidentTemplate={"title": "Mail works", "impact": 3}, engagements=[contact]
    )["arn"]
    incidents.start_incident(responsePlanArn=plan)
    page_mail = sink.wait_for_mail(address, count=2)[1]

    assert outbox_entries(mailing_dev.database_url) == []
    log_path = mailing_dev.workdir / f"server-{mailing_dev.port}.log"
    log = wait_until(lambda: (text := log_path.read_text()) and ("page arn:" in text and text))
    masked = f"{alias[0]}***@example.com"
    assert f"activation code for {channel} sent to EMAIL {masked} (attempt 1)" in log
    assert f"sent to EMAIL {masked} (attempt 1)" in log.split("page arn:", 1)[1]
    assert address not in log and activation.code() not in log and page_mail.code() not in log
    assert "outbox:" not in log
