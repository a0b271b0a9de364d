"""`python bench/paging.py`: start engagements at a steady rate and time how long until each first page is mailed."""

# The target (issue 3): at 50 engagements started per second, the first page of each leaves within 1 second (p99),
# measured against a local SMTP sink. The baseline of the same run is the sink itself: the time this process needs to
# hand a mail to it directly over SMTP, which is the floor any page delivery pays.

from __future__ import annotations

import argparse
import contextlib
import queue
import shutil
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import project_venv

project_venv.use()  # `python bench/paging.py` with the system interpreter reruns under .venv

import servers  # noqa: E402
from signing import REGION, client  # noqa: E402
from sink import RemoteSink  # noqa: E402

THREADS = 16  # enough for 50 calls a second that each take tens of milliseconds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=50, help="engagements started per second (default 50)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load (default 20)")
    parser.add_argument("--contacts", type=int, default=50, help="personal contacts paged round robin (default 50)")
    parser.add_argument(
        "--database", default="sqlite", help="as run.py's: 'sqlite' (default), 'postgresql' or a postgresql:// URL"
    )
    return parser.parse_args(argv)


def _client(service: str, endpoint: str, account: servers.BenchAccount) -> Any:
    return client(endpoint, account, service, max_pool_connections=64)


def set_up(endpoint: str, account: servers.BenchAccount, sink: RemoteSink, count: int) -> list[str]:
    """Onboard the account and make `count` personal contacts with activated e-mail channels; their ARNs."""
    incidents = _client("ssm-incidents", endpoint, account)
    arn = incidents.create_replication_set(regions={REGION: {}})["arn"]
    while incidents.get_replication_set(arn=arn)["replicationSet"]["status"] != "ACTIVE":
        time.sleep(0.2)
    contacts = _client("ssm-contacts", endpoint, account)
    made = []
    for index in range(count):
        contact = contacts.create_contact(Alias=f"bench-{index}", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        address = f"bench-{index}@example.com"
        channel = contacts.create_contact_channel(
            ContactId=contact, Name=f"bench {index}", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
        )["ContactChannelArn"]
        contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=sink.code_for(address))
        made.append(contact)
    return made


def load(
    endpoint: str, account: servers.BenchAccount, contacts: list[str], rate: int, duration: int
) -> tuple[dict[str, float], list[float]]:
    """Start rate×duration engagements on a fixed schedule; when each call began, and how long each took."""
    # Clients are made before the clock starts: making one costs tens of milliseconds of CPU.
    clients: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for _ in range(THREADS):
        clients.put(_client("ssm-contacts", endpoint, account))
    started: dict[str, float] = {}
    answered: list[float] = []
    lock = threading.Lock()
    begin = time.time() + 0.5

    def start(index: int) -> None:
        delay = begin + index / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        subject = f"bench page {index}"
        client = clients.get()
        called = time.time()
        client.start_engagement(
            ContactId=contacts[index % len(contacts)], Sender="bench", Subject=subject, Content="benchmark page"
        )
        took = time.time() - called
        clients.put(client)
        with lock:
            started[subject] = called
            answered.append(took)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(start, range(rate * duration)))
    return started, answered


def smtp_floor(sink: RemoteSink, sends: int = 200) -> list[float]:
    """How long handing one mail straight to the sink takes, connection included, as a page's SMTP send does."""
    host, port = sink.url.removeprefix("smtp://").split(":")
    times = []
    for index in range(sends):
        begin = time.time()
        with smtplib.SMTP(host, int(port), timeout=10) as smtp:
            smtp.sendmail("bench@example.com", [f"floor-{index}@example.com"], b"Subject: floor\r\n\r\nfloor\r\n")
        times.append(time.time() - begin)
    return times


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table row."""
    args = parse_args(argv)
    account = servers.BenchAccount()
    env = {"INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="incidentd-paging-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        url = stack.enter_context(servers.bench_database(args.database, workdir))
        sink = RemoteSink()
        stack.callback(sink.stop)
        server = stack.enter_context(
            servers.start_incidentd(workdir, url, account, {**env, "INCIDENTD_SMTP_URL": sink.url})
        )
        contacts = set_up(server.url, account, sink, args.contacts)
        floor = smtp_floor(sink)
        started, answered = load(server.url, account, contacts, args.rate, args.duration)
        expected = len(started)
        sink.wait_for(lambda mails: sum(m["subject"].startswith("bench page") for m in mails) >= expected, timeout=120)
        arrived = {m["subject"]: m["received"] for m in sink.mails if m["subject"].startswith("bench page")}
        latencies = [arrived[subject] - called for subject, called in started.items()]
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(f"engagements: {expected} at {args.rate}/s on {args.database}; first pages mailed: {len(arrived)}")
    print(
        "| database | engagements/s | first page p50 ms | p99 ms | max ms | StartEngagement p50 / p99 ms "
        "| SMTP floor p50 ms | target p99 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    verdict = "met" if p99 <= 1.0 else "**not met**"
    print(
        f"| {args.database} | {args.rate} | {p50 * 1000:.0f} | {p99 * 1000:.0f} | {max(latencies) * 1000:.0f} "
        f"| {statistics.median(answered) * 1000:.0f} / {percentile(answered, 0.99) * 1000:.0f} "
        f"| {statistics.median(floor) * 1000:.1f} | ≤ 1000 ms: {verdict} |"
    )
    return 0 if len(arrived) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
