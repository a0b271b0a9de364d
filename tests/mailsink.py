"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for paging tests and the benchmark."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Mail:
    """One message the sink accepted, and when."""

    received: float  # time.time() when the server accepted it
    to: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """The Subject header."""
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    @property
    def reference(self) -> str:
        """The page or channel ARN incidentd puts in X-Incidentd-Reference."""
        return str(self.message["X-Incidentd-Reference"])

    def code(self) -> str:
        """The accept or activation code in the body."""
        found = re.search(r"(?:Accept|Activation) code: (\d{6,10})", self.body)
        assert found, self.body
        return found.group(1)


class MailSink:
    """Accepts every message on 127.0.0.1:<port> and records it."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.on_mail: Callable[[Mail], None] | None = None  # told of each mail as it arrives (bench/sink.py)
        self._refusals: dict[str, int] = {}
        self._held: set[str] = set()
        self._changed = threading.Condition()
        self.port = _free_port()  # aiosmtpd's start-up check can't follow a port 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        """Accept the recipient, unless told to refuse it for now; a held address keeps the sender waiting."""
        while self._is_held(address):
            await asyncio.sleep(0.05)
        with self._changed:
            if self._refusals.get(address, 0) > 0:
                self._refusals[address] -= 1
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def refuse(self, address: str, times: int) -> None:
        """Answer the next `times` deliveries to an address with a temporary failure."""
        with self._changed:
            self._refusals[address] = times

    def hold(self, address: str) -> None:
        """Keep senders to an address waiting at RCPT (no answer) until release(): a delivery stuck in flight."""
        with self._changed:
            self._held.add(address)

    def release(self, address: str) -> None:
        """Answer the senders held at an address again."""
        with self._changed:
            self._held.discard(address)

    def _is_held(self, address: str) -> bool:
        with self._changed:
            return address in self._held

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """Keep the message; answer 250."""
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        mail = Mail(time.time(), tuple(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
        with self._changed:
            self.mails.append(mail)
            self._changed.notify_all()
        if self.on_mail is not None:
            self.on_mail(mail)
        return "250 OK"

    def start(self) -> MailSink:
        """Listen."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    @property
    def url(self) -> str:
        """INCIDENTD_SMTP_URL for this sink."""
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[Mail]:
        """The mails sent to one address so far."""
        with self._changed:
            return [m for m in self.mails if address in m.to]

    def wait_for(self, predicate: Callable[[list[Mail]], Any], timeout: float = 15) -> Any:
        """Block until predicate(mails) is truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(list(self.mails))
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no such mail within {timeout}s; got {[m.to for m in self.mails]}")
                self._changed.wait(remaining)

    def wait_for_mail(self, address: str, count: int = 1, timeout: float = 15) -> list[Mail]:
        """Block until `count` mails reached the address; all of them."""
        return self.wait_for(
            lambda mails: (found := [m for m in mails if address in m.to])[count - 1 :] and found, timeout
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
