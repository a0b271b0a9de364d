"""How a scenario is measured (reads repeated, writes sent once, one at a time), and the plain run's servers."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import loadgen
import servers
import signing
import tenant
from report import BASELINE, BEFORE, POLICY, check

Measure = Callable[[], loadgen.Result]


def log(message: str) -> None:
    """Progress goes to stderr so that stdout is just the results."""
    print(message, file=sys.stderr, flush=True)


def cycle(server: servers.Process, path: Path, load: loadgen.Load, warmup: int) -> loadgen.Result:
    """Warm up, then measure, repeating the file's signed requests: reads, which change nothing when repeated."""
    url = server.url + "/"
    if warmup:
        loadgen.run(url, path, "cycle", load, duration=warmup)
    return loadgen.run(url, path, "cycle", load, server_pid=server.pid)


def in_turn(steps: Sequence[tuple[str, Measure]], database_urls: Sequence[str]) -> dict[str, loadgen.Result]:
    """Each measurement in order, each once every worker has run the jobs earlier writes left behind."""
    # A response job still waiting when a measurement starts would charge its work to that measurement.
    results = {}
    for name, measure in steps:
        waited = sum(tenant.wait_for_worker(url) for url in database_urls)
        if waited > 1:
            log(f"  waited {waited:.0f} s for the worker to run the response jobs of earlier writes")
        results[name] = result = measure()
        peak = f", peak RSS {result.peak_rss_mb:.0f} MB" if result.peak_rss_mb else ""
        log(
            f"  {name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms{peak}; "
            f"CPU: server {result.server_cpu_pct:.0f}%, wrk {result.wrk_cpu_pct:.0f}% (of one core)"
        )
    return results


class Writes:
    """A write whose signed requests are each sent once (a new name or client token apiece), and what they got."""

    def __init__(self, name: str, sign: Callable[[int], list[bytes]], workdir: Path, rate: float = 0.0) -> None:
        self.name, self.sign, self.workdir = name, sign, workdir
        self.ok = self.sent = self.runs = self.batches = 0
        self.rate = rate  # the best estimate of the rate so far, to size the next batch

    def batch(self, count: int) -> Path:
        """A file of count fresh requests."""
        self.batches += 1
        path = self.workdir / f"{self.name}-{self.batches}.req"
        began = time.monotonic()
        signing.write_requests(path, self.sign(count))
        log(f"  signed {count} {self.name} requests in {time.monotonic() - began:.1f}s")
        return path

    def send(self, server: servers.Process, path: Path, load: loadgen.Load, seconds: float) -> loadgen.Result:
        """Each request in the file once, for at most seconds."""
        result = loadgen.run(server.url + "/", path, "once", load, duration=seconds, server_pid=server.pid)
        path.unlink()
        self.ok, self.sent, self.runs = self.ok + result.ok, self.sent + result.sent, self.runs + 1
        # A run whose threads ran out sent all it had in less than its time: it ran at least that fast.
        self.rate = max(self.rate, result.rps, result.sent / seconds if result.exhausted_threads else 0.0)
        return result

    def budget(self, seconds: float, connections: int) -> int:
        """Enough distinct requests for seconds at the best rate seen so far, with a margin."""
        return int(max(self.rate, 80) * seconds * 2.5) + connections * 4

    def measure(self, server: servers.Process, load: loadgen.Load, warmup: int) -> loadgen.Result:
        """Warm up, then measure with enough distinct requests for the whole run."""
        if warmup:
            # Running out in the warm-up is harmless: it only tells the measured run how many to sign.
            self.send(server, self.batch(self.budget(warmup, load.connections)), load, warmup)
        count = self.budget(load.duration, load.connections)
        for _ in range(4):
            result = self.send(server, self.batch(count), load, load.duration)
            if not result.exhausted_threads:
                return result
            # A thread that ran out stopped early: its figure is too low, so the run is redone with more.
            log(f"  ran out of signed {self.name} requests ({count}); redoing the run with {count * 4}")
            count *= 4
        raise RuntimeError(f"{self.name} kept outrunning its signed requests")

    def verify(self, made: int, connections: int, prefix: str = "", *others: Writes) -> dict[str, Any]:
        """Every 200 made one resource, and nothing else did but requests in flight when a run stopped.

        others are writes of the same kind whose resources were counted in made too (another key's).
        """
        ok, sent, runs = (sum(getattr(w, field) for w in (self, *others)) for field in ("ok", "sent", "runs"))
        in_flight_ok = made - ok <= connections * runs  # at most one per connection at each stop
        name = " and ".join(w.name for w in (self, *others))
        return check(
            f"{prefix}{name}: {made} created for {ok} 200s and {sent} requests sent, each sent once "
            "(the rest were in flight when wrk stopped)",
            0 < ok <= made <= sent and in_flight_ok,
        )


class Caller:
    """One key's requests to a server: its signed GetResponsePlan, repeated, and its StartIncident writes."""

    def __init__(
        self, server: servers.Process, account: servers.BenchAccount, plan_arn: str, workdir: Path, suffix: str
    ) -> None:
        self.suffix = suffix  # told apart by name: "GetResponsePlan (policy)"
        signer = signing.Signer(server.url, account)
        get = signer.get_response_plan(plan_arn)
        # Pre-signed requests are sent as they are: first prove the server takes them.
        tenant.check_raw_get(server.port, get, plan_arn)
        tenant.check_raw_start(server.port, signer.start_incidents(plan_arn, 1)[0], server.url, account)
        self.get_file = workdir / f"get-response-plan{suffix.replace(' ', '-')}.req"
        signing.write_requests(self.get_file, [get])
        self.starts = Writes(f"StartIncident{suffix}", lambda count: signer.start_incidents(plan_arn, count), workdir)


class Subject:
    """One incidentd under test in the plain run: its server, database, plan, signed read and StartIncident writes.

    With policy, a second key of the same account (tenant.POLICY_HOLDER, holding bench/policy.json) sends both too.
    """

    def __init__(
        self, server: servers.Process, database_url: str, workdir: Path, label: str = "", policy: bool = False
    ) -> None:
        self.server, self.database_url, self.label = server, database_url, label
        suffix = BEFORE if label else ""  # the --against server's scenarios are told apart by name
        self.account = servers.BenchAccount()
        plan_arn = tenant.prepare(server.url, self.account)
        self.callers = [Caller(server, self.account, plan_arn, workdir, suffix)]
        if policy:
            tenant.check_policy(server.url, tenant.POLICY_HOLDER, plan_arn)
            self.callers.append(Caller(server, tenant.POLICY_HOLDER, plan_arn, workdir, suffix + POLICY))
        self.get_file, self.starts = self.callers[0].get_file, self.callers[0].starts
        self.incidents_before = tenant.count_incidents(server.url, self.account)
        self.jobs_before = tenant.count_response_jobs(database_url, self.account.account_id)

    def verify(self, connections: int) -> list[dict[str, Any]]:
        """Read back what the StartIncident runs made: the figures stand only if these hold."""
        prefix = f"{self.label}: " if self.label else ""
        created = tenant.count_incidents(self.server.url, self.account) - self.incidents_before
        jobs = tenant.count_response_jobs(self.database_url, self.account.account_id) - self.jobs_before
        per = tenant.JOBS_PER_INCIDENT
        return [
            self.starts.verify(created, connections, prefix, *(c.starts for c in self.callers[1:])),
            check(f"{prefix}StartIncident: {jobs} response jobs recorded, {per} per incident", jobs == per * created),
        ]


def plain_round(
    hello: servers.Process, subjects: list[Subject], load: loadgen.Load, warmup: int, flip: bool
) -> dict[str, loadgen.Result]:
    """The baseline, then each scenario on each server and from each key; their order flips every other round."""
    steps: list[tuple[str, Measure]] = [(BASELINE, lambda: cycle(hello, subjects[0].get_file, load, warmup))]
    order = [(s, c) for s in subjects for c in s.callers]
    order = order[::-1] if flip else order
    for s, c in order:
        steps.append((f"GetResponsePlan{c.suffix}", lambda s=s, c=c: cycle(s.server, c.get_file, load, warmup)))
    for s, c in order:
        steps.append((f"StartIncident{c.suffix}", lambda s=s, c=c: c.starts.measure(s.server, load, warmup)))
    return in_turn(steps, [s.database_url for s in subjects])
