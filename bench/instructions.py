"""`python bench/instructions.py [--against REF]`: instructions per request and per response job, from callgrind.

Rates measured with wrk on a shared two-core machine move by 5 to 15% from run to run, which hides a change of a
few percent. The number of instructions a process executes hardly moves: valgrind's callgrind counts them, the same
for the same code, input and environment whatever else the machine does (PYTHONHASHSEED is fixed, since string
hashes decide how long dictionary look-ups probe). So this serves incidentd under callgrind, the working tree's and,
with --against, a git ref's, and counts only the measured requests: after set-up and warm-up the counters are
zeroed, the requests are sent, and the counts are dumped (callgrind_control). A server also does work by the clock
(uvicorn's event loop ticks ten times a second): the idle rate, counted over a few seconds right after, is
subtracted for the time the requests took, so that a slower run (a busier machine) does not count more.

Scenarios, each over keep-alive HTTP with requests boto3 signed (bench/signing.py), on SQLite:
- GetResponsePlan: the same signed read again and again, so answered by the read cache after the first; and
  again with the cache off, so that every read runs its handler (as on PostgreSQL, or under writes);
- StartIncident: with the bench plan (bench/tenant.py), served with --no-worker, so the API's work alone;
- response job: StartIncident served with its embedded worker, less the above: the worker's work per incident.
With --policy, every server also has a second key of the account that holds bench/policy.json (ten statements), and
GetResponsePlan (with the cache and without) and StartIncident are counted again, signed by that key.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import project_venv

project_venv.use()

import servers  # noqa: E402
import signing  # noqa: E402
import tenant  # noqa: E402

WARM_UP = 30  # requests before the counted ones: first-use costs (compiled statements, caches) are not counted
IDLE_SECONDS = 5  # how long the idle rate is counted for
# The worker sleeps between polls for an hour, so that idle polling is not counted; a request's commit wakes it
# for the jobs it recorded. Replication sets settle at once, so that their job runs during set-up.
CONFIG = "[worker]\npoll_seconds = 3600\n\n[replication]\nsettle_seconds = 0\n"
STARTUP_SECONDS = 600  # under valgrind a start, imports and migrations included, takes a minute or two


@dataclass(frozen=True)
class Scenario:
    """What the server is asked, whether its embedded worker runs the jobs it records, and with the read cache."""

    name: str
    method: str  # "get_response_plan" or "start_incident"
    worker: bool
    read_cache: bool = True
    policy: bool = False  # signed by tenant.POLICY_HOLDER, whose key holds bench/policy.json


SCENARIOS = (
    Scenario("GetResponsePlan", "get_response_plan", worker=True),
    Scenario("GetResponsePlan, no read cache", "get_response_plan", worker=True, read_cache=False),
    Scenario("StartIncident", "start_incident", worker=False),
    Scenario("StartIncident with its response job", "start_incident", worker=True),
)
POLICY_SCENARIOS = (
    Scenario("GetResponsePlan, policy", "get_response_plan", worker=True, policy=True),
    Scenario("GetResponsePlan, no read cache, policy", "get_response_plan", worker=True, read_cache=False, policy=True),
    Scenario("StartIncident, policy", "start_incident", worker=False, policy=True),
)


def per_request(src: Path | None, scenario: Scenario, requests: int, workdir: Path, policy: bool = False) -> float:
    """Instructions one request of the scenario costs `incidentd serve` (src's, or the working tree's); with policy
    the server also has the key that holds bench/policy.json."""
    workdir.mkdir(parents=True)
    port, account = servers.free_port(), servers.BenchAccount()
    config = workdir / "incidentd.toml"
    config.write_text(CONFIG + ("\n" + tenant.policy_config() if policy or scenario.policy else ""))
    database = workdir / "incidentd.db"
    out = workdir / "callgrind.out"
    env = dict(servers.incidentd_env(account, src), PYTHONHASHSEED="0")
    if not scenario.read_cache:
        env["INCIDENTD_READ_CACHE_MIB"] = "0"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m", "incidentd.cli"]
    command += ["serve", "--port", str(port), "--database", f"sqlite:///{database}", "--config", str(config)]
    if not scenario.worker:
        command.append("--no-worker")
    with open(workdir / "server.log", "wb") as log:
        server = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_listening(server, port)
            endpoint = f"http://127.0.0.1:{port}"
            raw = _requests(endpoint, account, scenario, WARM_UP + requests)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP_SECONDS)
            _send(connection, raw[:WARM_UP], database if scenario.worker else None)
            _control(server.pid, "--zero")
            started = time.monotonic()
            _send(connection, raw[WARM_UP:], database if scenario.worker else None)
            busy_seconds = time.monotonic() - started
            _control(server.pid, "--dump=requests")
            _control(server.pid, "--zero")
            started = time.monotonic()
            time.sleep(IDLE_SECONDS)
            idle_seconds = time.monotonic() - started
            _control(server.pid, "--dump=idle")
            connection.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=STARTUP_SECONDS)
    counted, idle = _total(Path(f"{out}.1")), _total(Path(f"{out}.2"))
    return (counted - idle / idle_seconds * busy_seconds) / requests


def _requests(endpoint: str, account: servers.BenchAccount, scenario: Scenario, count: int) -> list[bytes]:
    """Onboard the account and make the bench plan; then the scenario's signed requests."""
    plan = tenant.prepare(endpoint, account)
    if scenario.policy:
        tenant.check_policy(endpoint, tenant.POLICY_HOLDER, plan)
    signer = signing.Signer(endpoint, tenant.POLICY_HOLDER if scenario.policy else account)
    if scenario.method == "get_response_plan":
        return [signer.get_response_plan(plan)] * count
    return signer.start_incidents(plan, count)


def _send(connection: http.client.HTTPConnection, raw: list[bytes], database: Path | None) -> None:
    """Send pre-signed requests one after the other, each answered 200; then wait for the worker, if it runs."""
    if connection.sock is None:
        connection.connect()
    assert connection.sock is not None
    for request in raw:
        connection.sock.sendall(request)
        response = http.client.HTTPResponse(connection.sock, method=request.split(b" ", 1)[0].decode())
        response.begin()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
    if database is not None:
        _wait_for_jobs(database)


def _control(pid: int, action: str) -> None:
    """Zero or dump a callgrind process's counters; returns once callgrind has done it."""
    subprocess.run(["callgrind_control", action, str(pid)], check=True, capture_output=True, timeout=STARTUP_SECONDS)


def _wait_for_jobs(database: Path) -> None:
    """Until the worker has run every job that is due."""
    deadline = time.monotonic() + STARTUP_SECONDS
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
        while time.monotonic() < deadline:
            query = "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running') AND run_at_ms <= ?"
            if conn.execute(query, (int(time.time() * 1000),)).fetchone()[0] == 0:
                return
            time.sleep(0.2)
    raise TimeoutError("the worker did not finish the due jobs")


def _wait_listening(server: subprocess.Popen[bytes], port: int) -> None:
    """Until the server answers /healthz (under valgrind its start takes a minute or two)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"incidentd exited with {server.returncode} before listening")
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            probe.close()
        time.sleep(1)
    raise TimeoutError(f"nothing answered on port {port}")


def _total(dump: Path) -> int:
    """The instruction count of one callgrind dump."""
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"{dump} holds no total")


def count_all(
    trees: dict[str, Path | None], requests: int, workdir: Path, policy: bool = False
) -> dict[str, dict[str, float]]:
    """Instructions per operation of each tree; the trees' runs of a scenario side by side (they don't interact)."""
    for src in trees.values():
        # Compiled beforehand, so that no run pays for compiling what another run compiled first.
        tree = src if src is not None else servers.REPOSITORY / "src"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True)
    figures: dict[str, dict[str, float]] = {label: {} for label in trees}
    for number, scenario in enumerate(SCENARIOS + (POLICY_SCENARIOS if policy else ())):
        with ThreadPoolExecutor(len(trees)) as pool:
            runs = {
                label: pool.submit(per_request, src, scenario, requests, workdir / f"{number}-{index}", policy)
                for index, (label, src) in enumerate(trees.items())
            }
            for label, run in runs.items():
                figures[label][scenario.name] = run.result()
                print(f"  {label}: {scenario.name}: {figures[label][scenario.name]:,.0f} instructions", flush=True)
    for found in figures.values():
        found["response job (worker)"] = found.pop("StartIncident with its response job") - found["StartIncident"]
    return figures


def main() -> int:
    """Count, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="counted requests per scenario (default 300)")
    parser.add_argument("--against", help="a git ref whose incidentd is counted too (HEAD, main~3, a commit)")
    parser.add_argument(
        "--policy", action="store_true", help="also count reads and StartIncident signed by a key holding policy.json"
    )
    args = parser.parse_args()
    if args.policy and args.against:
        parser.error("--policy counts the working tree only, not with --against")
    if subprocess.run(["valgrind", "--version"], capture_output=True, check=False).returncode:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    with tempfile.TemporaryDirectory(prefix="incidentd-instructions-") as folder, contextlib.ExitStack() as stack:
        workdir = Path(folder)
        trees: dict[str, Path | None] = {"working tree": None}
        if args.against:
            src, commit = stack.enter_context(servers.worktree(args.against, workdir / "against"))
            trees[f"{args.against} ({commit})"] = src
        print(f"counting {args.requests} requests per scenario under callgrind (a few minutes a scenario)")
        figures = count_all(trees, args.requests, workdir, args.policy)
    after = figures["working tree"]
    before = next((found for label, found in figures.items() if label != "working tree"), None)
    width = max(30, *map(len, after))
    header = f"\n{'per operation':{width}} {'instructions':>14}"
    print(header + (f" {args.against:>14} {'after/before':>13}" if before else ""))
    for name, value in after.items():
        row = f"{name:{width}} {value:>14,.0f}"
        if before:
            row += f" {before[name]:>14,.0f} {value / before[name]:>13.3f}"
        print(row)
    for name, value in after.items():
        if name.endswith(", policy"):
            without = name.removesuffix(", policy")
            print(f"{name} / {without}: {value / after[without]:.3f} ({value - after[without]:+,.0f} instructions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
