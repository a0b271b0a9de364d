"""Helpers of the paging tests: a server that mails through a sink, onboarding, people with activated e-mail."""

from __future__ import annotations

from pathlib import Path

from mailsink import MailSink
from support import Account, Server, wait_until

PAGING_CONFIG = """
[replication]
settle_seconds = 0.2
"""


def mailing_server(database_url: str, workdir: Path, sink: MailSink) -> Server:
    """An incidentd server (not started) whose e-mail pages go to the sink."""
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    return Server(database_url, workdir, PAGING_CONFIG, extra_env=env)


def onboard(server: Server, account: Account) -> None:
    """Give the account an ACTIVE replication set."""
    incidents = server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")


def address_of(alias: str, account: Account) -> str:
    """An e-mail address no other test's contact has (the sink is shared)."""
    return f"{alias}.{account.account_id}@example.com"


def person_with_email(contacts, sink: MailSink, alias: str, account: Account) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A personal contact with an e-mail channel activated the way a user does it: with the code it was sent."""
    address = address_of(alias, account)
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact, Name=f"{alias} mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    (activation,) = sink.wait_for_mail(address)
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())
    return contact, channel
