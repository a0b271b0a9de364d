"""The floor: the least work any Python server must do for a GetResponsePlan or a StartIncident, under uvicorn.

This is not incidentd. It answers the benchmark's signed requests with a lower bound of the work: the hashes
a SigV4 check computes (without parsing or comparing anything), one primary-key read of the plan, JSON in and
out, and for a start the rows incidentd commits (client token, incident, tag, timeline event, response job) in
group-committed, fsynced SQLite transactions. With `--worker`, a thread runs each response job the least a
response can: it reads the incident, writes one timeline event and one follow-up job, and marks the job done.
No validation, no errors, no idempotent replay, no tenancy. Whatever rate this reaches bounds what a Python
implementation of the same API can reach on the same machine (see bench/README.md, "The floor").
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import orjson
import uvicorn
from hello import UVICORN_SETTINGS

from incidentd.server import processes

ACCOUNT = "123456789012"
PLAN_DOC = "SELECT doc FROM response_plans WHERE account_id = ? AND name = ?"
INSERTS = (
    "INSERT INTO idempotency_tokens VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO tags VALUES (?, ?, ?, ?)",
    "INSERT INTO timeline_events VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO jobs (account_id, kind, payload, state, run_at_ms, attempts, created_ms) "
    "VALUES (?, ?, ?, 'queued', ?, 0, ?)",
)
_KEY = hashlib.sha256(b"a signing key, derived once a day and cached").digest()


def sqlite_connection(path: str) -> sqlite3.Connection:
    """A connection with the settings incidentd ships: WAL, fsync on every commit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def pg_reader(url: str) -> Callable[[str], str]:
    """A plan's document by name over one autocommit psycopg connection, with the statement prepared."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True, prepare_threshold=0)
    sql = PLAN_DOC.replace("?", "%s")
    return lambda name: str(conn.execute(sql, (ACCOUNT, name)).fetchone()[0])  # type: ignore[index]


def sqlite_reader(path: str) -> Callable[[str], str]:
    """A plan's document by name from a read snapshot."""
    conn = sqlite_connection(path)

    def read(name: str) -> str:
        conn.execute("BEGIN")
        try:
            return str(conn.execute(PLAN_DOC, (ACCOUNT, name)).fetchone()[0])
        finally:
            conn.execute("COMMIT")

    return read


def sign_work(scope: dict[str, Any], headers: dict[str, str], body: bytes) -> None:
    """The hashing a SigV4 check cannot avoid: the body, the canonical request, one HMAC (key cached)."""
    canonical = "\n".join(
        (scope["method"], scope["raw_path"].decode(), scope["query_string"].decode(), headers.get("host", ""))
        + (headers.get("x-amz-date", ""), headers.get("authorization", ""), hashlib.sha256(body).hexdigest())
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    hmac.new(_KEY, digest.encode(), hashlib.sha256).hexdigest()


class Writer:
    """Group commit on one thread: the rows of every waiting start in one transaction, one fsync."""

    def __init__(self, path: str, wake_worker: threading.Event) -> None:
        self.conn = sqlite_connection(path)
        self.wake_worker = wake_worker
        self.queue: queue.SimpleQueue[tuple[list[tuple[Any, ...]], asyncio.Future[None]]] = queue.SimpleQueue()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < 64:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self.conn.execute("BEGIN IMMEDIATE")
            for rows, _ in batch:
                for sql, row in zip(INSERTS, rows, strict=True):
                    self.conn.execute(sql, row)
            self.conn.execute("COMMIT")
            self.wake_worker.set()
            loop = batch[0][1].get_loop()
            loop.call_soon_threadsafe(_settle, [future for _, future in batch])


def _settle(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def run_worker(path: str, wake: threading.Event) -> None:
    """The least a response can be: read the incident, log one event, queue one follow-up, mark the job done."""
    conn = sqlite_connection(path)
    claim = (
        "UPDATE jobs SET state = 'running' WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' "
        "AND kind = 'floor.respond' AND run_at_ms <= ? LIMIT 32) RETURNING id, payload"
    )
    while True:
        wake.wait(0.5)
        wake.clear()
        while True:
            now = int(time.time() * 1000)
            conn.execute("BEGIN IMMEDIATE")
            claimed = conn.execute(claim, (now,)).fetchall()
            for job_id, payload in claimed:
                arn = orjson.loads(payload)["arn"]
                doc = orjson.loads(
                    conn.execute(
                        "SELECT doc FROM incidents WHERE account_id = ? AND arn = ?", (ACCOUNT, arn)
                    ).fetchone()[0]
                )
                event = orjson.dumps({"title": doc["title"], "by": "floor"}).decode()
                conn.execute(INSERTS[3], (ACCOUNT, arn, str(uuid.uuid4()), now, "floor", event))
                conn.execute(INSERTS[4], (ACCOUNT, "floor.notice", orjson.dumps({"arn": arn}).decode(), now, now))
                conn.execute("UPDATE jobs SET state = 'done', finished_ms = ? WHERE id = ?", (now, job_id))
            conn.execute("COMMIT")
            if not claimed:
                break


class FloorApp:
    """ASGI: GET /getResponsePlan reads, POST /startIncident writes; nothing else."""

    def __init__(self, database: str, worker: bool) -> None:
        self.postgres = database.startswith("postgresql")
        path = database.removeprefix("sqlite:///")
        self.read_plan = pg_reader(database) if self.postgres else sqlite_reader(path)
        if not self.postgres:
            wake = threading.Event()
            self.writer = Writer(path, wake)
            if worker:
                threading.Thread(target=run_worker, args=(path, wake), daemon=True).start()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        sign_work(scope, headers, body)
        if scope["method"] == "GET":
            arn = unquote(scope["query_string"].decode().partition("arn=")[2])
            answer = orjson.dumps(orjson.loads(self.read_plan(arn.rpartition("/")[2])))
        else:
            answer = await self.start(orjson.loads(body))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    async def start(self, params: dict[str, Any]) -> bytes:
        """A new incident from the plan's template, its rows committed before the answer."""
        plan_name = params["responsePlanArn"].rpartition("/")[2]
        template = orjson.loads(self.read_plan(plan_name))["incidentTemplate"]
        now = int(time.time() * 1000)
        arn = f"arn:aws:ssm-incidents::{ACCOUNT}:incident-record/{plan_name}/{uuid.uuid4()}"
        dedupe = str(uuid.uuid4())
        doc = {
            "arn": arn,
            "title": template["title"],
            "summary": template.get("summary"),
            "impact": template["impact"],
            "status": "OPEN",
            "creationTime": now / 1000,
            "dedupeString": dedupe,
            "notificationTargets": template.get("notificationTargets", []),
        }
        answer = orjson.dumps({"incidentRecordArn": arn})
        rows = [
            (ACCOUNT, "StartIncident", params["clientToken"], "hash", answer.decode(), now),
            (ACCOUNT, arn, now, "OPEN", template["impact"], "caller", dedupe, orjson.dumps(doc).decode()),
            (ACCOUNT, arn, "team", "bench"),
            (ACCOUNT, arn, str(uuid.uuid4()), now, "SSM Incident Record Update", orjson.dumps(doc).decode()),
            (ACCOUNT, "floor.respond", orjson.dumps({"arn": arn}).decode(), now, now),
        ]
        future = asyncio.get_running_loop().create_future()
        self.writer.queue.put((rows, future))
        await future
        return answer


def main() -> None:
    """`python bench/floor_app.py --port N --database URL [--worker] [--processes K]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True, help="sqlite:///path (migrated) or postgresql://…")
    parser.add_argument("--worker", action="store_true", help="run the minimal response worker (SQLite)")
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    if args.processes > 1:
        # Built after the fork, in each process; one worker is enough, as incidentd runs one on SQLite.
        build = lambda slot: FloorApp(args.database, args.worker and slot == 0)  # noqa: E731
        processes.serve_in_processes(build, "127.0.0.1", args.port, args.processes, UVICORN_SETTINGS)
    else:
        uvicorn.run(FloorApp(args.database, args.worker), host="127.0.0.1", port=args.port, **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
