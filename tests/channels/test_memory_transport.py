"""MemoryTransport, the double that paging-engine tests deliver to."""

from __future__ import annotations

import threading

import pytest
from channel_support import make_message

from incidentd.channels import DeliveryError, MemoryTransport


def test_records_messages_and_returns_distinct_ids() -> None:
    transport = MemoryTransport()
    first, second = make_message(code="111111"), make_message(code="222222")
    ids = [transport.send(first), transport.send(second)]
    assert transport.sent == [first, second] and len(set(ids)) == 2


def test_fails_the_next_sends_then_recovers() -> None:
    transport = MemoryTransport()
    transport.fail_next(2, reason="SMTP 421")
    for _ in range(2):
        with pytest.raises(DeliveryError, match="SMTP 421") as caught:
            transport.send(make_message())
        assert not caught.value.permanent
    transport.send(make_message())
    assert len(transport.sent) == 1 and len(transport.attempts) == 3


def test_permanent_failures() -> None:
    transport = MemoryTransport()
    transport.fail_next(permanent=True)
    with pytest.raises(DeliveryError) as caught:
        transport.send(make_message())
    assert caught.value.permanent and transport.sent == []


def test_concurrent_sends_are_all_recorded() -> None:
    transport = MemoryTransport()
    ids: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(200):
            sent = transport.send(make_message())
            with lock:
                ids.append(sent)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(transport.sent) == 1600 and len(set(ids)) == 1600


def test_wait_for_sees_sends_from_other_threads() -> None:
    transport = MemoryTransport()
    assert not transport.wait_for(1, timeout=0.05)
    sender = threading.Timer(0.05, transport.send, [make_message()])
    sender.start()
    assert transport.wait_for(1, timeout=5)
    sender.join()


def test_clear_forgets_everything() -> None:
    transport = MemoryTransport()
    transport.send(make_message())
    transport.fail_next(3)
    transport.clear()
    transport.send(make_message())
    assert len(transport.sent) == 1 and "1 sent" in transport.describe()
