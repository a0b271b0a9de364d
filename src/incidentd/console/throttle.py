"""Sign-in throttling: a few failures per user name and per address, then a pause; bounded in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict

# Failures allowed within the window before sign-in pauses for that name or address.
NAME_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_MS = 5 * 60 * 1000
# Anyone can send sign-ins with made-up names: the table forgets its oldest entries beyond this many.
MAX_TRACKED = 10_000


class SignInThrottle:
    """Counts recent sign-in failures by key ("name:alice", "addr:10.0.0.1"); one per node."""

    def __init__(self) -> None:
        self._failures: OrderedDict[str, list[int]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, name: str, address: str, now_ms: int) -> bool:
        """Whether sign-in is paused for this name or this address."""
        with self._lock:
            return (
                self._recent(f"name:{name.lower()}", now_ms) >= NAME_FAILURES
                or self._recent(f"addr:{address}", now_ms) >= ADDRESS_FAILURES
            )

    def failed(self, name: str, address: str, now_ms: int) -> None:
        """Count one failure against the name and the address."""
        with self._lock:
            for key in (f"name:{name.lower()}", f"addr:{address}"):
                times = self._failures.pop(key, [])
                times.append(now_ms)
                self._failures[key] = times[-ADDRESS_FAILURES:]
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        """A right password clears the name's failures (not the address's: one address may try many names)."""
        with self._lock:
            self._failures.pop(f"name:{name.lower()}", None)

    def _recent(self, key: str, now_ms: int) -> int:
        times = [at for at in self._failures.get(key, []) if at > now_ms - WINDOW_MS]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return len(times)


# The console's acknowledge form finds a page by its code: a few misses per person and incident, then a pause, so
# the form can't be used to search an incident's six-digit codes (AcceptPage itself spends a code after 5 misses).
CODE_FAILURES = 5


class CodeThrottle:
    """Counts recent wrong accept codes by person and incident; one per node, bounded in memory."""

    def __init__(self) -> None:
        self._failures: OrderedDict[str, list[int]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, who: str, incident_arn: str, now_ms: int) -> bool:
        """Whether this person's codes for this incident are paused."""
        key = f"{who}\n{incident_arn}"
        with self._lock:
            times = [at for at in self._failures.get(key, []) if at > now_ms - WINDOW_MS]
            if times:
                self._failures[key] = times
            else:
                self._failures.pop(key, None)
            return len(times) >= CODE_FAILURES

    def failed(self, who: str, incident_arn: str, now_ms: int) -> None:
        """Count one wrong code."""
        key = f"{who}\n{incident_arn}"
        with self._lock:
            times = self._failures.pop(key, [])
            times.append(now_ms)
            self._failures[key] = times[-CODE_FAILURES:]
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)
