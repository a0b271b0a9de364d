"""py-spy sampling of the server under load, boiled down to the functions that take its time."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import loadgen

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_THREAD = re.compile(r"^thread \(\d+\): (?P<name>.*?)(?:_\d+)?$")


def py_spy() -> str | None:
    """py-spy beside this interpreter, or on PATH (pip install py-spy)."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: int, out: Path, gil: bool = False) -> subprocess.Popen[bytes]:
    """Sample pid's non-idle threads (only the GIL holder with gil) for seconds; collapsed stacks to out."""
    command = [
        py_spy() or "py-spy",
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        "200",
        "--format",
        "raw",
        "--threads",
        "--nonblocking",
        "-o",
        str(out),
    ]
    if gil:
        # Python code runs one thread at a time: the GIL holder's stack is where the interpreter's time goes.
        command.append("--gil")
    # --nonblocking: don't pause the server to read its stacks, so the profile disturbs the load less.
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _frame(text: str) -> str:
    match = _FRAME.match(text)
    if not match:
        return text
    file = match["file"]  # py-spy already shortens paths to the part after sys.path
    return f"{match['func']} ({file})"


def summarize(raw: Path, top: int = 12) -> dict[str, Any]:
    """Share of samples per thread group, and the top functions by self and by inclusive samples."""
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        parts = stack.split(";")
        thread = _THREAD.match(parts[0])
        if thread:
            threads[thread["name"]] += count
            parts = parts[1:]
        frames = [_frame(p) for p in parts]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count

    def share(counter: Counter[str], only_project: bool = False) -> list[dict[str, Any]]:
        # incidentd/cli.py frames are only the event loop's thread running uvicorn: the thread share shows it.
        rows = [
            (k, v)
            for k, v in counter.most_common()
            if not only_project or ("incidentd/" in k and "incidentd/cli.py" not in k)
        ]
        return [{"frame": k, "samples": v, "pct": round(100 * v / total, 1)} for k, v in rows[:top]]

    return {
        "samples": total,
        "threads": share(threads),
        "self": share(own),
        "inclusive_incidentd": share(inclusive, only_project=True),
    }


def profile_subjects(subject: Any, load: loadgen.Load, out: Path) -> dict[str, Any]:
    """Extra runs of each scenario on a scenarios.Subject under py-spy; not the benchmark's rates (py-spy takes CPU)."""
    if py_spy() is None:
        print("py-spy not found (pip install py-spy): no profile", file=sys.stderr)
        return {}
    out.mkdir(parents=True, exist_ok=True)
    server, seconds, writes = subject.server, int(load.duration), subject.starts
    kind = "sqlite" if subject.database_url.startswith("sqlite") else "postgresql"
    found: dict[str, Any] = {}
    for scenario in ("GetResponsePlan", "StartIncident"):
        raw = {mode: out / f"profile-{kind}-{scenario}-{mode}.txt" for mode in ("active", "gil")}
        # Signed before sampling starts; running out of requests is harmless in a profile.
        batch = writes.batch(writes.budget(seconds, load.connections)) if scenario == "StartIncident" else None
        spies = [start(server.pid, seconds, path, gil=(mode == "gil")) for mode, path in raw.items()]
        if batch is not None:
            result = writes.send(server, batch, load, seconds)
        else:
            result = loadgen.run(server.url + "/", subject.get_file, "cycle", load)
        for spy in spies:
            spy.wait(timeout=seconds + 60)
        found[scenario] = {"rps_while_profiled": round(result.rps, 1)}
        found[scenario].update({mode: summarize(path) for mode, path in raw.items() if path.exists()})
    return found


def show(found: dict[str, Any], top: int = 10) -> None:
    """The top frames of each profile."""
    for scenario, data in found.items():
        print(f"\n{scenario} under py-spy ({data['rps_while_profiled']:,.0f} req/s while profiled)")
        for mode, title in (("gil", "holding the GIL, self"), ("active", "running or blocked, self")):
            if mode not in data:
                continue
            threads = ", ".join(f"{t['frame']} {t['pct']}%" for t in data[mode]["threads"][:3])
            print(f"  {title}  [threads: {threads}]")
            for row in data[mode]["self"][:top]:
                print(f"    {row['pct']:5.1f}%  {row['frame']}")
        if "gil" in data:
            print("  incidentd functions holding the GIL, inclusive")
            for row in data["gil"]["inclusive_incidentd"][:top]:
                print(f"    {row['pct']:5.1f}%  {row['frame']}")
