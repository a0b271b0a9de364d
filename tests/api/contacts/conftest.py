"""Fixtures for the ssm-contacts tests: clients, an onboarded account, and quick ways to make contacts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from botocore.config import Config

from incidentd.store.db import Database
from support import Account, Server, wait_until


@pytest.fixture
def contacts(server: Server, account: Account):  # type: ignore[no-untyped-def]
    """A boto3 ssm-contacts client for the test's account (not onboarded unless a test asks)."""
    return server.client(account, "ssm-contacts")


@pytest.fixture
def onboarded_contacts(contacts, replication_set):  # type: ignore[no-untyped-def]
    """The ssm-contacts client of an account that has a replication set."""
    return contacts


@pytest.fixture
def other_contacts(server: Server, other_account: Account):  # type: ignore[no-untyped-def]
    """An ssm-contacts client of a second account, onboarded too."""
    incidents = server.client(other_account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    return server.client(other_account, "ssm-contacts")


@pytest.fixture
def west_contacts(server: Server, account: Account, onboarded_contacts):  # type: ignore[no-untyped-def]
    """The same onboarded account's client, signing for us-west-2."""
    return boto3.client(
        "ssm-contacts",
        endpoint_url=server.endpoint,
        region_name="us-west-2",
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def new_contact(onboarded_contacts) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """Make a contact (PERSONAL unless told) with an empty plan; its ARN."""

    def make(alias: str, contact_type: str = "PERSONAL", plan: dict[str, Any] | None = None, **extra: Any) -> str:
        return str(
            onboarded_contacts.create_contact(
                Alias=alias, Type=contact_type, Plan=plan if plan is not None else {"Stages": []}, **extra
            )["ContactArn"]
        )

    return make


@pytest.fixture
def new_channel(onboarded_contacts) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """Make an EMAIL channel on a contact, activation deferred unless told; its ARN."""

    def make(contact_arn: str, name: str = "mail", address: str = "oncall@example.com", **extra: Any) -> str:
        extra.setdefault("DeferActivation", True)
        return str(
            onboarded_contacts.create_contact_channel(
                ContactId=contact_arn, Name=name, Type="EMAIL", DeliveryAddress={"SimpleAddress": address}, **extra
            )["ContactChannelArn"]
        )

    return make


DAILY_UTC = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}


@pytest.fixture
def new_rotation(onboarded_contacts) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """Make a daily 09:00 UTC rotation of the given contacts; its ARN."""

    def make(contact_ids: list[str], name: str = "primary", **extra: Any) -> str:
        extra.setdefault("TimeZoneId", "UTC")
        extra.setdefault("Recurrence", DAILY_UTC)
        return str(onboarded_contacts.create_rotation(Name=name, ContactIds=contact_ids, **extra)["RotationArn"])

    return make


@pytest.fixture
def db(server: Server) -> Iterator[Database]:
    """The server's own database, to read what the API never shows (activation codes, queued jobs)."""
    database = Database(server.database_url)
    yield database
    database.dispose()


@pytest.fixture
def rows(db: Database) -> Callable[..., list[dict[str, Any]]]:
    """Run a SELECT against the server's database; the rows as dicts."""

    def select(sql: str, **params: Any) -> list[dict[str, Any]]:
        with db.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    return select
