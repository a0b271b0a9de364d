"""The shared area behind `serve --processes N` metrics: slots written by forked processes, summed by any one."""

from __future__ import annotations

import os
import struct

from incidentd.ops import shared_counters
from incidentd.ops.shared_counters import SharedCounters


def _requests(count: int) -> shared_counters.Snapshot:
    # Six status counts (index 2 is 2xx), sixteen latency buckets, then seconds.
    return {"requests": {"ssm-incidents\nGetResponsePlan": [0, 0, count, 0, 0, 0, *([count] + [0] * 14), 0.5]}}


def _in_child(counters: SharedCounters, slot: int, snapshot: shared_counters.Snapshot) -> None:
    """Join a slot in a forked process, publish one snapshot and exit, as a serving process that then died."""
    pid = os.fork()
    if pid == 0:
        try:
            counters.join(slot, lambda: snapshot)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def test_a_scrape_in_one_process_sums_what_every_process_published() -> None:
    counters = SharedCounters(3)
    _in_child(counters, 1, {**_requests(5), "deliveries": {"email\nsent": 2}})
    _in_child(counters, 2, {**_requests(7), "deliveries": {"email\nsent": 1, "sms\nfailed": 4}})
    counters.join(0, lambda: _requests(1))
    total = counters.total()
    counts = total["requests"]["ssm-incidents\nGetResponsePlan"]
    assert counts[2] == 13  # 2xx answers of all three processes
    assert counts[6] == 13
    assert counts[-1] == 1.5
    assert total["deliveries"] == {"email\nsent": 3, "sms\nfailed": 4}


def test_a_process_replacing_a_dead_one_counts_on_from_its_slot() -> None:
    counters = SharedCounters(2)
    _in_child(counters, 1, _requests(5))
    _in_child(counters, 1, _requests(3))  # the replacement counted 3 of its own since it started
    assert counters.total()["requests"]["ssm-incidents\nGetResponsePlan"][2] == 8


def test_a_write_cut_off_half_way_leaves_the_last_whole_snapshot_readable() -> None:
    counters = SharedCounters(1)
    _in_child(counters, 0, _requests(5))
    # What a process killed in the middle of its next publication leaves: the buffer readers are not pointed
    # at has an odd generation and half a snapshot.
    (active,) = struct.unpack_from("<Q", counters._area, 0)
    other = 8 + (1 - active) * (16 + shared_counters.BUFFER_BYTES)
    struct.pack_into("<QQ", counters._area, other, 7, 0)
    counters._area[other + 16 : other + 20] = b'{"re'
    assert counters.read(0)["requests"]["ssm-incidents\nGetResponsePlan"][2] == 5
    _in_child(counters, 0, _requests(1))  # its replacement writes over the broken buffer and counts on
    assert counters.read(0)["requests"]["ssm-incidents\nGetResponsePlan"][2] == 6
