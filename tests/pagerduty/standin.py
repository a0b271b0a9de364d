"""A loopback HTTP server that answers like PagerDuty's REST API v2 incidents resource and records every request.

Point `[pagerduty] base_url` at `PagerDutyStandIn.url`. It checks what PagerDuty checks first: the
`Authorization: Token token=…` header (401 otherwise) and a `From` header naming a known user (400 otherwise).
`POST /incidents` opens an incident on a service and answers 201; a second open incident with the same
`incident_key` on a service is refused with 400, as PagerDuty refuses it. `GET /incidents` lists by
`incident_key`, `service_ids[]` and `statuses[]`; `GET`/`PUT /incidents/{id}` read and resolve one.
`fail(service, …)` scripts the answers to the next creations on one service, so tests don't disturb each other.
The error bodies have PagerDuty's shape ({"error": {"message", "code", "errors"}}); their wording is approximate.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import loopback_http

TOKEN = "u+standin-pagerduty-token"
FROM = "oncall@example.com"
HOLD_LIMIT = 8.0  # seconds a held answer waits at most (incidentd gives up on PagerDuty after 10 s)


@dataclass(frozen=True)
class PdRequest:
    """One request the stand-in received and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int

    @property
    def service(self) -> str | None:
        """The service id of a creation."""
        return ((self.body.get("incident") or {}).get("service") or {}).get("id")


@dataclass
class PdIncident:
    """An incident as the stand-in keeps it."""

    id: str
    title: str
    service: str
    incident_key: str
    details: str
    status: str = "triggered"
    resolved_by: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "incident",
            "title": self.title,
            "status": self.status,
            "incident_key": self.incident_key,
            "service": {"id": self.service, "type": "service_reference"},
            "html_url": f"https://example.pagerduty.com/incidents/{self.id}",
        }


class PagerDutyStandIn:
    """PagerDuty's incidents resource on 127.0.0.1 for one API token and one requester."""

    def __init__(self, token: str = TOKEN, from_email: str = FROM) -> None:
        self.token = token
        self.from_email = from_email
        self.requests: list[PdRequest] = []
        self.incidents: dict[str, PdIncident] = {}
        self._ids = itertools.count(1)
        self._scripts: dict[str, list[tuple[int, bool]]] = {}  # service -> [(status, create anyway)]
        self._gates: dict[str, threading.Event] = {}
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> PagerDutyStandIn:
        """Listen on a free loopback port."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length) if length else b""
                status, answer, gate = standin._answer(self.command, self.path, dict(self.headers.items()), raw)
                if gate is not None:
                    gate.wait(HOLD_LIMIT)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _serve  # noqa: N815 (http.server's hook names)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = loopback_http.serve(Handler)
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            with self._changed:
                for gate in self._gates.values():
                    gate.set()
            loopback_http.close(self._server)
            self._server = None

    @property
    def url(self) -> str:
        """The base URL for `[pagerduty] base_url`."""
        assert self._server is not None, "not started"
        return loopback_http.origin(self._server)

    # --- scripting and inspecting ---------------------------------------------------------------------------

    def fail(self, service: str, status: int, times: int = 1, create_anyway: bool = False) -> None:
        """Answer the next creations on a service with this status; create_anyway opens the incident regardless
        (an answer lost after PagerDuty acted)."""
        with self._changed:
            self._scripts.setdefault(service, []).extend([(status, create_anyway)] * times)

    def hold(self, service: str) -> threading.Event:
        """Keep creations on a service waiting for their answer (they take effect at once) until the event is set."""
        gate = threading.Event()
        with self._changed:
            self._gates[service] = gate
        return gate

    def creations(self, service: str) -> list[PdRequest]:
        """The POST /incidents requests for one service so far."""
        with self._changed:
            return [r for r in self.requests if r.method == "POST" and r.service == service]

    def on_service(self, service: str) -> list[PdIncident]:
        """The incidents opened on one service."""
        with self._changed:
            return [i for i in self.incidents.values() if i.service == service]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        """Block until predicate() is truthy (it is called under the stand-in's lock); its value."""
        return loopback_http.wait_for(
            self._changed, predicate, timeout, lambda: [(r.method, r.path) for r in self.requests]
        )

    def _answer(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], threading.Event | None]:
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        with self._changed:
            status, answer, gate = self._decide(method, path, headers, body)
            self.requests.append(PdRequest(method, path, headers, body, status))
            self._changed.notify_all()
        return status, answer, gate

    def _decide(
        self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], threading.Event | None]:
        if headers.get("Authorization") != f"Token token={self.token}":
            return 401, _error("Authentication failed", 2006), None
        parts = urllib.parse.urlsplit(path)
        segments = [s for s in parts.path.split("/") if s]
        if method in ("POST", "PUT") and headers.get("From") != self.from_email:
            return 400, _error("Invalid Input Provided", 2001, "Requester User Not Found"), None
        if segments == ["incidents"] and method == "POST":
            return self._create(body)
        if segments == ["incidents"] and method == "GET":
            query = urllib.parse.parse_qs(parts.query)
            found = [
                i.json()
                for i in self.incidents.values()
                if i.incident_key in query.get("incident_key", [i.incident_key])
                and i.service in query.get("service_ids[]", [i.service])
                and i.status in query.get("statuses[]", [i.status])
            ]
            return 200, {"incidents": found, "limit": 25, "offset": 0, "more": False}, None
        if len(segments) == 2 and segments[0] == "incidents" and segments[1] in self.incidents:
            incident = self.incidents[segments[1]]
            if method == "PUT":
                status = (body.get("incident") or {}).get("status")
                if status != "resolved":
                    return 400, _error("Invalid Input Provided", 2001, "status must be resolved here"), None
                incident.status = "resolved"
                incident.resolved_by.append(headers.get("From", ""))
            return 200, {"incident": incident.json()}, None
        return 404, _error("Not Found", 2100), None

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], threading.Event | None]:
        incident = body.get("incident") or {}
        service = (incident.get("service") or {}).get("id")
        if incident.get("type") != "incident" or not incident.get("title") or not service:
            return 400, _error("Invalid Input Provided", 2001, "Title cannot be empty."), None
        key = incident.get("incident_key") or f"generated-{next(self._ids)}"
        scripted = self._scripts.get(service)
        status, create_anyway = scripted.pop(0) if scripted else (201, True)
        if status != 201 and not create_anyway:
            return status, _error("Scripted failure", 2000 + status), None
        open_keys = {(i.incident_key, i.service) for i in self.incidents.values() if i.status != "resolved"}
        if (key, service) in open_keys:
            return 400, _error("Invalid Input Provided", 2001, f"Open incident with key '{key}' already exists."), None
        details = (incident.get("body") or {}).get("details", "")
        created = PdIncident(f"PSTAND{next(self._ids):04d}", incident["title"], service, key, details)
        self.incidents[created.id] = created
        if status != 201:
            return status, _error("Scripted failure after creating", 2000 + status), None
        return 201, {"incident": created.json()}, self._gates.get(service)


def _error(message: str, code: int, *errors: str) -> dict[str, Any]:
    return {"error": {"message": message, "code": code, "errors": list(errors)}}
