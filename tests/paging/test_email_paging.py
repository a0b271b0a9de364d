"""Pages reach people by real e-mail: activation, engagement, acknowledgement, and incidents that engage."""

from __future__ import annotations

from paging_support import address_of, onboard, person_with_email

from incidentd.store import queue
from incidentd.store.db import Database
from mailsink import MailSink
from support import Account, Server, refused, wait_until


def test_a_new_channel_gets_its_activation_code_by_mail_and_only_that_code_activates_it(
    paging_server: Server, sink: MailSink, account: Account
) -> None:
    onboard(paging_server, account)
    contacts = paging_server.client(account, "ssm-contacts")
    contact = contacts.create_contact(Alias="akua", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact,
        Name="akua mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": address_of("akua", account)},
    )["ContactChannelArn"]
    (mail,) = sink.wait_for_mail(address_of("akua", account))
    assert mail.reference == channel
    code = mail.code()
    wrong = "000000" if code != "000000" else "000001"
    error = refused(contacts.activate_contact_channel, ContactChannelId=channel, ActivationCode=wrong)
    assert error["Error"]["Code"] == "ValidationException"
    assert contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"] == "NOT_ACTIVATED"
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=code)
    assert contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"] == "ACTIVATED"


def test_an_engagement_mails_the_page_and_accepting_it_with_the_mailed_code_records_the_read(
    paging_server: Server, sink: MailSink, account: Account
) -> None:
    onboard(paging_server, account)
    contacts = paging_server.client(account, "ssm-contacts")
    contact, channel = person_with_email(contacts, sink, "nana", account)
    engagement = contacts.start_engagement(
        ContactId=contact, Sender="ops-bot", Subject="Checkout is failing", Content="Error rate 37% on checkout-api"
    )["EngagementArn"]
    (_, page_mail) = sink.wait_for_mail(address_of("nana", account), count=2)
    assert page_mail.subject == "Checkout is failing"
    assert "Error rate 37% on checkout-api" in page_mail.body
    (page,) = contacts.list_pages_by_engagement(EngagementId=engagement)["Pages"]
    assert page_mail.reference == page["PageArn"]
    contacts.accept_page(PageId=page["PageArn"], AcceptType="READ", AcceptCode=page_mail.code())
    described = contacts.describe_page(PageId=page["PageArn"])
    assert described["ReadTime"] >= described["SentTime"]
    receipts = contacts.list_page_receipts(PageId=page["PageArn"])["Receipts"]
    assert [(r["ReceiptType"], r.get("ContactChannelArn")) for r in receipts] == [("SENT", channel), ("READ", None)]
    assert "StopTime" in contacts.describe_engagement(EngagementId=engagement)


def test_start_incident_pages_the_plans_contact_and_the_incident_timeline_shows_it(
    paging_server: Server, sink: MailSink, account: Account
) -> None:
    onboard(paging_server, account)
    contacts = paging_server.client(account, "ssm-contacts")
    incidents = paging_server.client(account)
    contact, _ = person_with_email(contacts, sink, "kofi", account)
    plan = incidents.create_response_plan(
        name="payments",
        incidentTemplate={"title": "Payments degraded", "impact": 2, "summary": "Card auth latency above 5 s"},
        engagements=[contact],
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    (_, page_mail) = sink.wait_for_mail(address_of("kofi", account), count=2)
    assert "Payments degraded" in page_mail.subject
    assert "Card auth latency above 5 s" in page_mail.body
    (engagement,) = contacts.list_engagements(IncidentId=incident)["Engagements"]
    (page,) = contacts.list_pages_by_engagement(EngagementId=engagement["EngagementArn"])["Pages"]
    contacts.accept_page(PageId=page["PageArn"], AcceptType="READ", AcceptCode=page_mail.code())

    def event_types() -> list[str]:
        events = incidents.list_timeline_events(incidentRecordArn=incident)["eventSummaries"]
        return [e["eventType"] for e in events]

    wait_until(lambda: "SSM Contacts Page Acknowledgement for Incident" in event_types())
    assert "SSM Contacts Page for Incident" in event_types()


def test_a_mail_server_that_is_down_delays_the_page_and_does_not_drop_it(
    paging_server: Server, sink: MailSink, account: Account
) -> None:
    # The sink answers 451 to this address a few times: a temporary failure, as a full queue or greylisting gives.
    onboard(paging_server, account)
    contacts = paging_server.client(account, "ssm-contacts")
    contact, channel = person_with_email(contacts, sink, "ama", account)
    contacts.update_contact(
        ContactId=contact,
        Plan={"Stages": [{"DurationInMinutes": 0, "Targets": [{"ChannelTargetInfo": {"ContactChannelId": channel}}]}]},
    )
    sink.refuse(address_of("ama", account), times=1)
    engagement = contacts.start_engagement(
        ContactId=contact, Sender="ops", Subject="Queue backlog", Content="12k jobs"
    )["EngagementArn"]
    (page,) = wait_until(lambda: contacts.list_pages_by_engagement(EngagementId=engagement)["Pages"])

    def receipt_types() -> list[str]:
        return [r["ReceiptType"] for r in contacts.list_page_receipts(PageId=page["PageArn"])["Receipts"]]

    wait_until(lambda: receipt_types() == ["ERROR"])
    assert len(sink.to(address_of("ama", account))) == 1  # only the activation code
    db = Database(paging_server.database_url)
    try:
        with db.read() as conn:
            retries = queue.pending(conn, account_id=account.account_id, kind="page.deliver")
    finally:
        db.dispose()
    (retry,) = retries
    assert retry["payload"]["attempt"] == 2
    assert retry["run_at_ms"] - retry["created_ms"] == 60_000  # the default retry interval, one minute
