"""The scenarios of one stored-incident tier: the ceiling, two reads and two writes, each with its peak RSS."""

from __future__ import annotations

import argparse
import functools
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import listing
import loadgen
import report
import servers
import signing
import tenant
from rss import PeakRss
from scenarios import StartLedger, log

READS = ("GetResponsePlan", "ListIncidentRecords")
WRITES = ("CreateResponsePlan", "StartIncident")
SCENARIOS = (report.BASELINE, *READS, *WRITES)


def progress(name: str, result: loadgen.Result, peak_mb: float) -> None:
    """One line per measured run."""
    log(
        f"  {name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"peak RSS {peak_mb:.0f} MB; CPU: server {result.server_cpu_pct:.0f}%, wrk {result.wrk_cpu_pct:.0f}%"
    )


class Measured:
    """A wrk result and the server's peak RSS over the same scenario (warm-up included)."""

    def __init__(self, result: loadgen.Result, peak_mb: float) -> None:
        self.result = result
        self.peak_mb = peak_mb

    def to_dict(self) -> dict[str, Any]:
        """For the JSON report."""
        return {**self.result.to_dict(), "peak_rss_mb": self.peak_mb}


class OnceWrites:
    """A write whose pre-signed requests may each be sent once (a new name or client token apiece)."""

    def __init__(self, name: str, sign: Callable[[int], list[bytes]], workdir: Path) -> None:
        self.name = name
        self.sign = sign
        self.workdir = workdir
        self.ledger = StartLedger()
        self.batches = 0

    def batch(self, count: int) -> Path:
        """A file of count fresh requests."""
        self.batches += 1
        path = self.workdir / f"{self.name}-{self.batches}.req"
        began = time.monotonic()
        signing.write_requests(path, self.sign(count))
        log(f"  signed {count} {self.name} requests in {time.monotonic() - began:.1f}s")
        return path

    def send(self, url: str, path: str | Path, load: loadgen.Load, seconds: float, pid: int) -> loadgen.Result:
        """Each request in the file once, for at most seconds; counted in the ledger."""
        result = loadgen.run(url, Path(path), "once", load, duration=seconds, server_pid=pid)
        self.ledger.add(result, seconds)
        Path(path).unlink()
        return result

    def budget(self, seconds: float, connections: int) -> int:
        """Enough distinct requests for seconds at the best rate seen so far, with a margin."""
        return int(max(self.ledger.rate, 80) * seconds * 2.5) + connections * 4


class TierBench:
    """The load for one tier: a read-only tenant holding the stored incidents, and a tenant that writes."""

    def __init__(
        self,
        args: argparse.Namespace,
        workdir: Path,
        incidentd: servers.Process,
        setup: Any,
        rates: dict[str, float],
    ) -> None:
        self.args = args
        self.workdir = workdir
        self.incidentd = incidentd
        self.setup = setup  # scale.Setup: accounts, plans, signers
        self.load = loadgen.Load(args.threads, args.connections, args.duration)
        self.files: dict[str, Path] = {}
        self.last_count = 0  # the size of the last measured write batch
        self.writes = {
            "CreateResponsePlan": OnceWrites("CreateResponsePlan", self._sign_plans, workdir),
            "StartIncident": OnceWrites("StartIncident", self._sign_starts, workdir),
        }
        # The rates seen at earlier tiers size the first batches of this one; the counts start afresh.
        self.rates = rates
        for name, writes in self.writes.items():
            writes.ledger.rate = rates.get(name, 0.0)

    def _sign_plans(self, count: int) -> list[bytes]:
        body = tenant.plan_request(self.setup.writer.account_id)
        signer = self.setup.writer_signer
        return [
            signer.raw("create_response_plan", **{**body, "name": f"bench-{uuid.uuid4().hex}"}) for _ in range(count)
        ]

    def _sign_starts(self, count: int) -> list[bytes]:
        return list(self.setup.writer_signer.start_incidents(self.setup.writer_plan, count))

    def prepare(self, page_tokens: list[str | None]) -> None:
        """Sign the reads and prove the server takes them: GetResponsePlan, and a full page at every depth."""
        get = self.setup.reader_signer.get_response_plan(self.setup.reader_plan)
        tenant.check_raw_get(self.incidentd.port, get, self.setup.reader_plan)
        pages = listing.sign(self.setup.reader_signer, page_tokens)
        listing.check(self.incidentd.port, pages)
        self.files["GetResponsePlan"] = self.workdir / "get-response-plan.req"
        signing.write_requests(self.files["GetResponsePlan"], [get])
        self.files["ListIncidentRecords"] = self.workdir / "list-incident-records.req"
        signing.write_requests(self.files["ListIncidentRecords"], pages)

    def _measured(self, server: servers.Process, run: Callable[[], loadgen.Result]) -> Measured:
        with PeakRss(server.pid) as peak:
            result = run()
        return Measured(result, peak.mb)

    def _cycle(self, server: servers.Process, name: str) -> Measured:
        """Warm up, then measure, cycling through the scenario's signed requests (the same GET for hello)."""
        url, path = server.url + "/", self.files[name]

        def run() -> loadgen.Result:
            if self.args.warmup:
                loadgen.run(url, path, "cycle", self.load, duration=self.args.warmup)
            return loadgen.run(url, path, "cycle", self.load, server_pid=server.pid)

        return self._measured(server, run)

    def _once(self, name: str) -> Measured:
        """Warm up, then measure a write with enough distinct requests for the whole run."""
        writes = self.writes[name]
        count = 0
        for _ in range(4):
            # The warm-up's rate sizes the first batch; a batch that ran out sizes the next.
            warm = writes.batch(writes.budget(self.args.warmup, self.args.connections)) if self.args.warmup else None
            measured = self._measured(self.incidentd, functools.partial(self._write_run, writes, warm, count))
            if not measured.result.exhausted_threads:
                return measured
            # A thread that ran out stopped early: its figure is too low, so the run is redone with more.
            count = self.last_count * 4
            log(f"  ran out of signed {name} requests ({self.last_count}); redoing the run with {count}")
        raise RuntimeError(f"{name} kept outrunning its signed requests")

    def _write_run(self, writes: OnceWrites, warm: Path | None, count: int) -> loadgen.Result:
        url, pid = self.incidentd.url + "/", self.incidentd.pid
        if warm is not None:
            # Running out of requests in the warm-up is harmless.
            writes.send(url, warm, self.load, self.args.warmup, pid)
        self.last_count = count or writes.budget(self.args.duration, self.args.connections)
        return writes.send(url, writes.batch(self.last_count), self.load, self.args.duration, pid)

    def round(self, hello: servers.Process) -> dict[str, Measured]:
        """The baseline, then each subject, each after the worker caught up with the previous writes."""
        results: dict[str, Measured] = {}
        for name in SCENARIOS:
            waited = tenant.wait_for_worker(self.setup.database_url)
            if waited > 1:
                log(f"  waited {waited:.0f} s for the worker to run the response jobs of earlier writes")
            if name == report.BASELINE:
                results[name] = self._cycle(hello, "GetResponsePlan")
            elif name in READS:
                results[name] = self._cycle(self.incidentd, name)
            else:
                results[name] = self._once(name)
            progress(name, results[name].result, results[name].peak_mb)
        self.rates.update({name: writes.ledger.rate for name, writes in self.writes.items()})
        return results
