"""`incidentd check-paging`: the contacts, rotations and plans along which an engagement would reach nobody."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from incidentd.store.db import Database
from incidentd.store.tables import contact_channels
from mailsink import MailSink
from paging.paging_support import PAGING_CONFIG, onboard, person_with_email
from support import Account, Server

MAIL_ENV = {"INCIDENTD_EMAIL_FROM": "incidentd@example.com"}


@pytest.fixture
def sink() -> Iterator[MailSink]:
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture
def mailing_server(own_database: str, sink: MailSink, tmp_path: Path) -> Iterator[Server]:
    running = Server(own_database, tmp_path, PAGING_CONFIG, extra_env={**MAIL_ENV, "INCIDENTD_SMTP_URL": sink.url})
    running.start()
    yield running
    running.stop()


def check_paging(
    database_url: str, workdir: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the command as an operator would, with the server's delivery settings."""
    command = [sys.executable, "-m", "incidentd.cli", "check-paging", "--database", database_url, *extra]
    # With credentials, like the server: without any, channel types with no transport go to the development outbox.
    keys = {"INCIDENTD_CREDENTIALS": "AKIDCHECKPAGING:secret:100000000001"}
    return subprocess.run(
        command, cwd=workdir, env={**_clean_env(), **keys, **env}, capture_output=True, text=True, timeout=60
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTD_")}


def _activate_without_its_code(database_url: str, channel_arn: str, contacts) -> None:  # type: ignore[no-untyped-def]
    """An SMS channel can't receive its code without a transport: read the code the server stored instead."""
    db = Database(database_url)
    try:
        with db.read() as conn:
            code = conn.execute(
                sa.select(contact_channels.c.activation_code).where(contact_channels.c.arn == channel_arn)
            ).scalar_one()
    finally:
        db.dispose()
    contacts.activate_contact_channel(ContactChannelId=channel_arn, ActivationCode=code)


def test_every_path_that_reaches_nobody_is_named_and_the_command_fails(
    mailing_server: Server, sink: MailSink, account: Account, tmp_path: Path
) -> None:
    onboard(mailing_server, account)
    contacts = mailing_server.client(account, "ssm-contacts")
    ready, _ = person_with_email(contacts, sink, "ready", account)
    unreachable = contacts.create_contact(Alias="unreachable", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    waiting = contacts.create_contact_channel(
        ContactId=unreachable, Name="mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": "u@example.com"}
    )["ContactChannelArn"]
    target = {"ChannelTargetInfo": {"ContactChannelId": waiting, "RetryIntervalInMinutes": 1}}
    contacts.update_contact(ContactId=unreachable, Plan={"Stages": [{"DurationInMinutes": 0, "Targets": [target]}]})
    texted = contacts.create_contact(Alias="texted", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    phone = contacts.create_contact_channel(
        ContactId=texted, Name="phone", Type="SMS", DeliveryAddress={"SimpleAddress": "+15550001234"}
    )["ContactChannelArn"]
    _activate_without_its_code(mailing_server.database_url, phone, contacts)
    gone = contacts.create_contact(Alias="gone", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    on_ready = {"ContactTargetInfo": {"ContactId": ready, "IsEssential": True}}
    on_gone = {"ContactTargetInfo": {"ContactId": gone, "IsEssential": False}}
    escalation = contacts.create_contact(
        Alias="escalation",
        Type="ESCALATION",
        Plan={"Stages": [{"DurationInMinutes": 5, "Targets": [on_ready, on_gone]}]},
    )["ContactArn"]
    contacts.delete_contact(ContactId=gone)
    nobody = f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:contact/nobody"
    mailing_server.client(account).create_response_plan(
        name="pages-nobody", incidentTemplate={"title": "t", "impact": 3}, engagements=[ready, nobody]
    )

    # SMTP is configured as for the server; no SMS transport is.
    done = check_paging(
        mailing_server.database_url, tmp_path, {**MAIL_ENV, "INCIDENTD_SMTP_URL": sink.url}, "--format", "json"
    )

    assert done.returncode == 1, done.stderr
    found = {(f["problem"], f["resource"]) for f in json.loads(done.stdout) if f["account"] == account.account_id}
    assert found == {
        ("no-reachable-channel", unreachable),
        ("inactive-target", unreachable),
        ("no-transport", phone),
        ("unknown-contact", escalation),
        ("unknown-contact", "pages-nobody"),
    }


def test_a_database_with_nothing_wrong_passes_and_an_unmigrated_one_is_not_checked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    unmigrated = check_paging(url, tmp_path, {})
    assert unmigrated.returncode == 2 and "incidentd migrate" in unmigrated.stderr
    migrate = [sys.executable, "-m", "incidentd.cli", "migrate", "--database", url]
    subprocess.run(migrate, cwd=tmp_path, env=_clean_env(), check=True, capture_output=True, timeout=60)

    done = check_paging(url, tmp_path, {})

    assert done.returncode == 0, done.stderr
    assert "nothing found" in done.stdout
