"""`incidentd serve --processes N`: several serving processes on one port and one database act as one server."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from incidentd.domain import response
from incidentd.store.db import Database
from incidentd.store.tables import jobs
from ops.ops_support import scrape, value
from paging.paging_support import onboard
from support import Account, Server, wait_until

CONFIG = """
[replication]
settle_seconds = 0.2

[worker]
poll_seconds = 0.2
"""


def _children(pid: int) -> set[int]:
    """The live child processes of a process (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """`serve --processes 2` with the embedded workers on."""
    running = Server(database_url, tmp_path, CONFIG, processes=2).start()
    yield running
    running.stop()


def test_two_processes_share_the_port_and_every_write_lands_once(server: Server, account: Account) -> None:
    assert server.process is not None
    assert len(wait_until(lambda: len(_children(server.process.pid)) == 2 and _children(server.process.pid))) == 2
    onboard(server, account)
    incidents = server.client(account)
    plan = incidents.create_response_plan(
        name="together",
        incidentTemplate={"title": "t", "impact": 3},
        engagements=[f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:contact/nobody"],
    )["arn"]
    tokens = [str(uuid.uuid4()) for _ in range(60)]

    def start(token: str) -> str:
        # One client per thread: many connections, which the kernel spreads over both processes.
        return str(server.client(account).start_incident(responsePlanArn=plan, clientToken=token)["incidentRecordArn"])

    with ThreadPoolExecutor(12) as pool:
        arns = list(pool.map(start, tokens + tokens[:20]))  # 20 retries of earlier tokens: idempotent replays
    assert len(set(arns)) == 60
    assert arns[60:] == arns[:20]
    listed = incidents.list_incident_records(maxResults=100)["incidentRecordSummaries"]
    assert {summary["arn"] for summary in listed} == set(arns)
    db = Database(server.database_url)
    try:
        # Each incident's response job (its engagement) exists once, and an embedded worker ran it.
        def respond_jobs() -> list[tuple[str, str]]:
            with db.read() as conn:
                query = sa.select(jobs.c.state, jobs.c.lease_owner).where(
                    jobs.c.account_id == account.account_id, jobs.c.kind == response.RESPOND
                )
                return [(row.state, row.lease_owner) for row in conn.execute(query)]

        done = wait_until(lambda: (rows := respond_jobs()) and all(state == "done" for state, _ in rows) and rows)
        assert len(done) == 60
    finally:
        db.dispose()


def test_a_killed_serving_process_is_replaced_and_the_server_keeps_answering(server: Server, account: Account) -> None:
    assert server.process is not None
    parent = server.process.pid
    before = wait_until(lambda: len(_children(parent)) == 2 and _children(parent))
    time.sleep(5.5)  # older than a start-up failure: a crash now is replaced, not given up on
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)
    after = wait_until(lambda: len(children := _children(parent)) == 2 and victim not in children and children)
    assert len(after - before) == 1
    for _ in range(10):
        # A new client each time: a new connection, which either process may accept.
        assert server.client(account).list_replication_sets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_stopping_the_server_stops_every_process(database_url: str, tmp_path: Path) -> None:
    running = Server(database_url, tmp_path, CONFIG, processes=3).start()
    assert running.process is not None
    children = wait_until(lambda: len(_children(running.process.pid)) == 3 and _children(running.process.pid))
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=30) == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    running.process = None
    running.log.close()


def test_metrics_count_every_processs_requests_whichever_process_answers_the_scrape(
    server: Server, account: Account
) -> None:
    calls = 40
    for _ in range(calls):
        # A new client each time: a new connection, which either process may accept.
        server.client(account).list_replication_sets()
    counted = {"service": "ssm-incidents", "operation": "ListReplicationSets", "code": "2xx"}
    answered_by: set[float] = set()
    for _ in range(200):
        samples = scrape(server)  # each scrape on a connection of its own, too
        # Another process's counts reach the shared area within a second of its last request.
        if value(samples, "incidentd_requests_total", **counted) < calls:
            time.sleep(0.1)
            continue
        assert value(samples, "incidentd_requests_total", **counted) == calls
        answered_by.add(value(samples, "incidentd_serving_slot"))
        if answered_by == {0.0, 1.0}:
            return
    pytest.fail(f"scrapes never showed all {calls} requests from both processes (answered by slots {answered_by})")
