"""The one clock every part of incidentd reads, so that tests can move time instead of sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Tells the time in integer epoch milliseconds."""

    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        """Now, from the operating system."""
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The time the clock was set to."""
        with self._lock:
            return self._now

    def advance(self, milliseconds: int) -> None:
        """Move time forward."""
        with self._lock:
            self._now += milliseconds
