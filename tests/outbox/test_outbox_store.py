"""The outbox table: entries read back oldest first per account, and at most a bounded number kept per account."""

from __future__ import annotations

from incidentd.domain.addresses import masked
from incidentd.store import outbox
from incidentd.store.db import Database


def _entry(account: str, n: int) -> outbox.Entry:
    return outbox.Entry(
        id=0,
        account_id=account,
        created_ms=1_700_000_000_000 + n,
        kind="activation",
        channel_type="EMAIL",
        address=f"person{n}@example.com",
        subject=f"channel {n}",
        text=f"Activation code: {n:06d}\n",
        code=f"{n:06d}",
        reference=f"arn:aws:ssm-contacts:us-east-1:{account}:contact-channel/p/{n}",
    )


def test_each_account_keeps_only_its_newest_entries(own_database: str) -> None:
    db = Database(own_database)
    busy, quiet = "210000000001", "210000000002"
    with db.write() as conn:
        for n in range(3):
            outbox.add(conn, _entry(quiet, n))
        for n in range(10):
            outbox.add(conn, _entry(busy, n), keep=4)
    with db.read() as conn:
        kept = outbox.since(conn, 0, busy)
        theirs = outbox.since(conn, 0, quiet)
    db.dispose()
    assert [e.code for e in kept] == ["000006", "000007", "000008", "000009"]  # the newest four, oldest first
    assert [e.code for e in theirs] == ["000000", "000001", "000002"]  # another account's are not pruned


def test_the_default_bound_is_a_thousand_per_account(own_database: str) -> None:
    db = Database(own_database)
    account = "210000000003"
    with db.write() as conn:
        for n in range(outbox.KEEP_PER_ACCOUNT + 5):
            outbox.add(conn, _entry(account, n))
    with db.read() as conn:
        kept = outbox.since(conn, 0, account)
        newest = outbox.newest(conn, account, 2)
    db.dispose()
    assert len(kept) == outbox.KEEP_PER_ACCOUNT == 1000
    assert kept[0].code == "000005" and kept[-1].code == f"{outbox.KEEP_PER_ACCOUNT + 4:06d}"
    assert [e.code for e in newest] == [f"{outbox.KEEP_PER_ACCOUNT + 4:06d}", f"{outbox.KEEP_PER_ACCOUNT + 3:06d}"]


def test_addresses_are_masked_for_logs() -> None:
    assert masked("alice@example.com") == "a***@example.com"
    assert masked("+15555554567") == "+1******4567"
    assert masked("+4915112345678") == "+4********5678"
    assert masked("12345") == "1****"
