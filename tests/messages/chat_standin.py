"""A Slack stand-in on loopback: it keeps the JSON of every message posted to it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

import loopback_http


class ChatStandIn:
    """Answers every POST with 200 and keeps its JSON body, by path."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._changed = threading.Condition()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with standin._changed:
                    standin.messages.append((self.path, json.loads(body)))
                    standin._changed.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = loopback_http.serve(Handler)
        self.url = loopback_http.origin(self._server)

    def stop(self) -> None:
        """Stop serving and free the port."""
        loopback_http.close(self._server)

    def wait_for(self, path: str, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
        """Block until `count` messages were posted to the path; all of them, oldest first."""

        def posted() -> list[dict[str, Any]]:
            return [body for where, body in self.messages if where == path]

        found = loopback_http.wait_for(self._changed, lambda: posted()[count - 1 :] and posted(), timeout, posted)
        return found  # type: ignore[no-any-return]
