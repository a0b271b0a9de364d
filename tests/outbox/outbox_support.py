"""Helpers of the outbox tests: a server in development mode, and the outbox as `incidentd outbox --json` prints it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import Account, Server, wait_until

DEV = Account("test", "test", "000000000000")  # the development key pair a server without credentials accepts
DEV_CONFIG = """
[replication]
settle_seconds = 0.2
"""


def dev_server(database_url: str, workdir: Path, config_text: str = DEV_CONFIG, **env: str) -> Server:
    """A server (not started) with no credentials configured: development mode, on loopback."""
    return Server(database_url, workdir, config_text, extra_env=env, test_credentials=False)


def outbox_command(database_url: str, *options: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `incidentd outbox` on a database as a user does, in a process of its own."""
    command = [sys.executable, "-m", "incidentd.cli", "outbox", "--database", database_url, *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def outbox_entries(database_url: str, *options: str) -> list[dict[str, Any]]:
    """The outbox's entries, oldest first, from `incidentd outbox --json`."""
    lines = outbox_command(database_url, "--json", *options).stdout.splitlines()
    return [json.loads(line) for line in lines]


def entry_for(database_url: str, reference: str, kind: str) -> dict[str, Any]:
    """Wait for the outbox entry of a page, a channel or an incident, and return it."""

    def found() -> dict[str, Any] | None:
        entries = outbox_entries(database_url)
        return next((e for e in entries if e["reference"] == reference and e["kind"] == kind), None)

    entry: dict[str, Any] = wait_until(found, timeout=30)
    return entry
