"""Helpers of the message tests: a server that mails through a sink, people with activated e-mail, HTTP calls."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

from mailsink import Mail, MailSink
from support import Account, Server, free_port, wait_until

LINK_SECRET = "messages-test-link-secret"
OLD_LINK_SECRET = "messages-test-old-link-secret"


def mailing_server(database_url: str, workdir: Path, sink: MailSink, extra_config: str = "") -> Server:
    """A server (not started) that mails through the sink and signs links with LINK_SECRET."""
    port = free_port()
    config = f"""
[replication]
settle_seconds = 0.2

[notifications]
public_url = "http://127.0.0.1:{port}"
link_secret = "{LINK_SECRET}"
previous_link_secrets = ["{OLD_LINK_SECRET}"]
retry_seconds = 0.2
{extra_config}
"""
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    return Server(database_url, workdir, config, extra_env=env, port=port)


def onboard(server: Server, account: Account) -> None:
    """Give the account an ACTIVE replication set."""
    incidents = server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")


def address_of(alias: str, account: Account) -> str:
    """An e-mail address no other test's contact has (the sink is shared)."""
    return f"{alias}.{account.account_id}@example.com"


def person_with_email(contacts, sink: MailSink, alias: str, account: Account) -> str:  # type: ignore[no-untyped-def]
    """A personal contact with an e-mail channel activated with the code it was mailed; the contact's ARN."""
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact,
        Name=f"{alias} mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": address_of(alias, account)},
    )["ContactChannelArn"]
    (activation,) = sink.wait_for_mail(address_of(alias, account))
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())
    return str(contact)


def link_after(mail: Mail, label: str) -> str:
    """The URL on the mail's line that starts with the label (`Open the incident:`)."""
    found = re.search(rf"^{re.escape(label)} (\S+)", mail.body, re.MULTILINE)
    assert found, mail.body
    return found.group(1)


def call(url: str, method: str = "GET") -> tuple[int, str]:
    """GET a URL, or POST the empty form its button sends; the status and the body text."""
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    if method == "POST":
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()
