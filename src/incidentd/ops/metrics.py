"""Prometheus metrics: requests and latency per operation, deliveries, job queue depth and lag, the process."""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from incidentd.clock import Clock
from incidentd.ops import shared_counters
from incidentd.ops.queue_stats import queue_stats
from incidentd.store.db import Database

log = logging.getLogger("incidentd.metrics")

# Version 0.0.4 of the text format: what every Prometheus server and scraper reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Upper bounds in seconds: a local read answers in well under a millisecond, a PostgreSQL write in a few.
LATENCY_BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

OperationKey = tuple[str, str]  # (service, operation)


class _OperationStats:
    """The counters of one operation: answers per status class and a latency histogram."""

    __slots__ = ("statuses", "buckets", "seconds")

    def __init__(self) -> None:
        self.statuses = [0] * 6  # index: status // 100
        self.buckets = [0] * (len(LATENCY_BOUNDS) + 1)  # not cumulative; the last one is +Inf
        self.seconds = 0.0


class RequestMetrics:
    """Per-operation request counters, written by one thread without locks.

    The ASGI application observes every answer on its event loop thread, so the counters have a single
    writer; a scrape copies them from another thread and at worst sees a request counted but not yet summed.
    """

    def __init__(self) -> None:
        self._operations: dict[OperationKey, _OperationStats] = {}

    def observe(self, key: OperationKey, status: int, seconds: float) -> None:
        """Count one answer of an operation and its latency."""
        stats = self._operations.get(key)
        if stats is None:
            # Keys come from the service models only, so there are at most a few hundred of them.
            stats = self._operations[key] = _OperationStats()
        stats.statuses[min(status // 100, 5)] += 1
        stats.buckets[bisect.bisect_left(LATENCY_BOUNDS, seconds)] += 1
        stats.seconds += seconds

    def snapshot(self) -> dict[str, list[float]]:
        """The counters as plain numbers: per "service\noperation", six status counts, the buckets, the seconds."""
        return {
            f"{service}\n{operation}": [*stats.statuses, *stats.buckets, stats.seconds]
            for (service, operation), stats in self._operations.copy().items()
        }


def _request_families(requests: dict[str, list[float]]) -> Iterator[Metric]:
    """Request counters and latency histograms from a snapshot."""
    requests_family = CounterMetricFamily(
        "incidentd_requests",
        "AWS API requests answered, by operation and status class.",
        labels=["service", "operation", "code"],
    )
    latency = HistogramMetricFamily(
        "incidentd_request_duration_seconds",
        "Time to answer an AWS API request, by operation.",
        labels=["service", "operation"],
    )
    bounds = (*map(str, LATENCY_BOUNDS), "+Inf")
    for key, values in sorted(requests.items()):
        service, _, operation = key.partition("\n")
        statuses, buckets, seconds = values[:6], values[6:-1], values[-1]
        for index, count in enumerate(statuses):
            if count and index:
                requests_family.add_metric([service, operation, _STATUS_CLASSES[index - 1]], count)
        cumulative, total = [], 0.0
        for bound, count in zip(bounds, buckets, strict=True):
            total += count
            cumulative.append((bound, total))
        latency.add_metric([service, operation], cumulative, seconds)
    yield requests_family
    yield latency


class DeliveryMetrics:
    """Deliveries by channel and outcome; rare enough for a lock, and written from many worker threads."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def count(self, channel: str, outcome: str) -> None:
        """Count one delivery attempt."""
        with self._lock:
            key = (channel, outcome)
            self._counts[key] = self._counts.get(key, 0) + 1

    def snapshot(self) -> dict[str, int]:
        """The counts as plain numbers, per "channel\noutcome"."""
        with self._lock:
            return {f"{channel}\n{outcome}": count for (channel, outcome), count in self._counts.items()}


def _delivery_families(deliveries: dict[str, int]) -> Iterator[Metric]:
    """The delivery counter from a snapshot."""
    family = CounterMetricFamily(
        "incidentd_deliveries", "Delivery attempts by channel and outcome.", labels=["channel", "outcome"]
    )
    for key, count in sorted(deliveries.items()):
        channel, _, outcome = key.partition("\n")
        family.add_metric([channel, outcome], count)
    yield family


# One set of counters per process, as Prometheus client libraries keep them: the engine counts deliveries
# without being handed anything, and every scrape endpoint of the process shows the same figures.
REQUESTS = RequestMetrics()
DELIVERIES = DeliveryMetrics()

SENT, RETRYING, FAILED = "sent", "retrying", "failed"


def delivery(channel: str, outcome: str) -> None:
    """Count one delivery attempt: channel like "email", "sms", "slack"; outcome "sent", "retrying" or "failed"."""
    DELIVERIES.count(channel, outcome)


class _QueueCollector(Collector):
    """Job queue depth and lag per kind, read from the jobs table at scrape time."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("incidentd_database_up", "1 when the last scrape's queue query succeeded.")
        try:
            now_ms = self.clock.now_ms()
            with self.db.read() as conn:
                stats = queue_stats(conn, now_ms)
        except Exception as exc:
            # A scrape must answer even when the database doesn't; /readyz says why.
            log.warning("job queue metrics unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("incidentd_jobs", "Unfinished jobs by kind and state.", labels=["kind", "state"])
        due = GaugeMetricFamily("incidentd_jobs_due", "Queued jobs whose run time has come, by kind.", labels=["kind"])
        lag = GaugeMetricFamily(
            "incidentd_job_lag_seconds", "How long the oldest due job of a kind has waited.", labels=["kind"]
        )
        for kind in stats:
            depth.add_metric([kind.kind, "queued"], kind.queued)
            depth.add_metric([kind.kind, "running"], kind.running)
            due.add_metric([kind.kind], kind.due)
            lag.add_metric([kind.kind], kind.lag_ms / 1000)
        yield from (depth, due, lag)


def own_snapshot() -> shared_counters.Snapshot:
    """This process's request and delivery counts."""
    return {"requests": REQUESTS.snapshot(), "deliveries": DELIVERIES.snapshot()}


_shared: shared_counters.SharedCounters | None = None
_slot = 0


def share(counters: shared_counters.SharedCounters, slot: int) -> None:
    """Serve the sum of every process's counters from now on, publishing this one's in its slot (serve --processes)."""
    global _shared, _slot
    counters.join(slot, own_snapshot)
    _shared, _slot = counters, slot


class _Counters(Collector):
    """The request and delivery counters: this process's, or every serving process's summed when they share."""

    def collect(self) -> Iterator[Metric]:
        counts = _shared.total() if _shared is not None else own_snapshot()
        yield from _request_families(counts["requests"])
        yield from _delivery_families(counts["deliveries"])
        # The process_* and python_* figures are the answering process's own: say which one that was.
        slot = GaugeMetricFamily("incidentd_serving_slot", "The serving process (0 to N-1) that answered this scrape.")
        slot.add_metric([], _slot)
        yield slot


def registry(db: Database, clock: Clock) -> CollectorRegistry:
    """Everything one process exposes: its counters, the job queue, and the standard process figures."""
    found = CollectorRegistry(auto_describe=False)
    found.register(_Counters())
    found.register(_QueueCollector(db, clock))
    ProcessCollector(registry=found)
    PlatformCollector(registry=found)
    GCCollector(registry=found)
    return found


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(registry)
