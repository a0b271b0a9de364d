"""`python bench/floor.py`: how far the least possible Python server gets, against the same hello-world.

incidentd's targets are ratios to uvicorn's hello-world. This runs `floor_app.py` (a lower bound of the work
the two operations need, see its docstring) under the same load and the same signed requests as `run.py`, and
prints its ratios in the same table. A target the floor misses on a machine is out of reach there for any
server that does the whole work in Python.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import project_venv

project_venv.use()  # `python bench/floor.py` with the system interpreter reruns under .venv

import loadgen  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
import signing  # noqa: E402
import tenant  # noqa: E402
from scenarios import log  # noqa: E402

from incidentd.store import migrate  # noqa: E402
from incidentd.store.db import Database  # noqa: E402
from incidentd.store.tables import response_plans  # noqa: E402

STARTS_PER_SECOND = 6000  # more than the floor reaches here: a run that still runs out is redone with more


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (the load settings mean what they mean for run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1, help="floor and hello-world from N processes each")
    parser.add_argument("--no-worker", action="store_true", help="leave the response jobs unrun (SQLite)")
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' (the default: reads and starts) or 'postgresql' / a postgresql:// admin URL (reads only)",
    )
    return parser.parse_args(argv)


def seed(database_url: str, account: servers.BenchAccount) -> str:
    """incidentd's schema and the benchmark's plan, as CreateResponsePlan stores it; the plan's ARN."""
    db = Database(database_url)
    try:
        migrate.upgrade(db)
        plan = tenant.plan_request(account.account_id)
        with db.write() as conn:
            conn.execute(response_plans.insert().values(account_id=account.account_id, name=plan["name"], doc=plan))
    finally:
        db.dispose()
    return f"arn:aws:ssm-incidents::{account.account_id}:response-plan/{plan['name']}"


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the table."""
    args = parse_args(argv)
    loadgen.require_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="incidentd-floor-"))
    account = servers.BenchAccount()
    database_url, postgres = servers.bench_database(args.database, workdir)
    plan_arn = seed(database_url, account)
    load = loadgen.Load(args.threads, args.connections, args.duration)
    started: list[servers.Process] = []
    try:
        port = servers.free_port()
        command = [sys.executable, str(servers.BENCH_DIR / "floor_app.py"), "--port", str(port)]
        command += ["--database", database_url, "--processes", str(args.processes)]
        command += [] if args.no_worker else ["--worker"]
        started.append(servers.Process("floor", command, port, workdir, dict(os.environ)))
        started.append(servers.start_hello(workdir, processes=args.processes))
        floor, hello = started
        signer = signing.Signer(floor.url, account.access_key, account.secret_key)
        get_file = workdir / "get.req"
        signing.write_requests(get_file, [signer.get_response_plan(plan_arn)])
        rounds = []
        for number in range(args.rounds):
            log(f"round {number + 1} of {args.rounds}")
            if postgres is None and not args.no_worker:
                # As run.py waits for incidentd's worker: a backlog would share the CPU with the measurement.
                tenant.wait_for_worker(database_url, kinds=["floor.respond"])
            results = {}
            for name, server in ((report.BASELINE, hello), ("GetResponsePlan", floor)):
                loadgen.run(server.url + "/", get_file, "cycle", load, duration=args.warmup)
                results[name] = loadgen.run(server.url + "/", get_file, "cycle", load, server_pid=server.pid)
            if postgres is None:
                results["StartIncident"] = _starts(signer, plan_arn, workdir, floor, load)
            for name, result in results.items():
                log(f"  {name}: {result.rps:,.0f} req/s (server CPU {result.server_cpu_pct:.0f}%)")
            rounds.append(results)
        if postgres is None:
            _check_rows(database_url, sum(r["StartIncident"].ok for r in rounds))
    finally:
        servers.clean_up(started, postgres, workdir)
    rows = report.summarize(rounds)
    print(f"The floor ({'PostgreSQL' if postgres else 'SQLite'}, {args.processes} process(es)) against hello-world:")
    print(report.text_table(rows))
    return 0


def _check_rows(database_url: str, answered: int) -> None:
    """The floor really committed what it answered, and its worker ran the response jobs."""
    tenant.settle(2.0)
    db = Database(database_url)
    try:
        with db.read() as conn:
            incidents = conn.exec_driver_sql("SELECT count(*) FROM incidents").scalar_one()
            done = conn.exec_driver_sql(
                "SELECT count(*) FROM jobs WHERE kind = 'floor.respond' AND state = 'done'"
            ).scalar_one()
    finally:
        db.dispose()
    log(f"  {incidents} incidents committed for {answered} 200s; {done} response jobs run")
    if incidents < answered:
        raise RuntimeError("the floor answered starts it did not commit")


def _starts(
    signer: signing.Signer, plan_arn: str, workdir: Path, floor: servers.Process, load: loadgen.Load
) -> loadgen.Result:
    """Each signed StartIncident once, with enough of them that no wrk thread runs out."""
    count = STARTS_PER_SECOND * int(load.duration)
    for _ in range(3):
        path = workdir / "start.req"
        signing.write_requests(path, signer.start_incidents(plan_arn, count))
        result = loadgen.run(floor.url + "/", path, "once", load, server_pid=floor.pid)
        if not result.exhausted_threads:
            return result
        count *= 2
    raise RuntimeError("the floor kept outrunning its signed StartIncident requests")


if __name__ == "__main__":
    sys.exit(main())
