"""One command, `python bench/run.py`: hello-world, GetResponsePlan and StartIncident side by side."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import project_venv

project_venv.use()  # `python bench/run.py` with the system interpreter reruns under .venv

import hello  # noqa: E402
import loadgen  # noqa: E402
import pyspy  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
import servers  # noqa: E402
import tenant  # noqa: E402
from scenarios import Bench, log  # noqa: E402


def _counts(text: str) -> list[int]:
    counts = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("give positive numbers, e.g. 1000,1000000")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all three; medians (default 3)")
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' (a file in a temp dir; the default), 'postgresql' (a throwaway database on "
        "$INCIDENTD_TEST_POSTGRES_URL's server), or a postgresql:// URL of a server to make it on",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="serve incidentd with --processes N, and the hello-world baseline from N processes too (default 1)",
    )
    parser.add_argument(
        "--no-read-cache",
        action="store_true",
        help="turn incidentd's SQLite read cache off (INCIDENTD_READ_CACHE_MIB=0): every read from the database",
    )
    parser.add_argument("--profile", action="store_true", help="then profile both subjects with py-spy")
    parser.add_argument(
        "--incidents",
        type=_counts,
        help="comma-separated numbers of stored incidents (e.g. 1000,1000000): run the scale matrix, "
        "seeding each number in turn (bench/scale.py)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path(__file__).resolve().parent / "results",
        help="folder for the JSON and Markdown results (default bench/results)",
    )
    args = parser.parse_args(argv)
    if args.connections < args.threads or min(args.duration, args.rounds, args.threads, args.processes) < 1:
        parser.error("need duration, rounds, threads, processes >= 1 and connections >= threads")
    return args


def _meta(args: argparse.Namespace, kind: str, database_url: str) -> dict[str, Any]:
    """The conditions of the run, kept with its figures."""
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
    return {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "database_kind": kind,
        "database": database_url.split("@")[-1],
        "threads": args.threads,
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "processes": args.processes,
        "read_cache": not args.no_read_cache,
        # Other work on the machine shows here; ratios within a round are what resists it.
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "wrk": (wrk.splitlines() or ["?"])[0],
        "uvicorn_settings": hello.UVICORN_SETTINGS,
    }


def main(argv: list[str] | None = None) -> int:
    """Run everything, print the table, write the results; 1 if a target or a check fails."""
    args = parse_args(argv)
    loadgen.require_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="incidentd-bench-"))
    database_url, postgres = servers.bench_database(args.database, workdir)
    kind = "sqlite" if postgres is None else "postgresql"
    if args.incidents:
        try:
            return scale.run(args, database_url, kind, _meta(args, kind, database_url))
        finally:
            servers.clean_up([], postgres, workdir)
    bench = Bench(args, workdir, database_url)
    processes: list[servers.Process] = []
    try:
        cache_off = {"INCIDENTD_READ_CACHE_MIB": "0"} if args.no_read_cache else None
        processes.append(
            servers.start_incidentd(workdir, database_url, bench.account, cache_off, processes=args.processes)
        )
        processes.append(servers.start_hello(workdir, processes=args.processes))
        incidentd, hello_server = processes
        log(
            f"incidentd on {incidentd.url} ({kind}), hello-world on {hello_server.url}; "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s)"
        )
        bench.setup(incidentd)
        meta = _meta(args, kind, database_url)
        rounds = []
        for number in range(args.rounds):
            log(f"round {number + 1} of {args.rounds}")
            rounds.append(bench.round(hello_server))
        checks = bench.verify(rounds)
        rows = report.summarize(rounds)
        document: dict[str, Any] = {
            "meta": meta,
            "summary": rows,
            "checks": checks,
            "rounds": [{name: result.to_dict() for name, result in r.items()} for r in rounds],
        }
        if args.profile:
            tenant.wait_for_worker(bench.database_url)
        found = pyspy.profile_subjects(bench, args.results) if args.profile else {}
        if found:
            document["profile"] = found
        json_path, md_path = report.write(args.results, document)
    finally:
        servers.clean_up(processes, postgres, workdir)
    print(report.text_table(rows))
    for check in checks:
        print(f"{'ok' if check['ok'] else 'CHECK FAILED'}: {check['what']}")
    pyspy.show(found)
    print(f"\nwritten: {json_path} and {md_path}")
    passed = all(row["pass"] is not False for row in rows) and all(check["ok"] for check in checks)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
