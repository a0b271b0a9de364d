"""Slow clients: each request must arrive whole in time, and a process keeps a bounded number of connections.

uvicorn times out idle keep-alive connections only: a client that trickles its headers, or sends half a body, or
connects and says nothing, holds its connection (and a file descriptor) forever. GuardedProtocol is uvicorn's
httptools protocol with a deadline for each request's arrival, from the connection's start or the request's first
byte to the end of its body, and with new connections beyond a bound answered 503 and closed at once.
"""

from __future__ import annotations

import asyncio
import logging
import time

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from incidentd.config.sections import ServerSettings

log = logging.getLogger("incidentd.server")


def _answer(status: bytes, text: bytes, extra_headers: bytes = b"") -> bytes:
    """A complete plain-text answer that closes the connection."""
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
        + extra_headers
        + b"content-length: "
        + str(len(text)).encode()
        + b"\r\n\r\n"
        + text
    )


# Sent straight away to a connection beyond the bound, before its request is read: nothing of it is kept.
REFUSAL = _answer(b"503 Service Unavailable", b"too many connections: retry in a moment\n", b"retry-after: 1\r\n")
TIMED_OUT = _answer(b"408 Request Timeout", b"the request did not arrive in time\n")
NOTICE_INTERVAL_SECONDS = 60.0


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's arrival and a bound on connections."""

    request_timeout: float = ServerSettings.request_timeout_seconds
    max_connections: int = ServerSettings.max_connections

    # Per connection, set on the instance as the connection goes; class defaults save an __init__. A request costs
    # a clock read and two attribute writes: the one timer of a connection is re-armed only when it fires.
    _timer: asyncio.TimerHandle | None = None
    _deadline = 0.0
    _arriving = False  # a request has begun and its body is not all here yet

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            _notices.refused()
            transport.write(REFUSAL)
            transport.close()
            return
        # A connection that never sends a byte is timed out too.
        self._arriving = True
        self._deadline = self.loop.time() + self.request_timeout
        self._timer = self.loop.call_at(self._deadline, self._check_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._arriving:
            self._arriving = True
            self._deadline = self.loop.time() + self.request_timeout
            if self._timer is None:
                self._timer = self.loop.call_at(self._deadline, self._check_deadline)

    def on_message_complete(self) -> None:
        # The request is all here: from now on the application takes as long as it takes.
        self._arriving = False
        super().on_message_complete()

    def _check_deadline(self) -> None:
        self._timer = None
        if not self._arriving or self.transport.is_closing():
            return  # idle between requests: uvicorn's keep-alive timeout has that; the next request re-arms
        if self.loop.time() < self._deadline:
            self._timer = self.loop.call_at(self._deadline, self._check_deadline)  # a later request's deadline
            return
        _notices.timed_out()
        cycle = self.cycle
        headers_done = cycle is not None and cycle.scope is self.scope
        if self.headers is None or self.pipeline:
            pass  # no request begun (nothing to answer), or an earlier answer still on its way (don't cut into it)
        elif not headers_done and (cycle is None or cycle.response_complete):
            self.transport.write(TIMED_OUT)
        elif headers_done and cycle is not None and not cycle.response_started:
            # The application waits for the rest of the body: it hears of a disconnect and its answer goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
            self.transport.write(TIMED_OUT)
        self.transport.close()


def guarded_protocol(settings: ServerSettings) -> type[GuardedProtocol]:
    """The protocol class with the [server] section's request timeout and connection bound."""

    class ConfiguredProtocol(GuardedProtocol):
        request_timeout = settings.request_timeout_seconds
        max_connections = settings.max_connections

    return ConfiguredProtocol


class _Notices:
    """Says at most once a minute how many connections were cut off or refused: an attack must not flood the log."""

    def __init__(self) -> None:
        self.timed_out_count = 0
        self.refused_count = 0
        self.last = 0.0

    def timed_out(self) -> None:
        self.timed_out_count += 1
        self._maybe_log()

    def refused(self) -> None:
        self.refused_count += 1
        self._maybe_log()

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if now - self.last < NOTICE_INTERVAL_SECONDS:
            return
        self.last = now
        if self.timed_out_count:
            log.warning(
                "closed %d connection(s) whose request did not arrive within [server] request_timeout_seconds",
                self.timed_out_count,
            )
        if self.refused_count:
            log.warning("refused %d connection(s) beyond [server] max_connections", self.refused_count)
        self.timed_out_count = self.refused_count = 0


_notices = _Notices()
