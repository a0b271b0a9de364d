"""The three scenarios and the read-backs that make their figures trustworthy."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import loadgen
import report
import servers
import signing
import tenant


def log(message: str) -> None:
    """Progress goes to stderr so that stdout is just the results."""
    print(message, file=sys.stderr, flush=True)


def _progress(name: str, result: loadgen.Result) -> None:
    log(
        f"  {name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; "
        f"CPU: server {result.server_cpu_pct:.0f}%, wrk {result.wrk_cpu_pct:.0f}% (of one core)"
    )


def _check(what: str, ok: bool) -> dict[str, Any]:
    return {"what": what, "ok": bool(ok)}


class StartLedger:
    """Every StartIncident run, so the incidents created can be checked against what wrk saw."""

    def __init__(self) -> None:
        self.ok = 0
        self.sent = 0
        self.runs = 0
        self.rate = 0.0  # the best estimate of StartIncident req/s, to size the next batch of tokens

    def add(self, result: loadgen.Result, seconds: float) -> None:
        """Count one run; a run that ran out of tokens ran at least sent/seconds."""
        self.ok += result.ok
        self.sent += result.sent
        self.runs += 1
        self.rate = max(self.rate, result.rps, result.sent / seconds if result.exhausted_threads else 0.0)


class Bench:
    """The servers, the signed requests and the load, for one invocation."""

    def __init__(self, args: argparse.Namespace, workdir: Path, database_url: str) -> None:
        self.args = args
        self.workdir = workdir
        self.database_url = database_url
        self.load = loadgen.Load(args.threads, args.connections, args.duration)
        self.account = servers.BenchAccount()
        self.ledger = StartLedger()
        self.batches = 0

    def setup(self, incidentd: servers.Process) -> None:
        """Create the tenant and plan, sign the read, and prove the server takes pre-signed requests."""
        self.incidentd = incidentd
        self.plan_arn = tenant.prepare(incidentd.url, self.account)
        self.signer = signing.Signer(incidentd.url, self.account.access_key, self.account.secret_key)
        get_request = self.signer.get_response_plan(self.plan_arn)
        self.get_file = self.workdir / "get-response-plan.req"
        signing.write_requests(self.get_file, [get_request])
        tenant.check_raw_get(incidentd.port, get_request, self.plan_arn)
        probe = self.signer.start_incidents(self.plan_arn, 1)[0]
        tenant.check_raw_start(incidentd.port, probe, incidentd.url, self.account)
        self.incidents_before = tenant.count_incidents(incidentd.url, self.account)
        self.jobs_before = tenant.count_response_jobs(self.database_url, self.account.account_id)

    def cycle(self, server: servers.Process, duration: int | None = None) -> loadgen.Result:
        """Warm up, then measure, repeating the one signed GetResponsePlan request."""
        url = server.url + "/"
        if self.args.warmup:
            loadgen.run(url, self.get_file, "cycle", self.load, duration=self.args.warmup)
        return loadgen.run(url, self.get_file, "cycle", self.load, duration=duration, server_pid=server.pid)

    def sign_batch(self, count: int) -> Path:
        """A file of count fresh StartIncident requests."""
        self.batches += 1
        path = self.workdir / f"start-incident-{self.batches}.req"
        began = time.monotonic()
        signing.write_requests(path, self.signer.start_incidents(self.plan_arn, count))
        log(f"  signed {count} StartIncident requests in {time.monotonic() - began:.1f}s")
        return path

    def send_batch(self, path: Path, seconds: int) -> loadgen.Result:
        """Send each request in the file once, for at most seconds; counted in the ledger."""
        url = self.incidentd.url + "/"
        result = loadgen.run(url, path, "once", self.load, duration=seconds, server_pid=self.incidentd.pid)
        self.ledger.add(result, seconds)
        path.unlink()
        return result

    def token_budget(self, seconds: int, margin: float) -> int:
        """Enough distinct tokens for seconds at the rate seen so far, with a margin."""
        return int(max(self.ledger.rate, 50) * seconds * margin) + int(self.args.connections) * 4

    def starts(self) -> loadgen.Result:
        """Warm up, then measure StartIncident with enough distinct client tokens for the whole run."""
        if self.args.warmup:
            # Running out of tokens in the warm-up is harmless.
            self.send_batch(self.sign_batch(self.args.connections * 25), self.args.warmup)
        count = self.token_budget(self.args.duration, 2.5)
        for _ in range(4):
            result = self.send_batch(self.sign_batch(count), self.args.duration)
            if not result.exhausted_threads:
                return result
            # A thread that ran out stopped early: its figure is too low, so the run is redone with more.
            log(f"  ran out of signed tokens ({count}); discarding the run and redoing it with more")
            count *= 4
        raise RuntimeError("StartIncident kept outrunning its signed tokens")

    def round(self, hello: servers.Process) -> dict[str, loadgen.Result]:
        """Baseline then subjects, under the same load settings, each after the worker caught up."""
        waited = tenant.wait_for_worker(self.database_url)
        if waited > 1:
            log(f"  waited {waited:.0f} s for the worker to run the response jobs of the previous round")
        results = {report.BASELINE: self.cycle(hello)}
        _progress(report.BASELINE, results[report.BASELINE])
        results["GetResponsePlan"] = self.cycle(self.incidentd)
        _progress("GetResponsePlan", results["GetResponsePlan"])
        results["StartIncident"] = self.starts()
        _progress("StartIncident", results["StartIncident"])
        return results

    def verify(self, rounds: list[dict[str, loadgen.Result]]) -> list[dict[str, Any]]:
        """Read back what the StartIncident runs did: the figures stand only if these hold."""
        tenant.settle()
        created = tenant.count_incidents(self.incidentd.url, self.account) - self.incidents_before
        jobs = tenant.count_response_jobs(self.database_url, self.account.account_id) - self.jobs_before
        failed = {
            f"{name} round {i + 1}": {k: v for k, v in result.errors.items() if v}
            for i, results in enumerate(rounds)
            for name, result in results.items()
            if any(result.errors.values())
        }
        ledger = self.ledger
        # When a run ends, at most one request per connection is in flight: it may still create an incident.
        in_flight_ok = created - ledger.ok <= self.args.connections * ledger.runs
        per_incident = tenant.JOBS_PER_INCIDENT
        return [
            _check("pre-signed GetResponsePlan and StartIncident answered 200; boto3 read them back", True),
            _check(
                "no errors or non-2xx responses in measured runs" + (f": {failed}" if failed else ""),
                not failed,
            ),
            _check(
                f"StartIncident: {created} new incidents listed by ListIncidentRecords for {ledger.ok} 200s "
                f"and {ledger.sent} requests sent, each with its own clientToken (the rest were in flight "
                f"when wrk stopped)",
                0 < ledger.ok <= created <= ledger.sent and in_flight_ok,
            ),
            _check(
                f"StartIncident: {jobs} response jobs recorded, {per_incident} per incident",
                jobs == per_incident * created,
            ),
        ]
