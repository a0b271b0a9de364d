"""`python bench/alert_storm.py`: an Alertmanager storm on SQLite: what ingest serves, and how fast new groups page.

The storm (issue 17): `--groups` alert groups (100), each notification re-sent `--rate` times a second (50) for
`--duration` seconds (60 for the full run; 20 by default), through one ingest token, as a misconfigured Alertmanager
would. Group i starts `--stagger` × i / groups seconds in, so that most groups open their incident while the others
already storm. Each group has a connection of its own and waits for each answer before its next send (as
Alertmanager's per-group pipeline does), so a slow server is offered less rather than an endless queue.

Reported:
- served: answers per second over the storm, by status (201 new incident, 200 deduplicated, 429 over the limit);
- first page: for each group, from its first notification leaving this process to the page's e-mail reaching an
  SMTP sink (bench/sink.py, a process of its own), p50/p99/max; the target is p99 under 2 s;
- repeat vs GetResponsePlan: afterwards, with the storm over and the worker idle, the same closed loop
  (`--connections` keep-alive connections for `--compare-seconds`) sends one group's identical repeat, then a
  boto3-signed GetResponsePlan (answered by the read cache, as in bench/run.py): requests/s and the server's CPU
  milliseconds per request of each, measured one after the other in the same run.

The token's `rate_per_minute` is set high (`--rate-per-minute`, default 10,000,000) so that the repeat path is
what is measured; `--rate-per-minute 600` (the default an operator gets) shows the storm answered mostly with 429.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import project_venv

project_venv.use()  # `python bench/alert_storm.py` with the system interpreter reruns under .venv

import servers  # noqa: E402
from loadgen import cpu_seconds  # noqa: E402
from signing import REGION, Signer, client  # noqa: E402
from sink import RemoteSink  # noqa: E402

TOKEN = "bench-alert-storm-token-0123456789"
PLAN = "storm"
TARGET_P99_SECONDS = 2.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=100, help="alert groups (default 100)")
    parser.add_argument("--rate", type=float, default=50, help="sends per second of each group (default 50)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of storm (default 20; the issue's: 60)")
    parser.add_argument("--stagger", type=float, default=None, help="seconds over which groups start (default half)")
    parser.add_argument("--rate-per-minute", type=int, default=10_000_000, help="the token's rate_per_minute")
    parser.add_argument("--connections", type=int, default=16, help="connections of the comparison (default 16)")
    parser.add_argument("--compare-seconds", type=float, default=10, help="seconds of each comparison (default 10)")
    parser.add_argument(
        "--database", default="sqlite", help="as run.py's: 'sqlite' (default), 'postgresql' or a postgresql:// URL"
    )
    return parser.parse_args(argv)


def notification(index: int) -> dict[str, Any]:
    """Group index's Alertmanager notification (payload version 4), the same every time it is sent."""
    name = f"storm-{index:04d}"
    alert = {
        "status": "firing",
        "labels": {"alertname": name, "severity": "page", "instance": f"web-{index}:9100"},
        "annotations": {"summary": f"{name} is failing"},
        "startsAt": "2026-12-06T10:00:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus:9090/graph?g0.expr=up%7Binstance%3D%22web-{index}%22%7D",
        "fingerprint": f"{index:016x}",
    }
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "incidentd",
        "groupLabels": {"alertname": name},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager:9093",
        "alerts": [alert],
    }


def raw_post(port: int, index: int) -> bytes:
    """Group index's notification as the raw HTTP/1.1 request Alertmanager would send."""
    body = json.dumps(notification(index)).encode()
    head = (
        f"POST /ingest/alertmanager/{PLAN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def set_up(endpoint: str, account: servers.BenchAccount, sink: RemoteSink) -> str:
    """Onboard, make a contact with an activated e-mail channel, and the plan that engages it; the plan's ARN."""
    incidents = client(endpoint, account)
    arn = incidents.create_replication_set(regions={REGION: {}})["arn"]
    while incidents.get_replication_set(arn=arn)["replicationSet"]["status"] != "ACTIVE":
        time.sleep(0.2)
    contacts = client(endpoint, account, "ssm-contacts")
    contact = contacts.create_contact(Alias="storm-oncall", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    address = "storm-oncall@example.com"
    channel = contacts.create_contact_channel(
        ContactId=contact, Name="storm mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=sink.code_for(address))
    template = {"title": "Storm", "impact": 2}
    return str(incidents.create_response_plan(name=PLAN, incidentTemplate=template, engagements=[contact])["arn"])


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one request on a keep-alive connection and read its whole answer; its status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def storm(port: int, groups: int, rate: float, duration: float, stagger: float) -> dict[str, Any]:
    """Every group's notification, re-sent at the rate until the storm ends; when each group was first sent."""
    statuses: Counter[int] = Counter()
    first_sent: dict[int, float] = {}
    begin = time.time() + 0.5
    end = begin + duration

    async def group(index: int) -> None:
        request = raw_post(port, index)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        due = begin + stagger * index / groups
        try:
            while due < end:
                delay = due - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if index not in first_sent:
                    first_sent[index] = time.time()
                statuses[await _exchange(reader, writer, request)] += 1
                # Behind schedule (a slow answer): send again at once, without a burst to catch up.
                due = max(due + 1 / rate, time.time())
        finally:
            writer.close()

    await asyncio.gather(*(group(index) for index in range(groups)))
    return {"statuses": statuses, "first_sent": first_sent, "seconds": time.time() - begin}


async def closed_loop(port: int, request: bytes, connections: int, seconds: float) -> tuple[Counter[int], float]:
    """The same request as fast as `connections` keep-alive connections get answers; statuses, elapsed seconds."""
    statuses: Counter[int] = Counter()
    end = time.time() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.time() < end:
                statuses[await _exchange(reader, writer, request)] += 1
        finally:
            writer.close()

    begin = time.time()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return statuses, time.time() - begin


def compare(port: int, pid: int, label: str, request: bytes, args: argparse.Namespace) -> dict[str, Any]:
    """One closed-loop measurement: requests/s, and the server's CPU per request."""
    asyncio.run(closed_loop(port, request, args.connections, 1.0))  # warm-up
    before = cpu_seconds(pid)
    statuses, seconds = asyncio.run(closed_loop(port, request, args.connections, args.compare_seconds))
    cpu = cpu_seconds(pid) - before
    count = sum(statuses.values())
    return {
        "label": label,
        "statuses": dict(statuses),
        "rps": count / seconds,
        "cpu_ms": 1000 * cpu / count if count else 0.0,
    }


def _pages(mails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The storm's pages among the sink's mails: their subject ends in the incident's title, "Storm: storm-NNNN"."""
    return [m for m in mails if "Storm: storm-" in m["subject"]]


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Run the storm, then the comparison, and print the tables."""
    args = parse_args(argv)
    stagger = args.duration / 2 if args.stagger is None else args.stagger
    account = servers.BenchAccount()
    settings = f'[[ingest_tokens]]\ntoken = "{TOKEN}"\naccount = "{account.account_id}"\n'
    settings += f"rate_per_minute = {args.rate_per_minute}\n"
    env = {"INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="incidentd-storm-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        url = stack.enter_context(servers.bench_database(args.database, workdir))
        sink = RemoteSink()
        stack.callback(sink.stop)
        server = stack.enter_context(
            servers.start_incidentd(workdir, url, account, {**env, "INCIDENTD_SMTP_URL": sink.url}, settings=settings)
        )
        plan_arn = set_up(server.url, account, sink)
        cpu_before = cpu_seconds(server.pid)
        result = asyncio.run(storm(server.port, args.groups, args.rate, args.duration, stagger))
        storm_cpu = cpu_seconds(server.pid) - cpu_before
        opened = result["statuses"][201]
        with contextlib.suppress(TimeoutError):
            sink.wait_for(lambda mails: len(_pages(mails)) >= opened, timeout=120)
        arrived: dict[int, float] = {}
        for mail in _pages(sink.mails):
            index = int(mail["subject"].rsplit("storm-", 1)[1][:4])
            arrived.setdefault(index, mail["received"])
        latencies = [arrived[i] - sent for i, sent in result["first_sent"].items() if i in arrived]
        pages_of = client(server.url, account).get_paginator("list_incident_records").paginate()
        incidents = [summary for page in pages_of for summary in page["incidentRecordSummaries"]]
        repeat = compare(server.port, server.pid, "identical repeat (ingest)", raw_post(server.port, 0), args)
        read = compare(
            server.port, server.pid, "GetResponsePlan", Signer(server.url, account).get_response_plan(plan_arn), args
        )
    report(args, result, storm_cpu, latencies, len(arrived), len(incidents), [repeat, read])
    met = latencies and percentile(latencies, 0.99) < TARGET_P99_SECONDS and len(arrived) == args.groups
    return 0 if met and len(incidents) == args.groups else 1


def report(
    args: argparse.Namespace,
    result: dict[str, Any],
    storm_cpu: float,
    latencies: list[float],
    paged: int,
    incidents: int,
    comparison: list[dict[str, Any]],
) -> None:
    """Print the storm's table and the comparison's."""
    statuses: Counter[int] = result["statuses"]
    total, seconds = sum(statuses.values()), result["seconds"]
    offered = args.groups * args.rate
    by_status = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(
        f"storm: {args.groups} groups × {args.rate:g}/s for {args.duration:g} s (offered {offered:g}/s) on "
        f"{args.database}, rate_per_minute {args.rate_per_minute}; incidents: {incidents}; groups paged: {paged}"
    )
    print("| served req/s | answers | server CPU ms/req | first page p50 ms | p99 ms | max ms | target p99 |")
    print("|---|---|---|---|---|---|---|")
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = percentile(latencies, 0.99) * 1000 if latencies else float("nan")
    top = max(latencies) * 1000 if latencies else float("nan")
    verdict = "met" if latencies and p99 < TARGET_P99_SECONDS * 1000 and paged == args.groups else "**not met**"
    print(
        f"| {total / seconds:.0f} | {by_status} | {1000 * storm_cpu / max(total, 1):.2f} | {p50:.0f} | {p99:.0f} "
        f"| {top:.0f} | < 2000 ms: {verdict} |"
    )
    print()
    print(f"closed loop, {args.connections} connections, {args.compare_seconds:g} s each:")
    print("| request | req/s | server CPU ms/req | answers |")
    print("|---|---|---|---|")
    for row in comparison:
        print(f"| {row['label']} | {row['rps']:.0f} | {row['cpu_ms']:.3f} | {row['statuses']} |")
    ratio = comparison[0]["cpu_ms"] / comparison[1]["cpu_ms"] if comparison[1]["cpu_ms"] else float("nan")
    print(f"repeat / GetResponsePlan, CPU per request: {ratio:.2f}")


if __name__ == "__main__":
    sys.exit(main())
