"""`incidentd outbox`: print the development outbox (pages, activation codes, notices), oldest first, or follow it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime

from incidentd import config
from incidentd.ops import database_check
from incidentd.store import outbox
from incidentd.store.db import Database

log = logging.getLogger("incidentd")

FOLLOW_SECONDS = 0.5
WAIT_SECONDS = 30  # --wait: how long to wait for a first entry, e.g. the page of an incident just started
KINDS = ("page", "activation", "notification")
ACCOUNT = re.compile(r"^[0-9]{12}$")
EMPTY = (
    "the outbox is empty: in development mode (no credentials configured) pages, activation codes and chat notices "
    "that have no transport (SMTP, Twilio, SNS topic subscribers) are kept here"
)


def _account(text: str) -> str:
    if not ACCOUNT.match(text):
        raise argparse.ArgumentTypeError("must be a 12-digit account id")
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a whole number, 1 or more")
    return int(text)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """The `outbox` command's options."""
    sub.add_argument("--account", type=_account, help="only this account's entries (12 digits; default: every account)")
    sub.add_argument("--kind", choices=KINDS, help="only entries of this kind (default: every kind)")
    sub.add_argument("--follow", action="store_true", help="keep printing new entries until Ctrl-C")
    sub.add_argument(
        "--wait",
        action="store_true",
        help=f"when no entry matches yet, wait up to {WAIT_SECONDS} s for one (default: answer at once)",
    )
    sub.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    sub.add_argument(
        "--limit", type=_positive, help="only the newest N entries (default: all, at most 1000 per account)"
    )


def run(args: argparse.Namespace, settings: config.Settings) -> int:
    """Carry out `incidentd outbox`; the exit status."""
    # Like check-paging it only reads: it never creates or migrates a database, and one at another schema would
    # be misread.
    # Quiet about where the database is: a script reading codes from the outbox wants only the entries. An empty
    # outbox names the database instead, which is where a reader looking at the wrong one finds out.
    db = database_check.open_database(settings, create=False, announce=False)
    try:
        problem = database_check.schema_problem(db)
        if problem is not None:
            log.error("can't read the outbox: the database %s; `incidentd migrate` brings it up to date", problem)
            return 2
        entries = _first(db, args.account, args.limit, args.kind)
        if not entries and args.wait:
            entries = _wait_for_first(db, args.account, args.limit, args.kind)
            if not entries:
                log.error("nothing arrived in the outbox within %s s", WAIT_SECONDS)
                return 1
        if not entries and not args.follow:
            # With --json the hint goes to stderr: stdout stays one JSON object per line (here: none).
            where = database_check.location(database_check.parse(settings.database_url))
            print(f"{EMPTY} (database {where})", file=sys.stderr if args.json else sys.stdout)
        _print(entries, args.json)
        if args.follow:
            _follow(db, args.account, args.kind, entries[-1].id if entries else _last_id(db), args.json)
        return 0
    except BrokenPipeError:
        # The reader stopped reading (`| head`): nothing more to say, and no traceback at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        db.dispose()


def _first(db: Database, account: str | None, limit: int | None, kind: str | None) -> list[outbox.Entry]:
    """What is in the outbox now, oldest first: all of it, or the newest `limit` entries."""
    with db.read() as conn:
        if limit is None:
            return outbox.since(conn, 0, account, kind=kind)
        return list(reversed(outbox.newest(conn, account, limit, kind)))


def _wait_for_first(db: Database, account: str | None, limit: int | None, kind: str | None) -> list[outbox.Entry]:
    """The entries once there is one, polling; none if WAIT_SECONDS pass first."""
    # The job engine sends a moment after the API call answers: a script that reads a code right after the call
    # that sends it would otherwise race the engine.
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(FOLLOW_SECONDS / 5)
        entries = _first(db, account, limit, kind)
        if entries:
            return entries
    return []


def _last_id(db: Database) -> int:
    """The id of the newest entry of any account, so that following starts after it."""
    with db.read() as conn:
        found = outbox.newest(conn, None, 1)
    return found[0].id if found else 0


def _follow(db: Database, account: str | None, kind: str | None, after: int, as_json: bool) -> None:
    """Print new entries as they arrive, until Ctrl-C."""
    try:
        while True:
            time.sleep(FOLLOW_SECONDS)
            with db.read() as conn:
                entries = outbox.since(conn, after, account, kind=kind)
            if entries:
                _print(entries, as_json)
                after = entries[-1].id
    except KeyboardInterrupt:
        pass


def _print(entries: list[outbox.Entry], as_json: bool) -> None:
    for entry in entries:
        print(json.dumps(_as_json(entry), ensure_ascii=False) if as_json else render(entry), flush=True)


def _as_json(entry: outbox.Entry) -> dict[str, str | int]:
    return {"time": _utc(entry.created_ms), **entry.as_dict()}


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def render(entry: outbox.Entry) -> str:
    """An entry as text: a header line (time, kind, channel type, the full address), then subject and text indented."""
    to = f"{entry.kind} to {entry.channel_type} {entry.address}"
    header = f"{_utc(entry.created_ms)}  {to}  (account {entry.account_id})"
    body = [entry.subject, "", *entry.text.rstrip("\n").splitlines()]
    return "\n".join([header, *(f"    {line}" if line else "" for line in body), ""])
