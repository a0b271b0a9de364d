"""A channel or page deleted by a call that commits while another call on it waits: the other call answers
ResourceNotFoundException, never a 500."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from incidentd.store import page_codes
from incidentd.store.db import Database
from paging.paging_support import onboard
from support import Account, Server, wait_until


def _outcome(call: Any, **params: Any) -> str:
    """The error code the call answered, or "ok"."""
    try:
        call(**params)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


def test_a_call_waiting_on_a_channel_that_a_commit_deletes_answers_not_found(server: Server, account: Account) -> None:
    # The deletion holds the channel's row lock, uncommitted, while DeactivateContactChannel reads the channel and
    # waits to lock it; then the deletion commits. The call must then find no channel, and say so.
    if not server.database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: a call never waits on a row lock there")
    onboard(server, account)
    contacts = server.client(account, "ssm-contacts")
    contact = contacts.create_contact(Alias=f"race-{uuid.uuid4().hex[:8]}", Type="PERSONAL", Plan={"Stages": []})
    channel = contacts.create_contact_channel(
        ContactId=contact["ContactArn"],
        Name="mail",
        Type="EMAIL",
        DeliveryAddress={"SimpleAddress": "race@example.com"},
        DeferActivation=True,
    )["ContactChannelArn"]
    url = server.database_url
    log = server.workdir / f"server-{server.port}.log"
    logged_before = log.stat().st_size
    with psycopg.connect(url) as deleting, ThreadPoolExecutor(max_workers=1) as pool:
        deleting.execute("DELETE FROM contact_channels WHERE arn = %s", (channel,))
        waiting = pool.submit(_outcome, contacts.deactivate_contact_channel, ContactChannelId=channel)
        with psycopg.connect(url, autocommit=True) as watching:
            wait_until(
                lambda: watching.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%contact_channels%'"
                ).fetchone()
            )
        deleting.commit()

        assert waiting.result(timeout=30) == "ResourceNotFoundException"
    # Not by way of a failed request that the server ran again alone: the first run already found no channel.
    with log.open("rb") as logged:
        logged.seek(logged_before)
        assert b"Traceback" not in logged.read()


def test_a_page_that_is_gone_has_no_count_of_wrong_codes(own_database: str) -> None:
    db = Database(own_database)
    try:
        with db.write() as conn:
            found = page_codes.wrong_codes(conn, "111122223333", "arn:aws:ssm-contacts:us-east-1:111122223333:page/x/y")
    finally:
        db.dispose()

    assert found is None  # AcceptPage answers ResourceNotFoundException for it, where it used to fail on None
