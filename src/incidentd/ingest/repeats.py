"""Identical repeats of alert notifications: which ones this process logged lately, so that storms cost no writes."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# An identical notification is logged on its incident's timeline at most this often (per process).
REPEAT_LOG_SECONDS = 60.0
# Notifications remembered (the least recently logged forgotten first): only authenticated senders add to them.
CAPACITY = 4096

Key = tuple[str, str, str, bytes]  # account, source, plan name, the body's SHA-256


def key_of(account: str, source: str, plan_name: str, body: bytes) -> Key:
    """A notification's key: the same bytes to the same endpoint parse to the same signal."""
    return account, source, plan_name, hashlib.sha256(body).digest()


@dataclass(frozen=True, slots=True)
class Logged:
    """A repeat this process logged: on which incident, under which dedupe string and trigger, and when."""

    dedupe: str
    trigger: str | None
    incident_arn: str
    at: float


class RecentRepeats:
    """The repeats logged lately, bounded, shared by the endpoint's threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, capacity: int = CAPACITY) -> None:
        self.clock = clock
        self.capacity = capacity
        self._logged: OrderedDict[Key, Logged] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, key: Key) -> Logged | None:
        """The same notification's record if this process logged it less than REPEAT_LOG_SECONDS ago."""
        with self._lock:
            logged = self._logged.get(key)
        if logged is None or self.clock() - logged.at >= REPEAT_LOG_SECONDS:
            return None
        return logged

    def remember(self, key: Key, dedupe: str, trigger: str | None, incident_arn: str) -> None:
        """The notification was just logged as a repeat on this open incident."""
        with self._lock:
            self._logged[key] = Logged(dedupe, trigger, incident_arn, self.clock())
            self._logged.move_to_end(key)
            while len(self._logged) > self.capacity:
                self._logged.popitem(last=False)
