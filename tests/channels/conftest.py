"""Fixtures for the transport tests: loopback ports, an HTTP receiver, a TLS certificate."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from channel_support import Certificate, Receiver, free_port, make_certificate, serve_http


@pytest.fixture
def closed_port() -> int:
    """A port that refuses connections."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (into the backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP receiver on loopback for the duration of a test."""
    with serve_http() as running:
        yield running


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, made for this run."""
    return make_certificate(tmp_path_factory.mktemp("tls"))
