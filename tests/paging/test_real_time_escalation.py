"""One escalation in real time, with a one-minute stage and the server killed in the middle of it."""

from __future__ import annotations

import time

import pytest
from paging_support import address_of, mailing_server, onboard, person_with_email

from mailsink import MailSink
from support import Account, wait_until


@pytest.mark.slow
def test_an_escalation_survives_a_kill_and_pages_the_next_stage_on_time_exactly_once(
    own_database: str, sink: MailSink, account: Account, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = mailing_server(own_database, tmp_path_factory.mktemp("killed"), sink).start()
    try:
        onboard(server, account)
        contacts = server.client(account, "ssm-contacts")
        alice, _ = person_with_email(contacts, sink, "alice", account)
        bob, _ = person_with_email(contacts, sink, "bob", account)
        stages = [
            {"DurationInMinutes": 1, "Targets": [{"ContactTargetInfo": {"ContactId": alice, "IsEssential": True}}]},
            {"DurationInMinutes": 0, "Targets": [{"ContactTargetInfo": {"ContactId": bob, "IsEssential": True}}]},
        ]
        plan = contacts.create_contact(Alias="storage-escalation", Type="ESCALATION", Plan={"Stages": stages})
        started = time.time()
        engagement = contacts.start_engagement(
            ContactId=plan["ContactArn"], Sender="monitor", Subject="Disk 95% on db-3", Content="db-3 /var at 95%"
        )["EngagementArn"]
        sink.wait_for_mail(address_of("alice", account), count=2, timeout=10)  # activation code, then the page
        (page,) = contacts.list_pages_by_engagement(EngagementId=engagement)["Pages"]
        # Kill between the stages, once the first page is recorded as sent. (A kill in the milliseconds between
        # the mail server's 250 and that record sends the page again after the lease: see docs/aws-behaviour.md,
        # "In short: ssm-contacts".)
        wait_until(lambda: contacts.describe_page(PageId=page["PageArn"]).get("SentTime"))

        server.stop(kill=True)  # SIGKILL: only the database knows what comes next
        time.sleep(3)
        server.start()

        (_, bob_page) = sink.wait_for_mail(address_of("bob", account), count=2, timeout=90)
        assert 60 <= bob_page.received - started < 75  # the second stage, one minute after the first
        time.sleep(2)  # anything sent twice would arrive by now
        assert len(sink.to(address_of("alice", account))) == 2
        assert len(sink.to(address_of("bob", account))) == 2
    finally:
        server.stop()
