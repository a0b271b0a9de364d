"""One command, `python bench/run.py`: hello-world, GetResponsePlan and StartIncident side by side."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
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
from scenarios import Subject, log, plain_round  # noqa: E402


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
    parser.add_argument(
        "--against",
        metavar="REF",
        help="also measure incidentd as of a git ref of this repository (e.g. HEAD, main~3), in the same rounds",
    )
    parser.add_argument(
        "--policy",
        action="store_true",
        help="also measure both scenarios signed by a second key of the account that holds bench/policy.json (ten "
        "statements), in the same rounds; the table gives policy/none, the median of the per-round ratios",
    )
    parser.add_argument("--profile", action="store_true", help="then profile both scenarios with py-spy")
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
    if args.against and args.incidents:
        parser.error("--against measures the plain run only, not the scale matrix (--incidents)")
    if args.policy and (args.against or args.incidents):
        parser.error("--policy compares two keys of one server: not with --against or --incidents")
    return args


def _meta(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    """The conditions of the run, kept with its figures."""
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
    return {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "database_kind": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "database": database_url.split("@")[-1],
        "threads": args.threads,
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "processes": args.processes,
        "read_cache": not args.no_read_cache,
        "policy": tenant.POLICY_FILE.name if args.policy else None,
        # Other work on the machine shows here; ratios within a round are what resists it.
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "wrk": (wrk.splitlines() or ["?"])[0],
        "uvicorn_settings": hello.UVICORN_SETTINGS,
    }


def plain(args: argparse.Namespace, stack: contextlib.ExitStack, workdir: Path, database_url: str) -> dict[str, Any]:
    """The rounds of the plain run, with --against's server beside this one; the results and checks."""
    meta = _meta(args, database_url)
    env = {"INCIDENTD_READ_CACHE_MIB": "0"} if args.no_read_cache else None

    def serve(folder: Path, url: str, src: Path | None = None) -> servers.Process:
        account = servers.BenchAccount()
        settings = tenant.policy_config() if args.policy else ""
        return stack.enter_context(
            servers.start_incidentd(folder, url, account, env, args.processes, src, settings=settings)
        )

    subjects = [Subject(serve(workdir, database_url), database_url, workdir, policy=args.policy)]
    if args.against:
        # The same settings and credentials, its own database, incidentd's code as of the ref.
        folder = workdir / "against"
        folder.mkdir()
        src, commit = stack.enter_context(servers.worktree(args.against, folder / "tree"))
        url = stack.enter_context(servers.bench_database(args.database, folder))
        subjects.append(Subject(serve(folder, url, src), url, folder, label=args.against))
        meta["against"] = f"{args.against} ({commit})"
    hello = stack.enter_context(servers.start_hello(workdir, processes=args.processes))
    servers_under_test = ", ".join(s.server.url for s in subjects)
    log(
        f"incidentd on {servers_under_test} ({meta['database_kind']}), hello-world on {hello.url}; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} round(s)"
    )
    load = loadgen.Load(args.threads, args.connections, args.duration)
    rounds = []
    for number in range(args.rounds):
        log(f"round {number + 1} of {args.rounds}")
        rounds.append(plain_round(hello, subjects, load, args.warmup, flip=number % 2 == 1))
    tenant.settle()  # requests still in flight when wrk stopped finish before the read-backs
    checks = [
        report.check("pre-signed GetResponsePlan and StartIncident answered 200; boto3 read them back", True),
        report.errors_check(rounds, "measured runs: "),
        *(found for s in subjects for found in s.verify(args.connections)),
    ]
    document = {
        "meta": meta,
        "summary": report.summarize(rounds),
        "checks": checks,
        "rounds": [{name: result.to_dict() for name, result in r.items()} for r in rounds],
    }
    if args.profile:
        tenant.wait_for_worker(database_url)
        document["profile"] = pyspy.profile_subjects(subjects[0], load, args.results)
    return document


def main(argv: list[str] | None = None) -> int:
    """Run everything, print the table, write the results; 1 if a target or a check fails."""
    args = parse_args(argv)
    loadgen.require_wrk()
    with contextlib.ExitStack() as stack:  # on the way out: servers stopped, databases dropped, worktree removed
        workdir = Path(tempfile.mkdtemp(prefix="incidentd-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        database_url = stack.enter_context(servers.bench_database(args.database, workdir))
        if args.incidents:
            return scale.run(args, workdir, database_url, _meta(args, database_url))
        document = plain(args, stack, workdir, database_url)
    pyspy.show(document.get("profile", {}))
    return report.publish(args.results, document, "results", "latest")


if __name__ == "__main__":
    sys.exit(main())
