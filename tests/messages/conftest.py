"""Fixtures of the message tests: an SMTP sink and a server that pages by e-mail through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from messages_support import mailing_server

from mailsink import MailSink
from support import Server


@pytest.fixture(scope="module")
def sink(own_database: str) -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail (one per database kind, as the server)."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mailing(own_database: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running server that pages by e-mail through the sink, on a database of its own."""
    running = mailing_server(own_database, tmp_path_factory.mktemp("messages"), sink).start()
    yield running
    running.stop()
