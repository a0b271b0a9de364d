"""Identifiers in the 36-character UUID form AWS uses, made without uuid.UUID's overhead (they are made per request)."""

from __future__ import annotations

import os
import random as _random
import time


def time_ordered() -> str:
    """A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Incident ARNs end in one and key the incident, timeline, tag and related-item rows, so ids that grow with
    time put each new incident's rows next to the last one's in every B-tree instead of on a random page
    (fewer pages written per commit, and a working set that stays small as the tables grow). The random part
    keeps ids unguessable; the time they reveal is the record's own creationTime.
    """
    random_bits = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 for rand_a, 62 for rand_b, 6 unused
    value = (
        (time.time_ns() // 1_000_000) << 80
        | 0x7 << 76
        | (random_bits >> 68) << 64
        | 0b10 << 62
        | random_bits & ((1 << 62) - 1)
    )
    return _text(value)


def random() -> str:
    """A random UUID (version 4), as AWS's request ids are; unique, not secret."""
    # A request id names a request in logs, and nothing relies on it being hard to guess. The random module's
    # generator costs a tenth of os.urandom's system call, and the module seeds it again in a forked child
    # (serve --processes), so the processes don't repeat each other's ids.
    value = _random.getrandbits(128)
    # Version 4 and variant 10xx: the bits uuid.uuid4() sets.
    value = (value & ~(0xF << 76)) | (0x4 << 76)
    value = (value & ~(0x3 << 62)) | (0b10 << 62)
    return _text(value)


def _text(value: int) -> str:
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
