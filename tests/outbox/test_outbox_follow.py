"""`incidentd outbox --follow` prints entries as they arrive and ends quietly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from incidentd.store import migrate, outbox
from incidentd.store.db import Database


def _entry(account: str, code: str) -> outbox.Entry:
    return outbox.Entry(
        id=0,
        account_id=account,
        created_ms=1_700_000_000_000,
        kind="page",
        channel_type="SMS",
        address="+15555550123",
        subject="Disk full",
        text=f"Disk full\n\nAccept code: {code}\n",
        code=code,
        reference=f"arn:aws:ssm-contacts:us-east-1:{account}:page/dana/{code}",
    )


def test_follow_prints_new_entries_of_its_account_until_interrupted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'incidentd.db'}"
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as conn:
        outbox.add(conn, _entry("111122223333", "100001"))
    command = [sys.executable, "-m", "incidentd.cli", "outbox", "--database", url, "--follow", "--json"]
    follower = subprocess.Popen(
        [*command, "--account", "111122223333"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert follower.stdout is not None
        assert json.loads(follower.stdout.readline())["code"] == "100001"  # what was there already
        with db.write() as conn:
            outbox.add(conn, _entry("444455556666", "200002"))  # another account's: not shown
            outbox.add(conn, _entry("111122223333", "300003"))
        assert json.loads(follower.stdout.readline())["code"] == "300003"
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.communicate()
        db.dispose()
    assert follower.returncode == 0
    assert out == "" and "Traceback" not in err


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'incidentd.db'}"
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as conn:
        for n in range(500):
            outbox.add(conn, _entry("111122223333", f"{n:06d}"))
    db.dispose()
    command = [sys.executable, "-m", "incidentd.cli", "outbox", "--database", url]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stderr is not None
    first = reader.stdout.readline()
    reader.stdout.close()  # like `| head -1`

    assert reader.wait(timeout=30) == 0
    assert "page to SMS" in first and "Traceback" not in reader.stderr.read()
    reader.stderr.close()
