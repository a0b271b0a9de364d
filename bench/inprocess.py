"""CPU per request without the network: boto3-signed requests fed straight to incidentd's ASGI application."""

# `python bench/inprocess.py [--requests N] [--database URL]` prints, for GetResponsePlan and StartIncident, the CPU
# time the process spent per request (event loop and group-commit writer together), and the worker's CPU time per
# incident to run the StartIncident's response job. Nothing here goes through uvicorn or the kernel's loopback, so the
# figures say what incidentd's own code costs; `run.py` says what a client sees. Figures from noisy machines vary by
# ±15% between runs: compare runs made one after the other.

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

import project_venv

project_venv.use()  # `python bench/inprocess.py` with the system interpreter reruns under .venv

import servers  # noqa: E402
import signing  # noqa: E402
import tenant  # noqa: E402
from botocore.awsrequest import AWSPreparedRequest, AWSResponse  # noqa: E402
from internals import (  # noqa: E402
    Application,
    Database,
    Dispatcher,
    Invoker,
    SystemClock,
    Worker,
    config,
    migrate,
)

Scope = dict[str, Any]
CONCURRENCY = 32  # requests in flight at once, as wrk's 32 connections keep them
ENDPOINT = "http://127.0.0.1:1"  # signed into every request; nothing listens there


def scope_of(request: AWSPreparedRequest) -> tuple[Scope, bytes]:
    """The ASGI scope and body uvicorn would hand the application for this request."""
    url = urlsplit(request.url)
    headers = [
        (name.lower().encode(), value if isinstance(value, bytes) else str(value).encode())
        for name, value in request.headers.items()
    ]
    headers.append((b"host", url.netloc.encode()))  # added on the wire by the HTTP client, and signed
    body = request.body or b""
    scope = {
        "type": "http",
        "method": request.method,
        "path": unquote(url.path),
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "headers": headers,
    }
    return scope, body if isinstance(body, bytes) else body.encode()


class InProcess:
    """incidentd's application on one database, with no worker running beside it."""

    def __init__(self, database_url: str, account: servers.BenchAccount) -> None:
        environ = {**os.environ, "INCIDENTD_CREDENTIALS": account.credentials, "INCIDENTD_DATABASE_URL": database_url}
        settings = config.load(None, environ)
        self.db = Database(database_url)
        migrate.upgrade(self.db)
        self.settings = settings
        self.account = account
        self.app = Application(Dispatcher(Invoker(self.db, SystemClock(), settings), dict(settings.credentials)))
        self.signer = signing.Signer(ENDPOINT, account)

    async def call(self, scope: Scope, body: bytes) -> tuple[int, bytes]:
        """One request through the ASGI application: its status and body."""
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0]["status"], sent[1]["body"]

    def api(self) -> Any:
        """A boto3 client answered by the application (for set-up)."""

        def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
            status, data = asyncio.run(self.call(*scope_of(request)))
            return AWSResponse(request.url, status, {"content-type": "application/json"}, _RawBody(data))

        client = signing.client(ENDPOINT, self.account)
        client.meta.events.register("before-send.ssm-incidents.*", answer)
        return client

    def signed(self, method: str, **params: Any) -> tuple[Scope, bytes]:
        """The scope and body of boto3's signed request for client.<method>(**params), not sent."""
        return scope_of(self.signer.prepared(method, **params))

    def run(self, requests: list[tuple[Scope, bytes]]) -> float:
        """Send the requests CONCURRENCY at a time; the CPU seconds the process spent. Every answer must be a 200."""

        async def all_of_them() -> None:
            pending = iter(requests)

            async def lane() -> None:
                for scope, body in pending:
                    status, data = await self.call(scope, body)
                    if status != 200:
                        raise RuntimeError(f"{status}: {data[:300]!r}")

            await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))

        started = time.process_time()
        asyncio.run(all_of_them())
        return time.process_time() - started


class _RawBody:
    """The body botocore reads from a response."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        return iter([self.data])

    def read(self) -> bytes:
        return self.data


def measure(count: int, database_url: str) -> dict[str, float]:
    """Microseconds of CPU per GetResponsePlan, per StartIncident, and per incident's response in the worker."""
    bench = InProcess(database_url, servers.BenchAccount())
    api = bench.api()
    api.create_replication_set(regions={"us-east-1": {}})
    plan = api.create_response_plan(**tenant.plan_request(bench.account.account_id))["arn"]
    signed = bench.signed
    read = [signed("get_response_plan", arn=plan)] * count

    def starts() -> list[tuple[Scope, bytes]]:
        return [signed("start_incident", responsePlanArn=plan, clientToken=str(uuid.uuid4())) for _ in range(count)]

    clock = SystemClock()
    worker = Worker(bench.db, clock, Invoker(bench.db, clock, bench.settings).invoke, bench.settings)
    bench.run(read)  # warm-up: caches, compiled statements
    bench.run(starts())
    worker.run_once()
    figures = {"GetResponsePlan": bench.run(read), "StartIncident": bench.run(starts())}
    started = time.process_time()
    worker.run_once()
    figures["response job (worker)"] = time.process_time() - started
    return {name: 1e6 * seconds / count for name, seconds in figures.items()}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests of each kind (default 3000)")
    parser.add_argument("--database", help="a database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="incidentd-inprocess-") as folder:
        # The worker warns for every incident (the bench plan's contact and runbook do not exist): to a file, as a
        # server's log would, so that writing them is counted but not shown.
        logging.basicConfig(filename=f"{folder}/incidentd.log", level=logging.INFO)
        logging.getLogger("incidentd.access").setLevel(logging.WARNING)  # off, as `incidentd serve` has it by default
        database_url = args.database or f"sqlite:///{folder}/incidentd.db"
        for name, micros in measure(args.requests, database_url).items():
            print(f"{name:24} {micros:7.0f} µs of CPU each")


if __name__ == "__main__":
    main()
