"""Fixtures of the outbox tests: a server in development mode on a database of its own, onboarded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from outbox_support import DEV, dev_server

from paging.paging_support import onboard
from support import Server


@pytest.fixture(scope="module")
def dev(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server in development mode (no credentials, no SMTP), its account onboarded."""
    running = dev_server(own_database, tmp_path_factory.mktemp("dev")).start()
    onboard(running, DEV)
    yield running
    running.stop()
