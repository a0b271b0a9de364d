"""Fixtures for paging through a real server: an SMTP sink on loopback and a server that mails through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from paging_support import mailing_server

from mailsink import MailSink
from support import Server


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def paging_server(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server that pages by e-mail through the sink, on a database of its own.

    Not the shared test server's database: that server's worker has no SMTP and would claim these pages.
    """
    running = mailing_server(own_database, tmp_path_factory.mktemp("paging"), sink).start()
    yield running
    running.stop()
