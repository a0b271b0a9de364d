"""Runs wrk with the request-file script and turns its JSON line into a result."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("requests.lua")


@dataclass(frozen=True)
class Load:
    """The shape of the load: one for the baseline and every subject, so ratios compare like with like."""

    threads: int
    connections: int
    duration: float
    timeout: float = 10.0  # long enough that a slow write is measured, not dropped as a wrk timeout


@dataclass
class Result:
    """One wrk run."""

    requests: int  # responses received
    ok: int  # 2xx/3xx responses: only these count towards the rate
    seconds: float
    sent: int  # requests handed to the socket (>= requests: some are in flight when wrk stops)
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    mean_ms: float
    max_ms: float
    exhausted_threads: int
    server_cpu_pct: float = 0.0  # of one core: near 100 for a one-thread server that is the bottleneck
    wrk_cpu_pct: float = 0.0  # the load generator's own share of the two cores it competes for
    peak_rss_mb: float = 0.0  # the server's most resident memory over the scenario, where the scale run measures it

    @property
    def rps(self) -> float:
        """Successful responses per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """For the JSON report."""
        return {**asdict(self), "rps": round(self.rps, 1)}


def require_wrk() -> str:
    """wrk's path, or a clear way to get it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get update && apt-get install -y wrk")
    return path


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process and its live children have used, all threads included."""
    # `serve --processes N` serves from children of the process the benchmark started.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    url: str,
    request_file: Path,
    mode: str,
    load: Load,
    duration: float | None = None,
    server_pid: int | None = None,
) -> Result:
    """Drive url with the requests in request_file ("cycle" repeats them, "once" sends each once)."""
    seconds = duration if duration is not None else load.duration
    command = [
        require_wrk(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={load.timeout:g}s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        str(request_file),
        mode,
        str(load.threads),
    ]
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    wrk_before = _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 120)
    wrk_cpu = _children_cpu() - wrk_before
    server_cpu = cpu_seconds(server_pid) - server_before if server_pid else 0.0
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    errors = raw["errors"]
    lat = {k: v / 1000 for k, v in raw["latency_us"].items()}
    return Result(
        requests=raw["requests"],
        ok=raw["requests"] - errors["status"],
        seconds=raw["duration_us"] / 1e6,
        sent=raw["sent"],
        errors=errors,
        p50_ms=lat["p50"],
        p90_ms=lat["p90"],
        p99_ms=lat["p99"],
        p999_ms=lat["p999"],
        mean_ms=lat["mean"],
        max_ms=lat["max"],
        exhausted_threads=raw["exhausted_threads"],
        server_cpu_pct=round(100 * server_cpu / (raw["duration_us"] / 1e6), 1),
        wrk_cpu_pct=round(100 * wrk_cpu / (raw["duration_us"] / 1e6), 1),
    )
