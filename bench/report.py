"""The results table on the terminal, and the same as JSON and Markdown under bench/results/."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from loadgen import Result

BASELINE = "hello-world"
TARGETS = {"GetResponsePlan": 0.30, "StartIncident": 0.10}  # the floors, as fractions of the baseline


def summarize(rounds: list[dict[str, Result]]) -> list[dict[str, Any]]:
    """One row per scenario; over rounds, medians, each ratio taken against its own round's baseline."""
    rows = []
    for scenario in [BASELINE, *TARGETS]:
        runs = [r[scenario] for r in rounds if scenario in r]
        if not runs:
            continue  # a scenario this run did not measure
        ratios = [r[scenario].rps / r[BASELINE].rps for r in rounds if scenario in r and r[BASELINE].rps]
        ratio = statistics.median(ratios) if ratios else 0.0
        target = TARGETS.get(scenario)
        rows.append(
            {
                "scenario": scenario,
                "rps": round(statistics.median(r.rps for r in runs), 1),
                "p50_ms": round(statistics.median(r.p50_ms for r in runs), 2),
                "p99_ms": round(statistics.median(r.p99_ms for r in runs), 2),
                "ratio": round(ratio, 4),
                "server_cpu_pct": round(statistics.median(r.server_cpu_pct for r in runs)),
                "target": target,
                "pass": None if target is None else ratio >= target,
            }
        )
    return rows


def _cells(row: dict[str, Any]) -> list[str]:
    target = "baseline" if row["target"] is None else f">= {row['target']:.0%}"
    verdict = "" if row["pass"] is None else ("PASS" if row["pass"] else "FAIL")
    return [
        row["scenario"],
        f"{row['rps']:,.0f}",
        f"{row['p50_ms']:.1f}",
        f"{row['p99_ms']:.1f}",
        f"{row['ratio']:.1%}",
        target,
        verdict,
        f"{row['server_cpu_pct']}%",
    ]


HEADER = ["scenario", "req/s", "p50 ms", "p99 ms", "vs hello", "target", "result", "server CPU"]


def text_table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns for the terminal."""
    cells = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c[i].rjust(widths[i]) if i else c[i].ljust(widths[i]) for i in range(len(c))) for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    """The table and the run's conditions as Markdown."""
    out = [
        f"# incidentd benchmark, {meta['started']}",
        "",
        f"Database: {meta['database']}; load: wrk -t{meta['threads']} -c{meta['connections']} "
        f"-d{meta['duration']}s, {meta['rounds']} round(s), warm-up {meta['warmup']}s; {meta['cpus']} CPUs; "
        f"{meta.get('processes', 1)} serving process(es) for both servers.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    out += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    out += ["", "## Checks", ""] + [f"- {'ok' if c['ok'] else 'FAILED'}: {c['what']}" for c in checks]
    return "\n".join(out) + "\n"


def write(folder: Path, document: dict[str, Any]) -> tuple[Path, Path]:
    """results-<time>.json and .md, plus latest.json and latest.md beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kind = document["meta"]["database_kind"]
    json_path = folder / f"results-{stamp}-{kind}.json"
    md_path = folder / f"results-{stamp}-{kind}.md"
    text = json.dumps(document, indent=2)
    md = markdown(document["summary"], document["meta"], document["checks"])
    for path, content in (
        (json_path, text),
        (md_path, md),
        (folder / "latest.json", text),
        (folder / "latest.md", md),
    ):
        path.write_text(content)
    return json_path, md_path
