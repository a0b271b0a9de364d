"""`python bench/fairness.py`: one account keeps 10,000 jobs queued; how fast does another account's first page leave?

The scenario (issue 17): account A's backlog is held at `--backlog` queued jobs (10,000) for the whole run, jobs of a
cheap kind written straight into the job table (a runbook step of an execution that does not exist: one read, then
done), topped up every `--top-up` seconds as the worker drains them. Meanwhile account B starts `--incidents`
incidents (50), one every `--gap` seconds, each from a plan that engages a contact with an e-mail channel; the time
from StartIncident leaving this process to the page's e-mail reaching an SMTP sink (bench/sink.py, a process of its
own) is the first page's latency. Reported: p50/p99/max, against the target p99 ≤ 2 s, and the backlog A held.

`--ref REF` runs the server from a git ref's code (e.g. the commit before the fair claim) for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import project_venv

project_venv.use()  # `python bench/fairness.py` with the system interpreter reruns under .venv

import servers  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from signing import REGION, client  # noqa: E402
from sink import RemoteSink  # noqa: E402

from incidentd.store import queue  # noqa: E402
from incidentd.store.db import Database  # noqa: E402
from incidentd.store.tables import jobs  # noqa: E402

FLOODER = servers.BenchAccount("AKIDBENCHFLOOD00000", "flood-secret", "210987654321")
PAGED = servers.BenchAccount()
TARGET_P99_SECONDS = 2.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backlog", type=int, default=10_000, help="jobs account A keeps queued (default 10,000)")
    parser.add_argument("--incidents", type=int, default=50, help="incidents account B starts (default 50)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between B's incidents (default 0.5)")
    parser.add_argument("--top-up", type=float, default=0.25, help="seconds between top-ups of A's backlog")
    parser.add_argument("--ref", default=None, help="run the server from this git ref's code instead of the tree's")
    parser.add_argument(
        "--database", default="sqlite", help="as run.py's: 'sqlite' (default), 'postgresql' or a postgresql:// URL"
    )
    return parser.parse_args(argv)


def set_up(endpoint: str, sink: RemoteSink) -> None:
    """Onboard B with a contact whose e-mail channel is active, and a plan that engages it."""
    incidents = client(endpoint, PAGED)
    arn = incidents.create_replication_set(regions={REGION: {}})["arn"]
    while incidents.get_replication_set(arn=arn)["replicationSet"]["status"] != "ACTIVE":
        time.sleep(0.2)
    contacts = client(endpoint, PAGED, "ssm-contacts")
    contact = contacts.create_contact(Alias="fair-oncall", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    address = "fair-oncall@example.com"
    channel = contacts.create_contact_channel(
        ContactId=contact, Name="mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=sink.code_for(address))
    incidents.create_response_plan(name="fair", incidentTemplate={"title": "fair", "impact": 3}, engagements=[contact])


class Backlog:
    """Keeps account A's queued jobs at the target, from a thread of its own, as the worker drains them."""

    def __init__(self, url: str, target: int, every: float) -> None:
        self.db = Database(url)
        self.target, self.every = target, every
        self.held: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._serial = 0

    def __enter__(self) -> Backlog:
        self.top_up()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.db.dispose()

    def queued(self) -> int:
        """A's queued jobs now."""
        statement = sa.select(sa.func.count()).where(jobs.c.account_id == FLOODER.account_id, jobs.c.state == "queued")
        with self.db.read() as conn:
            return int(conn.execute(statement).scalar_one())

    def top_up(self) -> None:
        """Queue as many cheap jobs as A is short of the target."""
        have = self.queued()
        self.held.append(have)
        missing = self.target - have
        if missing <= 0:
            return
        batch = [("runbook.step", {"executionId": f"flood-{self._serial + n}", "token": 0}) for n in range(missing)]
        self._serial += missing
        now = int(time.time() * 1000)
        with self.db.write() as conn:
            queue.enqueue_many(conn, FLOODER.account_id, batch, now, now)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.top_up()


def measure(endpoint: str, sink: RemoteSink, count: int, gap: float) -> dict[str, float]:
    """Start B's incidents one every `gap` seconds; when each StartIncident left, by its title."""
    incidents = client(endpoint, PAGED)
    plan = incidents.list_response_plans()["responsePlanSummaries"][0]["arn"]
    started: dict[str, float] = {}
    for index in range(count):
        title = f"fair-{index:03d}"
        started[title] = time.time()
        incidents.start_incident(responsePlanArn=plan, title=title)
        time.sleep(gap)
    return started


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table row."""
    args = parse_args(argv)
    credentials = f"{PAGED.credentials},{FLOODER.credentials}"
    env = {"INCIDENTD_EMAIL_FROM": "incidentd@example.com", "INCIDENTD_CREDENTIALS": credentials}
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="incidentd-fairness-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        src = None
        if args.ref:
            src, _ = stack.enter_context(servers.worktree(args.ref, workdir / "ref"))
        url = stack.enter_context(servers.bench_database(args.database, workdir))
        sink = RemoteSink()
        stack.callback(sink.stop)
        server = stack.enter_context(
            servers.start_incidentd(workdir, url, PAGED, {**env, "INCIDENTD_SMTP_URL": sink.url}, src=src)
        )
        set_up(server.url, sink)
        with Backlog(url, args.backlog, args.top_up) as backlog:
            started = measure(server.url, sink, args.incidents, args.gap)
            titles = set(started)

            def arrived(mails: list[dict[str, Any]]) -> dict[str, float] | None:
                found = {}
                for mail in mails:
                    for title in titles:
                        if title in mail["subject"] and title not in found:
                            found[title] = mail["received"]
                return found if len(found) == len(titles) else None

            mailed = sink.wait_for(arrived, timeout=600)
            held = backlog.held[len(backlog.held) // 10 :] or backlog.held
    latencies = [mailed[title] - called for title, called in started.items()]
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    verdict = "met" if p99 <= TARGET_P99_SECONDS else "**not met**"
    code = args.ref or "working tree"
    print(f"B's incidents: {len(started)}, one every {args.gap}s; A's backlog target {args.backlog} ({code})")
    print("| database | code | A's queued jobs (min / median) | first page p50 ms | p99 ms | max ms | target p99 |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.database} | {code} | {min(held)} / {int(statistics.median(held))} | {p50 * 1000:.0f} "
        f"| {p99 * 1000:.0f} | {max(latencies) * 1000:.0f} | ≤ 2000 ms: {verdict} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
