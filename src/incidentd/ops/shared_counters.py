"""Counters of `serve --processes N` summed across the processes, through memory they all share.

The parent maps one anonymous shared area before it forks; each serving process owns a slot of it and
publishes its counters there about once a second and at every scrape it answers. Whichever process answers
a scrape sums the slots, so `/metrics` shows the whole server's counts wherever the kernel sends the scrape.

A slot holds two buffers. The owner writes the one readers are not pointed at, then points them at it, so a
process killed mid-write leaves the last whole snapshot readable; each buffer's generation is odd while it is
written, which lets a reader notice the rare copy that raced a write and read again. A process started in a
dead one's slot counts on from that slot's last snapshot, so the sums never go backwards (what the dead
process counted after its last publication, at most a second's worth, is lost).
"""

from __future__ import annotations

import logging
import mmap
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

log = logging.getLogger("incidentd.metrics")

BUFFER_BYTES = 512 * 1024  # a snapshot is a few kilobytes: a few hundred operations at most
PUBLISH_SECONDS = 1.0
_ACTIVE = struct.Struct("<Q")  # which buffer of the slot readers use
_HEADER = struct.Struct("<QQ")  # a buffer's generation (odd while written) and the snapshot's length
_SLOT_BYTES = _ACTIVE.size + 2 * (_HEADER.size + BUFFER_BYTES)
_READ_TRIES = 5

# A snapshot: {"requests": {"service\noperation": [six status counts, bucket counts..., seconds]},
#              "deliveries": {"channel\noutcome": count}}
Snapshot = dict[str, dict[str, Any]]


def empty() -> Snapshot:
    """A snapshot with nothing counted."""
    return {"requests": {}, "deliveries": {}}


def add(total: Snapshot, more: Snapshot) -> Snapshot:
    """The sum of two snapshots (total is changed and returned)."""
    for key, values in more.get("requests", {}).items():
        found = total["requests"].get(key)
        total["requests"][key] = list(values) if found is None else [a + b for a, b in zip(found, values, strict=True)]
    for key, count in more.get("deliveries", {}).items():
        total["deliveries"][key] = total["deliveries"].get(key, 0) + count
    return total


class SharedCounters:
    """The shared area: made by the parent before forking, joined by each serving process with its slot."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._area = mmap.mmap(-1, slots * _SLOT_BYTES)  # anonymous and MAP_SHARED: children see one area
        self._slot: int | None = None
        self._base = empty()
        self._own: Callable[[], Snapshot] = empty
        self._lock = threading.Lock()

    def join(self, slot: int, own: Callable[[], Snapshot]) -> None:
        """Own a slot in this process, counting on from what it holds; publish own() from now on."""
        self._slot = slot
        self._base = self.read(slot)
        self._own = own
        self.publish()
        threading.Thread(target=self._publish_forever, name="incidentd-metrics-share", daemon=True).start()

    def publish(self) -> None:
        """Write this process's counts (its slot's earlier ones included) into its slot."""
        if self._slot is None:
            return
        data = orjson.dumps(add(add(empty(), self._base), self._own()))
        if len(data) > BUFFER_BYTES:
            log.warning("the metrics snapshot (%d bytes) is too large to share; the other processes miss it", len(data))
            return
        with self._lock:  # the publishing thread and a scrape may publish at once
            start = self._start(self._slot)
            (active,) = _ACTIVE.unpack_from(self._area, start)
            target = 1 - active
            at = start + _ACTIVE.size + target * (_HEADER.size + BUFFER_BYTES)
            generation, _ = _HEADER.unpack_from(self._area, at)
            # Odd while written; a buffer left odd by a process killed mid-write goes on to the next odd number.
            writing = generation + 1 + generation % 2
            _HEADER.pack_into(self._area, at, writing, 0)
            self._area[at + _HEADER.size : at + _HEADER.size + len(data)] = data
            _HEADER.pack_into(self._area, at, writing + 1, len(data))
            _ACTIVE.pack_into(self._area, start, target)

    def read(self, slot: int) -> Snapshot:
        """A slot's last whole snapshot (empty if it never had one)."""
        start = self._start(slot)
        for _ in range(_READ_TRIES):
            (active,) = _ACTIVE.unpack_from(self._area, start)
            at = start + _ACTIVE.size + active * (_HEADER.size + BUFFER_BYTES)
            generation, length = _HEADER.unpack_from(self._area, at)
            if generation % 2:
                continue  # being written: the owner flips to it when done, so look again
            data = bytes(self._area[at + _HEADER.size : at + _HEADER.size + length])
            if _HEADER.unpack_from(self._area, at)[0] != generation:
                continue  # the owner started rewriting this buffer while it was copied
            return orjson.loads(data) if length else empty()
        return empty()  # its owner kept rewriting it while it was copied: leave it out of this scrape

    def total(self) -> Snapshot:
        """Every process's counts summed, this one's as of now."""
        self.publish()
        total = empty()
        for slot in range(self.slots):
            add(total, self.read(slot))
        return total

    def _start(self, slot: int) -> int:
        return slot * _SLOT_BYTES

    def _publish_forever(self) -> None:
        while True:
            time.sleep(PUBLISH_SECONDS)
            try:
                self.publish()
            except Exception:
                log.exception("publishing this process's metrics failed")
