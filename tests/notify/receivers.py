"""A recording HTTP server on loopback that stands in for Slack, Teams, Mattermost and HTTPS receivers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import loopback_http


@dataclass(frozen=True)
class Received:
    """One request the recorder got, and what it answered."""

    at: float  # time.monotonic() when it arrived
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        """Whether it was answered with a 2xx."""
        return 200 <= self.status < 300


class Recorder:
    """Records every request by path; a path can be told to fail some times, or to answer late."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._failures: dict[str, list[int]] = {}
        self._delays: dict[str, float] = {}
        self._changed = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
                recorder._answer(self, "POST")

            def do_GET(self) -> None:  # noqa: N802
                recorder._answer(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._handler = Handler
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> Recorder:
        """Serve in a thread."""
        self._server = loopback_http.serve(self._handler)
        self.url = loopback_http.origin(self._server)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            loopback_http.close(self._server)
            self._server = None

    def fail(self, path: str, times: int, status: int = 500) -> None:
        """Answer the next `times` requests to a path with `status` (then 200 again)."""
        with self._changed:
            self._failures[path] = [status] * times

    def delay(self, path: str, seconds: float) -> None:
        """Answer requests to a path only after `seconds`, like a receiver that hangs."""
        with self._changed:
            self._delays[path] = seconds

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        path = handler.path
        with self._changed:
            pending = self._failures.get(path)
            status = pending.pop(0) if pending else 200
            pause = self._delays.get(path, 0.0)
        if pause:
            time.sleep(pause)
        answer = b"ok" if status < 300 else b'{"error": "scripted failure"}'
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)
        received = Received(
            time.monotonic(), method, path, {k.lower(): v for k, v in handler.headers.items()}, body, status
        )
        with self._changed:
            self.requests.append(received)
            self._changed.notify_all()

    def to(self, path: str) -> list[Received]:
        """Every request to a path so far, answered or refused."""
        with self._changed:
            return [r for r in self.requests if r.path == path]

    def delivered(self, path: str) -> list[Received]:
        """The requests to a path that were answered with a 2xx."""
        return [r for r in self.to(path) if r.ok]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        """Block until predicate() is truthy; its value."""
        return loopback_http.wait_for(self._changed, predicate, timeout, lambda: [r.path for r in self.requests])

    def wait_delivered(self, path: str, count: int = 1, timeout: float = 15) -> list[Received]:
        """Block until `count` requests to a path were answered with a 2xx; all of them."""
        return self.wait_for(lambda: (found := self.delivered(path))[count - 1 :] and found, timeout)  # type: ignore[no-any-return]


def down_url(path: str = "/") -> str:
    """A URL on a loopback port that nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return f"http://127.0.0.1:{port}{path}"
