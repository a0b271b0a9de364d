"""Fixtures for notification tests: loopback receivers, an SMTP sink, and a server subscribed to them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from notify_support import Tenant, new_tenant, notifying_server
from receivers import Recorder

from mailsink import MailSink
from support import Server


@pytest.fixture(scope="module")
def recorder(own_database: str) -> Iterator[Recorder]:
    """The HTTP receiver every tenant's Slack, Teams, Mattermost and HTTPS subscribers post to.

    One per database kind, like the server: both servers' tenants have the same accounts and paths.
    """
    running = Recorder().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sink(own_database: str) -> Iterator[MailSink]:
    """A real SMTP server that keeps every mail (one per database kind, as the recorder)."""
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def silent_url() -> Iterator[str]:
    """A URL whose server accepts connections (into its backlog) and never answers: a hanging receiver."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hangs"


@pytest.fixture(scope="module")
def notify_server(
    own_database: str,
    recorder: Recorder,
    sink: MailSink,
    silent_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """A running server with [[sns_topics]] for its tenants, on a database of its own."""
    running = notifying_server(own_database, tmp_path_factory.mktemp("notify"), recorder, sink, silent_url).start()
    yield running
    running.stop()


@pytest.fixture
def tenant(notify_server: Server) -> Tenant:
    """A fresh onboarded account of the notifying server."""
    return new_tenant(notify_server)


@pytest.fixture
def other_tenant(notify_server: Server) -> Tenant:
    """A second fresh account, for tenancy tests."""
    return new_tenant(notify_server)
