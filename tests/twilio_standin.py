"""A loopback HTTP server that answers like Twilio's Messages.json and Calls.json and records every request.

Point INCIDENTD_TWILIO_BASE_URL at `TwilioStandIn.url`. It answers a POST to
`/2010-04-01/Accounts/<sid>/Messages.json` or `.../Calls.json` with 201 and a Twilio-like resource whose `sid`
starts with SM or CA, as Twilio does; a wrong account or auth token gets Twilio's 401 (code 20003), another
path its 404 (code 20404). `fail(number, ...)` makes the next requests to one number fail, so that one stand-in
can serve a whole module of tests that each use their own numbers.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SID = "AC00000000000000000000000000000042"
TOKEN = "standin-auth-token"
FROM = "+15005550006"
HOLD_LIMIT = 8.0  # seconds a held answer waits at most: incidentd's Twilio timeout is 10 s

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json$")
_PREFIX = {"Messages": "SM", "Calls": "CA"}


@dataclass(frozen=True)
class TwilioRequest:
    """One request the stand-in received, and what it answered."""

    received: float  # time.time()
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the stand-in answered
    sid: str | None  # the sid it answered with, on success

    @property
    def resource(self) -> str | None:
        """ "Messages" or "Calls", or None for any other path."""
        found = _PATH.match(self.path)
        return found.group("resource") if found else None

    @property
    def account(self) -> str | None:
        """The account SID in the path."""
        found = _PATH.match(self.path)
        return urllib.parse.unquote(found.group("account")) if found else None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """The user and password of the Authorization header, if it is Basic."""
        kind, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if kind != "Basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password

    @property
    def form(self) -> dict[str, str]:
        """The form fields of the body (each may appear only once)."""
        parsed = urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True)
        assert all(len(values) == 1 for values in parsed.values()), parsed
        return {name: values[0] for name, values in parsed.items()}

    @property
    def to(self) -> str:
        """The To number."""
        return urllib.parse.parse_qs(self.body.decode(errors="replace")).get("To", [""])[0]

    @property
    def text(self) -> str:
        """What the recipient reads or hears: an SMS's Body, or the <Say> texts of a call's TwiML joined by spaces."""
        if self.resource == "Calls":
            root = ET.fromstring(self.form["Twiml"])
            return " ".join(say.text or "" for say in root.iter("Say"))
        return self.form.get("Body", "")

    def code(self) -> str:
        """The accept or activation code: 'Accept code: 123456' in an SMS, spoken digit by digit in a call."""
        if self.resource == "Calls":
            found = re.search(r"(?:accept|activation) code is ((?:\d, )*\d)\.", self.text)
            assert found, self.text
            return found.group(1).replace(", ", "")
        found = re.search(r"(?:Accept|Activation) code: (\d{6,10})", self.text)
        assert found, self.text
        return found.group(1)


class TwilioStandIn:
    """Twilio's Messages and Calls resources on 127.0.0.1, for one account SID and auth token."""

    def __init__(self, account_sid: str = SID, auth_token: str = TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[TwilioRequest] = []
        self._failures: dict[str, list[tuple[int, bytes]]] = {}
        self._gates: dict[str, threading.Event] = {}
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ------------------------------------------------------------------------------------------

    def start(self) -> TwilioStandIn:
        """Listen on a free loopback port."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, raw, to = standin._answer(self.path, dict(self.headers.items()), body)
                gate = standin._gate(to)
                if gate is not None:  # recorded, but the answer waits until the test lets it go
                    gate.wait(HOLD_LIMIT)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close the socket."""
        if self._server is None:
            return
        with self._changed:
            for gate in self._gates.values():
                gate.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> TwilioStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """INCIDENTD_TWILIO_BASE_URL for this stand-in."""
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def environment(self, from_number: str = FROM) -> dict[str, str]:
        """The INCIDENTD_TWILIO_* settings that make incidentd send through this stand-in."""
        return {
            "INCIDENTD_TWILIO_ACCOUNT_SID": self.account_sid,
            "INCIDENTD_TWILIO_AUTH_TOKEN": self.auth_token,
            "INCIDENTD_TWILIO_FROM": from_number,
            "INCIDENTD_TWILIO_BASE_URL": self.url,
        }

    # --- scripting and inspecting ---------------------------------------------------------------------------

    def fail(self, number: str, status: int, body: Any = None, times: int = 1) -> None:
        """Answer the next `times` requests to a number with this status and body (a dict is sent as JSON)."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        with self._changed:
            self._failures.setdefault(number, []).extend([(status, raw)] * times)

    def hold(self, number: str) -> threading.Event:
        """Keep the answers to a number waiting (recorded at once) until the returned event is set.

        incidentd gives up on an answer after 10 s, so set it well before HOLD_LIMIT runs out.
        """
        gate = threading.Event()
        with self._changed:
            self._gates[number] = gate
        return gate

    def to(self, number: str) -> list[TwilioRequest]:
        """The requests to one number so far, in the order they arrived."""
        with self._changed:
            return [r for r in self.requests if r.to == number]

    def wait_for(self, predicate: Callable[[list[TwilioRequest]], Any], timeout: float = 15) -> Any:
        """Block until predicate(requests) is truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(list(self.requests))
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no such request within {timeout}s; got {[r.to for r in self.requests]}")
                self._changed.wait(remaining)

    def wait_for_requests(self, number: str, count: int = 1, timeout: float = 15) -> list[TwilioRequest]:
        """Block until `count` requests to the number arrived; all of them so far."""
        return self.wait_for(  # type: ignore[no-any-return]
            lambda found: (mine := [r for r in found if r.to == number])[count - 1 :] and mine, timeout
        )

    # --- answering ------------------------------------------------------------------------------------------

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        """Decide the answer and record the request; the status, the body and the To number."""
        status, raw, sid = self._decide(path, headers, body)
        request = TwilioRequest(time.time(), "POST", path, headers, body, status, sid)
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
        return status, raw, request.to

    def _gate(self, number: str) -> threading.Event | None:
        with self._changed:
            return self._gates.get(number)

    def _decide(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str | None]:
        found = _PATH.match(path.split("?", 1)[0])
        if found is None:
            return _error(404, 20404, f"The requested resource {path} was not found")
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if headers.get("Authorization") != expected or urllib.parse.unquote(found["account"]) != self.account_sid:
            return _error(401, 20003, "Authenticate")
        fields = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
        to = fields.get("To", "")
        with self._changed:
            queued = self._failures.get(to)
            if queued:
                status, raw = queued.pop(0)
                return status, raw, None
        resource = found["resource"]
        sid = _PREFIX[resource] + uuid.uuid4().hex
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        answer: dict[str, Any] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": fields.get("From"),
            "status": "queued",
            "date_created": now,
            "date_updated": now,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{resource}/{sid}.json",
        }
        if resource == "Messages":
            answer.update(body=fields.get("Body"), direction="outbound-api", num_segments="1")
        else:
            answer.update(direction="outbound-api", parent_call_sid=None)
        return 201, json.dumps(answer).encode(), sid


def twilio_error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    """The JSON body of a Twilio REST API error."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _error(status: int, code: int, message: str) -> tuple[int, bytes, None]:
    return status, json.dumps(twilio_error(code, message, status)).encode(), None
