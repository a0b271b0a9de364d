"""A page's e-mail carries the incident's signed link and a one-click acknowledge link; only its button acknowledges."""

from __future__ import annotations

import time
import urllib.parse

from messages_support import OLD_LINK_SECRET, address_of, call, link_after, onboard, person_with_email

from incidentd.config.notifications import NotifySettings
from incidentd.notify import links
from mailsink import MailSink
from support import Account, Server, wait_until

ACKNOWLEDGED_EVENT = "SSM Contacts Page Acknowledgement for Incident"


def paged(server: Server, sink: MailSink, account: Account, alias: str, title: str = "Payments <degraded>"):  # type: ignore[no-untyped-def]
    """Start an incident whose plan engages a person by e-mail; (incident ARN, page ARN, page mail, clients)."""
    onboard(server, account)
    contacts = server.client(account, "ssm-contacts")
    incidents = server.client(account)
    contact = person_with_email(contacts, sink, alias, account)
    plan = incidents.create_response_plan(
        name=f"{alias}-plan", incidentTemplate={"title": title, "impact": 2}, engagements=[contact]
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    (_, mail) = sink.wait_for_mail(address_of(alias, account), count=2)
    (engagement,) = contacts.list_engagements(IncidentId=incident)["Engagements"]
    (page,) = contacts.list_pages_by_engagement(EngagementId=engagement["EngagementArn"])["Pages"]
    return incident, page["PageArn"], mail, contacts, incidents


def receipt_types(contacts, page: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The page's receipts, in the order they were recorded."""
    return [r["ReceiptType"] for r in contacts.list_page_receipts(PageId=page)["Receipts"]]


def altered(url: str) -> str:
    """The URL with the last character of its signature changed."""
    base, _, signature = url.rpartition("&sig=")
    return f"{base}&sig={signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"


def test_the_page_email_links_the_incident_and_only_the_button_acknowledges(
    mailing: Server, sink: MailSink, account: Account
) -> None:
    incident, page, mail, contacts, incidents = paged(mailing, sink, account, "ama")
    incident_link = link_after(mail, "Open the incident:")
    acknowledge_link = link_after(mail, "Acknowledge this page:")
    assert incident_link.startswith(f"{mailing.endpoint}/incidents/{account.account_id}/")
    assert acknowledge_link.startswith(f"{mailing.endpoint}/acknowledge/us-east-1/{account.account_id}/ama/")
    assert mail.body.rstrip().endswith(f"Accept code: {mail.code()}")  # the code stays the last line

    status, html = call(incident_link)
    assert status == 200 and "Payments &lt;degraded&gt;" in html and "<degraded>" not in html

    # Opening the link (as a person, a mail scanner or a link preview does) changes nothing.
    status, html = call(acknowledge_link)
    assert status == 200 and '<form method="post">' in html and "Acknowledge this page" in html
    assert "Payments &lt;degraded&gt;" in html and "<degraded>" not in html and page in html
    status, _ = call(acknowledge_link)
    assert status == 200
    assert "READ" not in receipt_types(contacts, page)
    assert "ReadTime" not in contacts.describe_page(PageId=page)
    (engagement,) = contacts.list_engagements(IncidentId=incident)["Engagements"]
    assert "StopTime" not in contacts.describe_engagement(EngagementId=engagement["EngagementArn"])

    # A changed signature, or the same signature on another account's path, acknowledges nothing.
    for refused in (altered(acknowledge_link), acknowledge_link.replace(account.account_id, "999999999999", 1)):
        for method in ("GET", "POST"):
            status, html = call(refused, method)
            assert status == 403 and "not valid" in html and "Nothing was acknowledged" in html
    assert "READ" not in receipt_types(contacts, page)

    status, html = call(acknowledge_link, "POST")
    assert status == 200 and "<h1>Acknowledged</h1>" in html
    assert receipt_types(contacts, page)[-1] == "READ"
    assert contacts.describe_page(PageId=page)["ReadTime"]
    assert "StopTime" in contacts.describe_engagement(EngagementId=engagement["EngagementArn"])

    def timeline() -> list[str]:
        events = incidents.list_timeline_events(incidentRecordArn=incident)["eventSummaries"]
        return [e["eventType"] for e in events]

    wait_until(lambda: ACKNOWLEDGED_EVENT in timeline())

    status, html = call(acknowledge_link, "POST")
    assert status == 200 and "Already acknowledged" in html
    assert receipt_types(contacts, page).count("READ") == 1
    status, html = call(acknowledge_link)
    assert status == 200 and "Already acknowledged" in html and "<form" not in html


def test_expired_links_acknowledge_nothing_and_links_of_a_previous_secret_still_work(
    mailing: Server, sink: MailSink, account: Account
) -> None:
    _, page, _, contacts, _ = paged(mailing, sink, account, "kojo")
    old_key = NotifySettings(public_url=mailing.endpoint, link_key=OLD_LINK_SECRET.encode(), link_lifetime_days=1)
    expired = links.acknowledge_link(old_key, page, now_ms=int((time.time() - 2 * 86_400) * 1000))
    assert expired is not None
    for method in ("GET", "POST"):
        status, html = call(expired, method)
        assert status == 410 and "expired" in html and "Nothing was acknowledged" in html
    # A longer expiry under the same signature is a changed link.
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(expired).query)
    longer = expired.replace(f"exp={query['exp'][0]}", f"exp={int(time.time()) + 3600}")
    assert call(longer, "POST")[0] == 403
    assert "READ" not in receipt_types(contacts, page)

    # Signed with the secret in previous_link_secrets and not expired: it still acknowledges.
    rotated = links.acknowledge_link(old_key, page)
    assert rotated is not None
    status, html = call(rotated, "POST")
    assert status == 200 and "<h1>Acknowledged</h1>" in html
    assert "READ" in receipt_types(contacts, page)


def test_an_incident_link_signature_does_not_acknowledge(mailing: Server, sink: MailSink, account: Account) -> None:
    _, page, mail, contacts, _ = paged(mailing, sink, account, "efua")
    incident_query = urllib.parse.urlsplit(link_after(mail, "Open the incident:")).query
    acknowledge_path = urllib.parse.urlsplit(link_after(mail, "Acknowledge this page:")).path
    status, _ = call(f"{mailing.endpoint}{acknowledge_path}?{incident_query}", "POST")
    assert status == 403
    assert "READ" not in receipt_types(contacts, page)
