"""Slow clients: a request that does not arrive whole in time is cut off, and a process holds a bounded number of
connections, while ordinary clients are served meanwhile."""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Iterator

import pytest

from incidentd import config
from support import Account, Server

REQUEST_TIMEOUT = 3
# Generous: the server checks at the deadline; the rest is for a loaded machine.
GRACE = 5


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that gives a request 3 s to arrive."""
    folder = tmp_path_factory.mktemp("slow")
    config = f"[server]\nrequest_timeout_seconds = {REQUEST_TIMEOUT}\n"
    running = Server(f"sqlite:///{folder / 'incidentd.db'}", folder, config).start()
    yield running
    running.stop()


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.setblocking(False)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed the connection (EOF or reset); a 408 before the close is fine."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
            assert data.startswith(b"HTTP/1.1 408"), data
    except BlockingIOError:
        return False
    except ConnectionError:
        return True


def _send(sock: socket.socket, data: bytes) -> bool:
    """Send while the server still listens; False once it has closed the connection."""
    try:
        sock.sendall(data)
        return True
    except (BlockingIOError, ConnectionError):
        return False


def _hold(server: Server, sockets: dict[socket.socket, bytes], account: Account) -> dict[socket.socket, float]:
    """Trickle each socket's bytes once a second until the server closes it; when each was closed.

    Halfway through, an ordinary boto3 client must still be answered.
    """
    opened = time.monotonic()
    closed: dict[socket.socket, float] = {}
    served = False
    selector = selectors.DefaultSelector()
    for sock in sockets:
        selector.register(sock, selectors.EVENT_READ, sock)
    while len(closed) < len(sockets) and time.monotonic() < opened + REQUEST_TIMEOUT + GRACE + 5:
        for key, _ in selector.select(timeout=1):
            readable = key.data
            if readable not in closed and _closed_by_server(readable):
                closed[readable] = time.monotonic() - opened
                selector.unregister(readable)
        for sock, trickle in sockets.items():
            if sock not in closed and trickle and not _send(sock, trickle):
                closed[sock] = time.monotonic() - opened
                selector.unregister(sock)
        if not served and time.monotonic() > opened + 1:
            assert server.client(account).list_replication_sets()["replicationSetArns"] == []
            served = True
    selector.close()
    for sock in sockets:
        sock.close()
    assert served
    return closed


def test_headers_trickled_a_line_a_second_are_cut_off_after_the_request_timeout(
    quick_server: Server, account: Account
) -> None:
    sockets: dict[socket.socket, bytes] = {}
    for number in range(50):
        sock = _connect(quick_server)
        _send(sock, b"POST / HTTP/1.1\r\nHost: x\r\n")
        sockets[sock] = f"X-Slow-{number}: a\r\n".encode()
    silent = [_connect(quick_server) for _ in range(5)]  # connected, and never a byte
    sockets.update({sock: b"" for sock in silent})
    closed = _hold(quick_server, sockets, account)
    assert len(closed) == len(sockets), f"{len(sockets) - len(closed)} of {len(sockets)} connections still open"
    assert max(closed.values()) < REQUEST_TIMEOUT + GRACE


def test_a_half_sent_body_is_cut_off_after_the_request_timeout(quick_server: Server, account: Account) -> None:
    sockets: dict[socket.socket, bytes] = {}
    for _ in range(20):
        sock = _connect(quick_server)
        _send(sock, b"POST /ingest/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"{" * 500)
        sockets[sock] = b" "
    closed = _hold(quick_server, sockets, account)
    assert len(closed) == len(sockets), f"{len(sockets) - len(closed)} of {len(sockets)} connections still open"
    assert max(closed.values()) < REQUEST_TIMEOUT + GRACE


def test_a_slow_body_gets_408_before_the_close(quick_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=REQUEST_TIMEOUT + GRACE) as sock:
        sock.sendall(b"POST /ingest/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in answer.lower()


def test_a_request_that_arrives_in_time_is_answered_however_long_its_answer_takes(
    quick_server: Server, account: Account
) -> None:
    # The timeout covers reading the request, not keeping a connection for the next one: boto3 reuses it.
    incidents = quick_server.client(account)
    incidents.list_replication_sets()
    time.sleep(REQUEST_TIMEOUT + 1)
    assert incidents.list_replication_sets()["replicationSetArns"] == []


MAX_CONNECTIONS = 8


@pytest.fixture(scope="module")
def bounded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that holds at most 8 connections."""
    folder = tmp_path_factory.mktemp("bounded")
    config = f"[server]\nmax_connections = {MAX_CONNECTIONS}\n"
    running = Server(f"sqlite:///{folder / 'incidentd.db'}", folder, config).start()
    yield running
    running.stop()


def test_connections_beyond_the_bound_are_refused_and_served_again_once_others_close(
    bounded_server: Server, account: Account
) -> None:
    held = [socket.create_connection(("127.0.0.1", bounded_server.port), timeout=5) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.5)  # the server has taken them all in
        extra = socket.create_connection(("127.0.0.1", bounded_server.port), timeout=5)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        try:
            while chunk := extra.recv(4096):
                answer += chunk
        except ConnectionError:
            pass
        extra.close()
        # Refused: a 503 or, when the close overtook the answer, nothing at all; never served.
        assert answer == b"" or answer.startswith(b"HTTP/1.1 503 "), answer
        with pytest.raises(Exception) as refused:
            bounded_server.client(account).list_replication_sets()
        assert "503" in str(refused.value) or "onnection" in str(refused.value), refused.value
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    assert bounded_server.client(account).list_replication_sets()["replicationSetArns"] == []


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"request_timeout_seconds": 0}, "request_timeout_seconds"),
        ({"request_timeout_seconds": "soon"}, "request_timeout_seconds"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_connections": 1.5}, "max_connections"),
        ({"max_connections": True}, "max_connections"),
    ],
)
def test_settings_that_make_no_sense_stop_the_server_at_start(raw: dict[str, object], named: str) -> None:
    with pytest.raises(config.ConfigError, match=named):
        config.from_toml({"server": raw})


def test_the_settings_default_to_30_seconds_and_1000_connections() -> None:
    server = config.from_toml({}).server
    assert (server.request_timeout_seconds, server.max_connections) == (30.0, 1000)
