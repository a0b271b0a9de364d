"""The tier-by-tier results table, its targets, and the JSON and Markdown files under bench/results/."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import report
from scale_scenarios import SCENARIOS, Measured

# The floors as fractions of the ceiling: reads 30%, StartIncident 10%. CreateResponsePlan has none.
TARGETS = {"GetResponsePlan": 0.30, "ListIncidentRecords": 0.30, "StartIncident": 0.10}
RSS_LIMIT_MB = 250  # at 1,000,000 incidents; checked at every tier, since fewer incidents must not need more
LIST_SLOWDOWN_LIMIT = 2.0  # ListIncidentRecords' time per request at the largest tier over the smallest


def summarize(tiers: dict[int, list[dict[str, Measured]]]) -> list[dict[str, Any]]:
    """One row per tier and scenario: medians over rounds, each ratio against its own round's baseline."""
    rows = []
    for incidents, rounds in tiers.items():
        for scenario in SCENARIOS:
            runs = [r[scenario] for r in rounds]
            ratios = [
                r[scenario].result.rps / r[report.BASELINE].result.rps for r in rounds if r[report.BASELINE].result.rps
            ]
            ratio = statistics.median(ratios) if ratios else 0.0
            target = TARGETS.get(scenario)
            peak = max(m.peak_mb for m in runs)
            is_incidentd = scenario != report.BASELINE
            rows.append(
                {
                    "incidents": incidents,
                    "scenario": scenario,
                    "rps": round(statistics.median(m.result.rps for m in runs), 1),
                    "p50_ms": round(statistics.median(m.result.p50_ms for m in runs), 2),
                    "p99_ms": round(statistics.median(m.result.p99_ms for m in runs), 2),
                    "ratio": round(ratio, 4),
                    "peak_rss_mb": peak,
                    "server_cpu_pct": round(statistics.median(m.result.server_cpu_pct for m in runs)),
                    "target": target,
                    "pass": (None if target is None else ratio >= target) if is_incidentd else None,
                    "rss_pass": peak < RSS_LIMIT_MB if is_incidentd else None,
                }
            )
    return rows


def list_scaling(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """ListIncidentRecords at the largest tier against the smallest; None with one tier.

    The server is the bottleneck (one core, closed-loop load), so a request's latency is the inverse of the
    rate. The verdict compares the rates as fractions of each tier's own ceiling, which cancels a machine that
    got busier between the tiers; the raw p50 and p99 ratios are shown beside it.
    """
    found = sorted((r["incidents"], r) for r in rows if r["scenario"] == "ListIncidentRecords")
    if len(found) < 2:
        return None
    (small, low), (large, high) = found[0], found[-1]
    slowdown = low["ratio"] / high["ratio"] if high["ratio"] else float("inf")
    p50 = high["p50_ms"] / low["p50_ms"] if low["p50_ms"] else 0.0
    p99 = high["p99_ms"] / low["p99_ms"] if low["p99_ms"] else 0.0
    return {
        "what": (
            f"ListIncidentRecords at {large:,} incidents is {slowdown:.2f}x as slow as at {small:,} "
            f"(time per request, against each tier's ceiling; raw p50 {p50:.2f}x, p99 {p99:.2f}x); "
            f"limit {LIST_SLOWDOWN_LIMIT:g}x"
        ),
        "ok": slowdown <= LIST_SLOWDOWN_LIMIT,
        "slowdown": round(slowdown, 3),
        "p50_ratio": round(p50, 3),
        "p99_ratio": round(p99, 3),
    }


HEADER = ["incidents", "scenario", "req/s", "p50 ms", "p99 ms", "vs hello", "target", "result", "peak RSS", "CPU"]


def _cells(row: dict[str, Any]) -> list[str]:
    if row["scenario"] == report.BASELINE:
        target, verdict = "baseline", ""
    else:
        target = "-" if row["target"] is None else f">= {row['target']:.0%}"
        verdicts = [] if row["pass"] is None else ["PASS" if row["pass"] else "FAIL"]
        verdicts.append("" if row["rss_pass"] else f"RSS>{RSS_LIMIT_MB}")
        verdict = " ".join(v for v in verdicts if v)
    return [
        f"{row['incidents']:,}",
        row["scenario"],
        f"{row['rps']:,.0f}",
        f"{row['p50_ms']:.1f}",
        f"{row['p99_ms']:.1f}",
        f"{row['ratio']:.1%}",
        target,
        verdict,
        f"{row['peak_rss_mb']:.0f} MB",
        f"{row['server_cpu_pct']}%",
    ]


def text_table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns for the terminal."""
    cells = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = [
        "  ".join(c[i].ljust(widths[i]) if i == 1 else c[i].rjust(widths[i]) for i in range(len(c))) for c in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(document: dict[str, Any]) -> str:
    """The table, the seeding times, the query plans and the checks as Markdown."""
    meta = document["meta"]
    out = [
        f"# incidentd benchmark at scale, {meta['started']}",
        "",
        f"Database: {meta['database_kind']} ({meta['database']}); load: wrk -t{meta['threads']} "
        f"-c{meta['connections']} -d{meta['duration']}s, {meta['rounds']} round(s), warm-up {meta['warmup']}s; "
        f"{meta['cpus']} CPUs; peak RSS by {meta.get('rss_method', '?')}.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    out += ["| " + " | ".join(_cells(r)) + " |" for r in document["summary"]]
    out += ["", "## Seeding", ""]
    out += [
        f"- {s['incidents']:,} incidents: {s['added']:,} added as {s['rows']:,} rows in {s['seconds']:.0f} s "
        f"({s['incidents_per_second']:,.0f} incidents/s)"
        for s in document["seeding"]
    ]
    for tier, found in document["plans"].items():
        out += ["", f"## ListIncidentRecords query plans at {int(tier):,} incidents", ""]
        for name, plan in found.items():
            out += [f"{name}:", "", "```", plan, "```", ""]
    out += ["## Checks", ""] + [f"- {'ok' if c['ok'] else 'FAILED'}: {c['what']}" for c in document["checks"]]
    return "\n".join(out) + "\n"


def write(folder: Path, document: dict[str, Any]) -> tuple[Path, Path]:
    """scale-<time>-<db>.json and .md, plus scale-latest-<db>.json and .md beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kind = document["meta"]["database_kind"]
    json_path, md_path = folder / f"scale-{stamp}-{kind}.json", folder / f"scale-{stamp}-{kind}.md"
    text, md = json.dumps(document, indent=2), markdown(document)
    for path, content in (
        (json_path, text),
        (md_path, md),
        (folder / f"scale-latest-{kind}.json", text),
        (folder / f"scale-latest-{kind}.md", md),
    ):
        path.write_text(content)
    return json_path, md_path
