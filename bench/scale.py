"""`python bench/run.py --incidents 1000,1000000`: every scenario at each number of stored incidents.

Two tenants share the server. The reader holds the stored incidents and is only read (GetResponsePlan,
ListIncidentRecords), so each tier lists exactly the number it names however many writes ran before. The
writer takes CreateResponsePlan and StartIncident; its rows land in the same tables and indexes, so writes
are measured against the full tables too. Tiers run smallest first, each topping up the one before.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bulk
import explain
import listing
import loadgen
import scale_report
import seed
import servers
import signing
import sqlalchemy as sa
import tenant
from rss import PeakRss
from scale_scenarios import Measured, TierBench
from scenarios import log

from incidentd.store.db import Database
from incidentd.store.tables import incidents, response_plans

WRITER = servers.BenchAccount(access_key="AKIDBENCHWRITER0000", secret_key="bench-writer", account_id="210987654321")
SMALL_ENOUGH_TO_COUNT = 10_000  # below this, boto3 reads back every stored incident; above, a window of them

INDEX_REQUIRED_FROM = 100_000  # stored incidents from which the query plan must use the index


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
    db = Database(database_url, pool_size=1)
    try:
        with db.read() as conn:
            count, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(incidents.c.creation_ms)).where(
                    incidents.c.account_id == account_id
                )
            ).one()
            return int(count), oldest
    finally:
        db.dispose()


def _count_plans(database_url: str, account_id: str) -> int:
    db = Database(database_url, pool_size=1)
    try:
        with db.read() as conn:
            query = sa.select(sa.func.count()).select_from(response_plans)
            return int(conn.execute(query.where(response_plans.c.account_id == account_id)).scalar_one())
    finally:
        db.dispose()


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


def _check(what: str, ok: bool) -> dict[str, Any]:
    return {"what": what, "ok": bool(ok)}


def _verify_seeded(setup: Setup, endpoint: str, target: int) -> list[dict[str, Any]]:
    """The stored incidents are there for the API: counted by boto3 (all of them, or the oldest window)."""
    have, _ = _stored(setup.database_url, setup.reader.account_id)
    checks = [_check(f"{target:,} incidents: the database holds {have:,} for the reader", have == target)]
    if target <= SMALL_ENOUGH_TO_COUNT:
        listed = tenant.count_incidents(endpoint, setup.reader)
        checks.append(_check(f"{target:,} incidents: boto3 lists all {listed:,}", listed == target))
    else:
        listed, in_db = listing.count_check(endpoint, setup.database_url, setup.reader)
        checks.append(
            _check(
                f"{target:,} incidents: boto3 lists {listed:,} in the oldest incidents' time window, "
                f"the database has {in_db:,} there",
                listed == in_db > 0,
            )
        )
    return checks


class _Writes:
    """What the writer had before a tier, to read back what the tier's writes made."""

    def __init__(self, setup: Setup, endpoint: str) -> None:
        self.setup, self.endpoint = setup, endpoint
        self.incidents = tenant.count_incidents(endpoint, setup.writer)
        self.plans = _count_plans(setup.database_url, setup.writer.account_id)
        self.jobs = tenant.count_response_jobs(setup.database_url, setup.writer.account_id)

    def verify(self, bench: TierBench, tier: int, connections: int) -> list[dict[str, Any]]:
        """Every 200 made one resource; at most one request per connection was still in flight at each stop."""
        tenant.settle()
        made = {
            "StartIncident": tenant.count_incidents(self.endpoint, self.setup.writer) - self.incidents,
            "CreateResponsePlan": _count_plans(self.setup.database_url, self.setup.writer.account_id) - self.plans,
        }
        checks = []
        for name, created in made.items():
            ledger = bench.writes[name].ledger
            in_flight_ok = created - ledger.ok <= connections * ledger.runs
            checks.append(
                _check(
                    f"{tier:,} incidents: {name}: {created} created for {ledger.ok} 200s and {ledger.sent} sent",
                    0 < ledger.ok <= created <= ledger.sent and in_flight_ok,
                )
            )
        jobs = tenant.count_response_jobs(self.setup.database_url, self.setup.writer.account_id) - self.jobs
        per = tenant.JOBS_PER_INCIDENT
        checks.append(
            _check(
                f"{tier:,} incidents: {jobs} response jobs, {per} per new incident",
                jobs == per * made["StartIncident"],
            )
        )
        return checks


def _errors(tier: int, rounds: list[dict[str, Measured]]) -> dict[str, Any]:
    failed = {
        f"{name} round {i + 1}": {k: v for k, v in m.result.errors.items() if v}
        for i, results in enumerate(rounds)
        for name, m in results.items()
        if any(m.result.errors.values())
    }
    return _check(f"{tier:,} incidents: no errors or non-2xx responses" + (f": {failed}" if failed else ""), not failed)


def run(args: argparse.Namespace, database_url: str, kind: str, meta: dict[str, Any]) -> int:
    """The whole matrix for one database; 1 if a target or a check fails."""
    loadgen.require_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="incidentd-scale-"))
    reader = servers.BenchAccount()
    incidentd = _start(workdir, database_url)
    hello = servers.start_hello(workdir)
    document: dict[str, Any] = {"meta": meta, "seeding": [], "plans": {}, "checks": [], "tiers": {}}
    tiers: dict[int, list[dict[str, Measured]]] = {}
    rates: dict[str, float] = {}
    try:
        reader_plan = tenant.prepare(incidentd.url, reader)
        writer_plan = tenant.prepare(incidentd.url, WRITER)
        setup = Setup(
            database_url,
            reader,
            WRITER,
            reader_plan,
            writer_plan,
            signing.Signer(incidentd.url, reader.access_key, reader.secret_key),
            signing.Signer(incidentd.url, WRITER.access_key, WRITER.secret_key),
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
            found = explain.plans(database_url, reader.account_id, page_tokens[-1])
            document["plans"][str(tier)] = found
            # With a few thousand rows a planner may rightly prefer reading the table and sorting it; what must
            # hold is that the listing reads an index where the table is big enough for it to matter.
            if tier >= INDEX_REQUIRED_FROM:
                document["checks"].append(
                    _check(
                        f"{tier:,} incidents: ListIncidentRecords' first and deepest pages are read in order from "
                        "an index, from the keyset position, with no sort (plans in the results)",
                        all(explain.served_by_index(plan) for plan in found.values()),
                    )
                )
            bench = TierBench(args, workdir, incidentd, setup, rates)
            bench.prepare(page_tokens)
            document["checks"].append(
                _check(f"{tier:,} incidents: {len(page_tokens)} pre-signed pages each answered 100 and a token", True)
            )
            writes = _Writes(setup, incidentd.url)
            rounds = []
            for number in range(args.rounds):
                log(f"round {number + 1} of {args.rounds} at {tier:,} incidents")
                rounds.append(bench.round(hello))
            tiers[tier] = rounds
            document["checks"] += writes.verify(bench, tier, args.connections)
            document["checks"].append(_errors(tier, rounds))
            document["tiers"][str(tier)] = [{n: m.to_dict() for n, m in r.items()} for r in rounds]
    finally:
        incidentd.stop()
        hello.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = scale_report.summarize(tiers)
    scaling = scale_report.list_scaling(rows)
    if scaling:
        document["checks"].append(scaling)
    document["summary"] = rows
    json_path, md_path = scale_report.write(args.results, document)
    print(scale_report.text_table(rows))
    for check in document["checks"]:
        print(f"{'ok' if check['ok'] else 'CHECK FAILED'}: {check['what']}")
    print(f"\nwritten: {json_path} and {md_path}")
    passed = all(r["pass"] is not False and r["rss_pass"] is not False for r in rows)
    return 0 if passed and all(c["ok"] for c in document["checks"]) else 1
