"""`python bench/run.py --incidents 1000,1000000`: every scenario at each number of stored incidents."""

# Two tenants share the server. The reader holds the stored incidents and is only read (GetResponsePlan,
# ListIncidentRecords), so each tier lists exactly the number it names however many writes ran before. The writer takes
# CreateResponsePlan and StartIncident; its rows land in the same tables and indexes, so writes are measured against the
# full tables too. Tiers run smallest first, each topping up the one before.

from __future__ import annotations

import argparse
import contextlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bulk
import listing
import loadgen
import report
import seed
import servers
import signing
import sqlalchemy as sa
import tenant
from internals import incidents, reading, response_plans
from report import BASELINE, check
from rss import PeakRss, measured
from scenarios import Measure, Writes, cycle, in_turn, log

WRITER = servers.BenchAccount(access_key="AKIDBENCHWRITER0000", secret_key="bench-writer", account_id="210987654321")
SMALL_ENOUGH_TO_COUNT = 10_000  # below this, boto3 reads back every stored incident; above, a window of them
INDEX_REQUIRED_FROM = 100_000  # stored incidents from which the query plan must use the index
READS = ("GetResponsePlan", "ListIncidentRecords")


@dataclass
class Setup:
    """What every tier shares: the database, both tenants, their plans and signers."""

    database_url: str
    reader: servers.BenchAccount
    writer: servers.BenchAccount
    reader_plan: str
    writer_plan: str
    reader_signer: signing.Signer
    writer_signer: signing.Signer


def _start(workdir: Path, database_url: str) -> servers.Process:
    both = f"{servers.BenchAccount().credentials},{WRITER.credentials}"
    return servers.start_incidentd(workdir, database_url, servers.BenchAccount(), {"INCIDENTD_CREDENTIALS": both})


def _stored(database_url: str, account_id: str) -> tuple[int, int | None]:
    """How many incidents the account has, and the oldest one's creation time."""
    with reading(database_url) as conn:
        query = sa.select(sa.func.count(), sa.func.min(incidents.c.creation_ms))
        count, oldest = conn.execute(query.where(incidents.c.account_id == account_id)).one()
        return int(count), oldest


def _seed(setup: Setup, templates: seed.Templates, target: int) -> dict[str, Any]:
    """Add incidents to the reader until it holds target, older than those it has; with the server stopped."""
    have, oldest = _stored(setup.database_url, setup.reader.account_id)
    added = max(0, target - have)
    began = time.monotonic()
    log(f"seeding {added:,} incidents (the reader holds {have:,}; {target:,} wanted)")
    newest = (oldest if oldest is not None else int(time.time() * 1000)) - 1
    # Rebuilding indexes beats updating them once the new rows outnumber the old.
    rebuild = added > max(have, 50_000)
    rows = bulk.write(
        setup.database_url,
        lambda copy_lines: seed.rows(templates, added, newest, target, copy_lines),
        log,
        rebuild=rebuild,
    )
    seconds = time.monotonic() - began
    log(f"  seeded {added:,} incidents ({rows:,} rows) in {seconds:.0f} s")
    return {
        "incidents": target,
        "added": added,
        "rows": rows,
        "seconds": round(seconds, 1),
        "incidents_per_second": round(added / seconds) if seconds else 0,
        "indexes_rebuilt": rebuild,
    }


def _verify_seeded(setup: Setup, endpoint: str, target: int) -> list[dict[str, Any]]:
    """The stored incidents are there for the API: counted by boto3 (all of them, or the oldest window)."""
    have, _ = _stored(setup.database_url, setup.reader.account_id)
    checks = [check(f"{target:,} incidents: the database holds {have:,} for the reader", have == target)]
    if target <= SMALL_ENOUGH_TO_COUNT:
        listed = tenant.count_incidents(endpoint, setup.reader)
        checks.append(check(f"{target:,} incidents: boto3 lists all {listed:,}", listed == target))
    else:
        listed, in_db = listing.count_check(endpoint, setup.database_url, setup.reader)
        checks.append(
            check(
                f"{target:,} incidents: boto3 lists {listed:,} in the oldest incidents' time window, "
                f"the database has {in_db:,} there",
                listed == in_db > 0,
            )
        )
    return checks


class Tier:
    """The load at one tier: reads by the tenant holding the stored incidents, writes by the other."""

    def __init__(
        self, args: argparse.Namespace, workdir: Path, incidentd: servers.Process, setup: Setup, rates: dict[str, float]
    ) -> None:
        self.args, self.workdir, self.incidentd, self.setup, self.rates = args, workdir, incidentd, setup, rates
        self.load = loadgen.Load(args.threads, args.connections, args.duration)
        plan, signer = tenant.plan_request(setup.writer.account_id), setup.writer_signer

        def plans(count: int) -> list[bytes]:
            return [
                signer.raw("create_response_plan", **{**plan, "name": f"bench-{uuid.uuid4().hex}"})
                for _ in range(count)
            ]

        def starts(count: int) -> list[bytes]:
            return signer.start_incidents(setup.writer_plan, count)

        # The rates seen at earlier tiers size the first batches of this one; the counts start afresh.
        self.writes = {
            name: Writes(name, sign, workdir, rates.get(name, 0.0))
            for name, sign in (("CreateResponsePlan", plans), ("StartIncident", starts))
        }
        self.files: dict[str, Path] = {}
        self.before = self._made()

    def _made(self) -> dict[str, int]:
        """What the writer holds: to read back what this tier's writes made."""
        url, writer = self.setup.database_url, self.setup.writer
        return {
            "StartIncident": tenant.count_incidents(self.incidentd.url, writer),
            "CreateResponsePlan": tenant.count_rows(url, response_plans, writer.account_id),
            "jobs": tenant.count_response_jobs(url, writer.account_id),
        }

    def prepare(self, page_tokens: list[str | None]) -> None:
        """Sign the reads and prove the server takes them: GetResponsePlan, and a full page at every depth."""
        get = self.setup.reader_signer.get_response_plan(self.setup.reader_plan)
        tenant.check_raw_get(self.incidentd.port, get, self.setup.reader_plan)
        pages = listing.sign(self.setup.reader_signer, page_tokens)
        listing.check(self.incidentd.port, pages)
        for name, requests in (("GetResponsePlan", [get]), ("ListIncidentRecords", pages)):
            self.files[name] = self.workdir / f"{name}.req"
            signing.write_requests(self.files[name], requests)

    def round(self, hello: servers.Process) -> dict[str, loadgen.Result]:
        """The baseline, then each scenario, each with its server's peak RSS (warm-up included)."""
        load, warmup, server = self.load, self.args.warmup, self.incidentd

        def read(on: servers.Process, name: str) -> Measure:
            return lambda: measured(on.pid, lambda: cycle(on, self.files[name], load, warmup))

        def write(writes: Writes) -> Measure:
            return lambda: measured(server.pid, lambda: writes.measure(server, load, warmup))

        steps = [(BASELINE, read(hello, "GetResponsePlan")), *((name, read(server, name)) for name in READS)]
        steps += [(name, write(writes)) for name, writes in self.writes.items()]
        results = in_turn(steps, [self.setup.database_url])
        self.rates.update({name: writes.rate for name, writes in self.writes.items()})
        return results

    def verify(self, tier: int) -> list[dict[str, Any]]:
        """Every 200 made one resource, and each new incident has its response job."""
        tenant.settle()
        now, prefix, per = self._made(), f"{tier:,} incidents: ", tenant.JOBS_PER_INCIDENT
        made = {name: now[name] - self.before[name] for name in now}
        checks = [w.verify(made[name], self.args.connections, prefix) for name, w in self.writes.items()]
        jobs = f"{prefix}{made['jobs']} response jobs, {per} per new incident"
        return [*checks, check(jobs, made["jobs"] == per * made["StartIncident"])]


def run(args: argparse.Namespace, workdir: Path, database_url: str, meta: dict[str, Any]) -> int:
    """The whole matrix for one database; 1 if a target or a check fails."""
    document: dict[str, Any] = {"meta": meta, "seeding": [], "plans": {}, "checks": [], "tiers": {}}
    rows: list[report.Row] = []
    rates: dict[str, float] = {}
    reader = servers.BenchAccount()
    with contextlib.ExitStack() as stack:
        incidentd = _start(workdir, database_url)
        stack.callback(lambda: incidentd.stop())  # whichever server the last tier started
        hello = stack.enter_context(servers.start_hello(workdir))
        reader_plan = tenant.prepare(incidentd.url, reader)
        writer_plan = tenant.prepare(incidentd.url, WRITER)
        setup = Setup(
            database_url,
            reader,
            WRITER,
            reader_plan,
            writer_plan,
            signing.Signer(incidentd.url, reader),
            signing.Signer(incidentd.url, WRITER),
        )
        templates = seed.capture(incidentd.url, database_url, reader, reader_plan)
        with PeakRss(incidentd.pid) as probe:
            pass
        meta["rss_method"] = probe.method
        for tier in args.incidents:
            log(f"== {tier:,} stored incidents")
            tenant.wait_for_worker(database_url)
            incidentd.stop()  # seeding writes straight to the database, with nobody else on it
            document["seeding"].append(_seed(setup, templates, tier))
            incidentd = _start(workdir, database_url)
            document["checks"] += _verify_seeded(setup, incidentd.url, tier)
            page_tokens = listing.tokens(database_url, reader.account_id)
            found = document["plans"][str(tier)] = listing.plans(database_url, reader.account_id, page_tokens[-1])
            # With a few thousand rows a planner may rightly prefer reading the table and sorting it; what must
            # hold is that the listing reads an index where the table is big enough for it to matter.
            if tier >= INDEX_REQUIRED_FROM:
                document["checks"].append(
                    check(
                        f"{tier:,} incidents: ListIncidentRecords' first and deepest pages are read in order from "
                        "an index, from the keyset position, with no sort (plans in the results)",
                        all(listing.served_by_index(plan) for plan in found.values()),
                    )
                )
            bench = Tier(args, workdir, incidentd, setup, rates)
            bench.prepare(page_tokens)
            document["checks"].append(
                check(f"{tier:,} incidents: {len(page_tokens)} pre-signed pages each answered 100 and a token", True)
            )
            rounds = []
            for number in range(args.rounds):
                log(f"round {number + 1} of {args.rounds} at {tier:,} incidents")
                rounds.append(bench.round(hello))
            document["checks"] += bench.verify(tier)
            document["checks"].append(report.errors_check(rounds, f"{tier:,} incidents: "))
            document["tiers"][str(tier)] = [{n: m.to_dict() for n, m in r.items()} for r in rounds]
            rows += report.summarize(rounds, incidents=tier)
    scaling = report.list_scaling(rows)
    document["checks"] += [scaling] if scaling else []
    document["summary"] = rows
    return report.publish(args.results, document, "scale", f"scale-latest-{meta['database_kind']}")
