"""The results of a plain run or of the scale matrix: medians, verdicts, the table, and JSON and Markdown files."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadgen import Result

BASELINE = "hello-world"
BEFORE = " (before)"  # a round's name for the --against server's run of a scenario: "StartIncident (before)"
POLICY = " (policy)"  # a round's name for --policy's runs signed by the key that holds bench/policy.json
# The floors as fractions of the baseline. StartIncident's 10% was withdrawn (docs/speed.md says why): its rate is
# reported, and compared before and after a change with --against; CreateResponsePlan has none either.
TARGETS = {"GetResponsePlan": 0.30, "ListIncidentRecords": 0.30}
RSS_LIMIT_MB = 250  # the issue's, at 1,000,000 incidents; checked at every tier, since fewer must not need more
LIST_SLOWDOWN_LIMIT = 2.0  # ListIncidentRecords' time per request at the largest tier over the smallest
# Authorizing may cost at most 5% of a read's rate: the policy key's GetResponsePlan over the other key's, per round.
POLICY_BUDGETS = {"GetResponsePlan" + POLICY: 0.95}

Row = dict[str, Any]


def check(what: str, ok: bool) -> dict[str, Any]:
    """A check as the results keep it: the figures stand only if every one holds."""
    return {"what": what, "ok": bool(ok)}


def errors_check(rounds: list[dict[str, Result]], prefix: str = "") -> dict[str, Any]:
    """No measured run had an error or a non-2xx response."""
    failed = {
        f"{name} round {i + 1}": {kind: n for kind, n in result.errors.items() if n}
        for i, results in enumerate(rounds)
        for name, result in results.items()
        if any(result.errors.values())
    }
    return check(f"{prefix}no errors or non-2xx responses" + (f": {failed}" if failed else ""), not failed)


def _medians(rounds: list[dict[str, Result]], name: str) -> Row:
    runs = [r[name] for r in rounds]
    ratios = [r[name].rps / r[BASELINE].rps for r in rounds if r[BASELINE].rps]
    figures = {
        "rps": round(statistics.median(m.rps for m in runs), 1),
        "p50_ms": round(statistics.median(m.p50_ms for m in runs), 2),
        "p99_ms": round(statistics.median(m.p99_ms for m in runs), 2),
        "ratio": round(statistics.median(ratios), 4) if ratios else 0.0,
        "server_cpu_pct": round(statistics.median(m.server_cpu_pct for m in runs)),
    }
    if any(m.peak_rss_mb for m in runs):
        figures["peak_rss_mb"] = max(m.peak_rss_mb for m in runs)
    return figures


def summarize(rounds: list[dict[str, Result]], **extra: Any) -> list[Row]:
    """One row per scenario: medians over rounds, each ratio against its own round's baseline."""
    rows = []
    for name in [n for n in rounds[0] if not n.endswith(BEFORE)]:
        row = {**extra, "scenario": name, **_medians(rounds, name)}
        if name != BASELINE:
            row["target"] = target = TARGETS.get(name)
            row["pass"] = None if target is None else row["ratio"] >= target
            if "peak_rss_mb" in row:
                row["rss_pass"] = row["peak_rss_mb"] < RSS_LIMIT_MB
        if name.endswith(POLICY):
            # Per round, then the median: both keys' runs in a round shared that round's machine and server.
            shares = [r[name].rps / r[name.removesuffix(POLICY)].rps for r in rounds]
            row["policy_ratio"] = round(statistics.median(shares), 3)
            row["target"] = budget = POLICY_BUDGETS.get(name)
            row["pass"] = None if budget is None else row["policy_ratio"] >= budget
        if name + BEFORE in rounds[0]:
            row["before"] = _medians(rounds, name + BEFORE)
            # Per round, then the median: both servers' runs in a round shared that round's machine.
            shares = [r[name].rps / r[name + BEFORE].rps for r in rounds if r[name + BEFORE].rps]
            row["after_before"] = round(statistics.median(shares), 3) if shares else 0.0
        rows.append(row)
    return rows


def list_scaling(rows: list[Row]) -> dict[str, Any] | None:
    """ListIncidentRecords at the largest tier against the smallest; None with one tier."""
    # The server is the bottleneck (one core, closed-loop load), so a request's latency is the inverse of the rate. The
    # verdict compares the rates as fractions of each tier's own ceiling, which cancels a machine that got busier
    # between the tiers; the raw p50 and p99 ratios are shown beside it.
    found = sorted((r["incidents"], r) for r in rows if r["scenario"] == "ListIncidentRecords")
    if len(found) < 2:
        return None
    (small, low), (large, high) = found[0], found[-1]
    slowdown = low["ratio"] / high["ratio"] if high["ratio"] else float("inf")
    p50 = high["p50_ms"] / low["p50_ms"] if low["p50_ms"] else 0.0
    p99 = high["p99_ms"] / low["p99_ms"] if low["p99_ms"] else 0.0
    return {
        **check(
            f"ListIncidentRecords at {large:,} incidents is {slowdown:.2f}x as slow as at {small:,} "
            f"(time per request, against each tier's ceiling; raw p50 {p50:.2f}x, p99 {p99:.2f}x); "
            f"limit {LIST_SLOWDOWN_LIMIT:g}x",
            slowdown <= LIST_SLOWDOWN_LIMIT,
        ),
        "slowdown": round(slowdown, 3),
        "p50_ratio": round(p50, 3),
        "p99_ratio": round(p99, 3),
    }


def _target(row: Row) -> str:
    if row["scenario"] == BASELINE:
        return "baseline"
    if "policy_ratio" in row and row["target"] is not None:
        return f">= {row['target']:.0%} of no policy"
    return "-" if row["target"] is None else f">= {row['target']:.0%}"


def _verdict(row: Row) -> str:
    verdicts = [] if row.get("pass") is None else ["PASS" if row["pass"] else "FAIL"]
    return " ".join(verdicts + ([f"RSS>{RSS_LIMIT_MB}"] if row.get("rss_pass") is False else []))


Column = tuple[str, Callable[[Row], str]]
FIGURES: list[Column] = [
    ("req/s", lambda f: f"{f['rps']:,.0f}"),
    ("p50 ms", lambda f: f"{f['p50_ms']:.1f}"),
    ("p99 ms", lambda f: f"{f['p99_ms']:.1f}"),
    ("vs hello", lambda f: f"{f['ratio']:.1%}"),
]
CPU: Column = ("server CPU", lambda f: f"{f['server_cpu_pct']}%")


def _columns(rows: list[Row]) -> list[Column]:
    """The table's columns: those of every run, then those only some rows have (tiers, peak RSS, --against)."""
    columns: list[Column] = [("incidents", lambda r: f"{r['incidents']:,}")] if "incidents" in rows[0] else []
    columns += [("scenario", lambda r: r["scenario"]), *FIGURES, ("target", _target), ("result", _verdict)]
    if any("peak_rss_mb" in r for r in rows):
        columns.append(("peak RSS", lambda r: f"{r['peak_rss_mb']:.0f} MB"))
    if any("policy_ratio" in r for r in rows):
        columns.append(("policy/none", lambda r: f"{r['policy_ratio']:.3f}" if "policy_ratio" in r else ""))
    columns.append(CPU)
    if any("before" in r for r in rows):
        for heading, cell in [*FIGURES, CPU]:
            short = heading.removesuffix(" ms").removeprefix("server ")  # the table is wide enough as it is
            columns.append((f"before {short}", lambda r, cell=cell: cell(r["before"]) if "before" in r else ""))
        columns.append(("after/before", lambda r: f"{r['after_before']:.2f}x" if "before" in r else ""))
    return columns


def text_table(rows: list[Row]) -> str:
    """Aligned columns for the terminal: names to the left, figures to the right."""
    columns = _columns(rows)
    cells = [[heading for heading, _ in columns]] + [[cell(row) for _, cell in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    left = [heading == "scenario" for heading, _ in columns]
    lines = [
        "  ".join(c.ljust(w) if lt else c.rjust(w) for c, w, lt in zip(line, widths, left, strict=True)).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def caption(meta: dict[str, Any]) -> str:
    """What was measured, under what load."""
    text = (
        f"Database: {meta['database_kind']} ({meta['database']}); load: wrk -t{meta['threads']} "
        f"-c{meta['connections']} -d{meta['duration']}s, {meta['rounds']} round(s), warm-up {meta['warmup']}s; "
        f"{meta['cpus']} CPUs; {meta['processes']} serving process(es) for every server"
    )
    if "rss_method" in meta:
        text += f"; peak RSS by {meta['rss_method']}"
    if "against" in meta:
        text += f"; after: this working tree, before: {meta['against']}, in the same rounds"
    if meta.get("policy"):
        text += f"; (policy): signed by a second key of the account holding {meta['policy']}, in the same rounds"
    if meta.get("read_cache") is False:
        text += "; read cache off"
    return text + "."


def markdown(document: dict[str, Any]) -> str:
    """The table, the conditions, the seeding times and query plans of a scale run, and the checks."""
    columns = _columns(document["summary"])
    scale = " at scale" if "seeding" in document else ""
    out = [f"# incidentd benchmark{scale}, {document['meta']['started']}", "", caption(document["meta"]), ""]
    out += ["| " + " | ".join(heading for heading, _ in columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell(row) for _, cell in columns) + " |" for row in document["summary"]]
    if scale:
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
    out += ["", "## Checks", ""] + [f"- {'ok' if c['ok'] else 'FAILED'}: {c['what']}" for c in document["checks"]]
    return "\n".join(out) + "\n"


def publish(folder: Path, document: dict[str, Any], stem: str, latest: str) -> int:
    """Write <stem>-<time>-<db> and <latest> as .json and .md, print the table and checks; 1 if any failed."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{document['meta']['database_kind']}"
    text, md = json.dumps(document, indent=2), markdown(document)
    for base in (name, latest):
        (folder / f"{base}.json").write_text(text)
        (folder / f"{base}.md").write_text(md)
    rows, checks = document["summary"], document["checks"]
    print(caption(document["meta"]))
    print(text_table(rows))
    for found in checks:
        print(f"{'ok' if found['ok'] else 'CHECK FAILED'}: {found['what']}")
    print(f"\nwritten: {folder / name}.json and .md")
    met = all(r.get("pass") is not False and r.get("rss_pass") is not False for r in rows)
    return 0 if met and all(c["ok"] for c in checks) else 1
