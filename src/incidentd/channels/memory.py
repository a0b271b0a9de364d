"""An in-memory transport for tests: it records what it was asked to send and fails on request."""

from __future__ import annotations

import threading

from incidentd.channels.message import DeliveryError, Message


class MemoryTransport:
    """Records every Message; `fail_next` makes the next sends raise DeliveryError instead."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self._lock = threading.Condition()
        self._sent: list[Message] = []
        self._attempts: list[Message] = []
        self._failures: list[tuple[str, bool]] = []

    def describe(self) -> str:
        """What this is and how much it has recorded."""
        with self._lock:
            return f"{self.name} transport ({len(self._sent)} sent, {len(self._attempts)} attempts)"

    def send(self, message: Message) -> str:
        """Record the message, or raise the next injected failure; a provider id unique to this transport."""
        with self._lock:
            self._attempts.append(message)
            if self._failures:
                reason, permanent = self._failures.pop(0)
                raise DeliveryError(reason, permanent=permanent)
            self._sent.append(message)
            self._lock.notify_all()
            return f"{self.name}-{len(self._sent)}"

    def fail_next(self, count: int = 1, permanent: bool = False, reason: str = "injected failure") -> None:
        """Make the next `count` sends fail, temporarily or permanently."""
        with self._lock:
            self._failures.extend([(reason, permanent)] * count)

    @property
    def sent(self) -> list[Message]:
        """The messages delivered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    @property
    def attempts(self) -> list[Message]:
        """Every message send was called with, failed ones included, oldest first (a copy)."""
        with self._lock:
            return list(self._attempts)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least `count` messages were delivered; False if the timeout passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._sent) >= count, timeout)

    def clear(self) -> None:
        """Forget what was sent and any pending failures."""
        with self._lock:
            self._sent.clear()
            self._attempts.clear()
            self._failures.clear()
