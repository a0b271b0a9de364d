"""The plumbing every HTTP stand-in on loopback shares: a threaded server, and waiting for what it recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A server on a free loopback port, answering in daemon threads from now on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server


def close(server: ThreadingHTTPServer) -> None:
    """Stop serving and free the port."""
    server.shutdown()
    server.server_close()


def origin(server: ThreadingHTTPServer) -> str:
    """http://127.0.0.1:<port>, without a trailing slash."""
    return f"http://127.0.0.1:{server.server_address[1]}"


def wait_for(
    changed: threading.Condition, predicate: Callable[[], Any], timeout: float, seen: Callable[[], object]
) -> Any:
    """Block until predicate() (called holding `changed`) is truthy; its value. On timeout, say what was seen."""
    deadline = time.monotonic() + timeout
    with changed:
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"not within {timeout}s; seen: {seen()}")
            changed.wait(remaining)
