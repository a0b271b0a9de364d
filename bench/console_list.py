"""`python bench/console_list.py`: the console's incident list over 1,000,000 stored incidents on SQLite.

The target (the console's issue): with 1,000,000 incidents stored, the incident list renders in at most 150 ms p99,
and a page's HTML is under 100 KB; and the API's hot path is not slower with the console mounted.

What it does:
- Data: a SQLite database with --incidents incidents in the bench account and OTHER_INCIDENTS in each of a few other
  accounts, 2% open, impacts and ~20 plans mixed, over two years, with engagements and pages for plans that engage
  contacts. The rows are stamped out from incidents the API itself made (captured through boto3) and bulk-written
  (bench/bulk.py); the file is cached, keyed by VERSION, the schema's revision and the count, so reruns don't rebuild.
- Load: `incidentd serve --no-worker` on it, a viewer signed in over HTTP, one persistent httpx client sending
  sequential requests (single-client latency), --requests per case after a warm-up. The hello-world (bench/hello.py)
  gets the same client loop before and after the cases, for a ratio.
- The API: GetResponsePlan (pre-signed by boto3) on that server and on a second one with `[console] enabled = false`,
  same database, same loop, in alternating rounds.
- Why: EXPLAIN QUERY PLAN of each case's page query, and an in-process breakdown of each case (page query, engagement
  counts, plan names, the rest: rendering), with a cProfile of the cases that miss the target.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import itertools
import json
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import project_venv

project_venv.use()  # `python bench/console_list.py` with the system interpreter reruns under .venv

import bulk  # noqa: E402
import httpx  # noqa: E402
import servers  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import tenant  # noqa: E402
from internals import Database, Invoker, JsonText, SystemClock, config, incident_store, migrate, reading  # noqa: E402
from scenarios import log  # noqa: E402
from seed import Row  # noqa: E402
from signing import REGION, Signer, client  # noqa: E402
from starlette.requests import Request  # noqa: E402

# Beyond what internals.py exports (the console is new): to move there once the console has settled.
from incidentd.console import incident_list  # noqa: E402
from incidentd.console.app import Console  # noqa: E402
from incidentd.console.sessions import SignedIn  # noqa: E402
from incidentd.engine.jobs.engage import incident_message  # noqa: E402
from incidentd.store import engagements as engagement_store  # noqa: E402

VERSION = 2  # bump when the data set changes: cached databases of other versions are never reused
TARGET_P99_MS = 150.0
TARGET_HTML_BYTES = 100_000
RESULTS = Path(__file__).resolve().parent / "results"

ACCOUNT = servers.BenchAccount()
OTHER_ACCOUNTS = [f"2100000000{n:02d}" for n in range(1, 6)]
OTHER_INCIDENTS = 1_000  # per other account
OPEN_SHARE = 0.02
IMPACT_WEIGHTS = {1: 3, 2: 12, 3: 35, 4: 35, 5: 15}
SPAN_MS = 2 * 365 * 86_400_000  # creation times spread over two years back from now
CONTACTS = ("oncall-primary", "oncall-secondary", "db-oncall")
# (plan name, share of incidents, contacts engaged): Zipf-like, plus one plan that almost never fires.
PLANS: list[tuple[str, float, tuple[str, ...]]] = [
    (name, 1 / rank, CONTACTS[: rank % 3])
    for rank, name in enumerate(
        "checkout-api payments-prod search-cluster auth-service orders-db cdn-edge inventory-sync mobile-backend "
        "email-delivery billing-batch data-pipeline k8s-platform dns-resolvers vpn-gateway analytics-warehouse "
        "notifications-fanout recommendations image-resizer partner-webhooks".split(),
        start=1,
    )
]
RARE_PLAN = "legacy-mainframe"
PLANS.append((RARE_PLAN, 0.002, ()))  # about 1 incident in 2,000: a filter that reads far down the list
SERVICES = [name for name, _, _ in PLANS[:-1]] + ["redis-cache", "kafka-brokers", "api-gateway", "object-storage"]
SYMPTOMS = [
    "elevated latency",
    "p99 latency above SLO",
    "5xx error rate above 2%",
    "disk usage above 90%",
    "pods crash-looping",
    "replication lag growing",
    "certificate expires in 7 days",
    "queue backlog growing",
    "health checks failing",
    "memory pressure and OOM kills",
    "throttled by upstream",
    "connection pool exhausted",
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"]
COMMON_WORD = "latency"  # two symptoms of twelve: about one title in six
RARE_WORD = "kerberos"  # about one title in 50,000: a search that reads the whole account
RARE_EVERY = 50_000
VIEWER, PASSWORD = "bench-viewer", "bench viewer password"  # noqa: S105 - a throwaway local user
DEEP_PAGES = 20  # "Older" links followed for the deep page
CONSOLE_OFF = "\n[console]\nenabled = false\n"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
OLDER = re.compile(r'href="([^"]+)" rel="next"')


# ---------------------------------------------------------------------------------------------- the command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents in the bench account (1,000,000)")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per case (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds the requests are spread over (default 3)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests before each case (default 20)")
    parser.add_argument("--api-requests", type=int, default=3000, help="GetResponsePlan per server (default 3000)")
    parser.add_argument("--api-rounds", type=int, default=6, help="alternating rounds of the API (default 6)")
    parser.add_argument("--repeats", type=int, default=10, help="in-process timings per case (default 10)")
    parser.add_argument("--profile", action="store_true", help="cProfile every case in process, not only misses")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count GetResponsePlan's instructions with callgrind, console mounted and off (minutes)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "incidentd-bench",
        help="where the built database is kept between runs (default: $TMPDIR/incidentd-bench)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if cached")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes (default bench/results)")
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------------------ building the data set


@dataclass
class Captured:
    """The documents the API stored for one open and one resolved incident."""

    open_doc: dict[str, Any]
    resolved_doc: dict[str, Any]


def schema_revision() -> str:
    """The newest migration's revision: a schema change makes a new cache key."""
    versions = Path(migrate.MIGRATIONS) / "versions"
    return max(path.name.split("_", 1)[0] for path in versions.glob("[0-9]*.py"))


def cached_path(args: argparse.Namespace) -> Path:
    """The database file for these arguments, keyed by VERSION, the schema's revision and the count."""
    return args.cache_dir / f"console_list-v{VERSION}-r{schema_revision()}-{args.incidents}.db"


def ensure_database(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The cached database, built first when missing (or with --rebuild); and how the build went."""
    path = cached_path(args)
    if path.exists() and not args.rebuild:
        log(f"using the cached database {path} ({path.stat().st_size / 1e9:.2f} GB)")
        return path, {"cached": True, "path": str(path)}
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.db")
    _remove_database(partial)
    began = time.monotonic()
    built = build(partial, args.incidents)
    os.replace(partial, path)
    _remove_database(partial)
    built.update(cached=False, path=str(path), seconds=round(time.monotonic() - began, 1))
    log(f"built {path} in {built['seconds']:.0f} s ({path.stat().st_size / 1e9:.2f} GB)")
    return path, built


def _remove_database(path: Path) -> None:
    """A SQLite file and its WAL and shared-memory files, where they exist."""
    for suffix in ("", "-wal", "-shm", "-writer.lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build(path: Path, count: int) -> dict[str, Any]:
    """Create the schema, have the API make plans and sample incidents, then bulk-write the rest."""
    url = f"sqlite:///{path}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="incidentd-console-build-") as workdir:
        captured = capture(Path(workdir), url)
    captured_s = time.monotonic() - began
    log(f"writing {count:,} incidents (+{OTHER_INCIDENTS:,} in each of {len(OTHER_ACCOUNTS)} other accounts)")
    began = time.monotonic()
    rows = bulk.write(url, lambda _copy_lines: all_rows(captured, count), log, rebuild=True)
    return {"rows": rows, "capture_seconds": round(captured_s, 1), "write_seconds": round(time.monotonic() - began, 1)}


def capture(workdir: Path, url: str) -> Captured:
    """Through boto3, on a server with its worker: contacts, the plans, and two incidents; their stored rows."""
    with servers.start_incidentd(workdir, url, ACCOUNT) as server:
        tenant.prepare(server.url, ACCOUNT)  # onboards the account (and makes the bench plan)
        contacts = client(server.url, ACCOUNT, "ssm-contacts")
        for alias in CONTACTS:
            contacts.create_contact(Alias=alias, DisplayName=alias, Type="PERSONAL", Plan={"Stages": []})
        api = client(server.url, ACCOUNT)
        for name, _, engaged in PLANS:
            api.create_response_plan(**plan_request(name, engaged))
        plan_arn = f"arn:aws:ssm-incidents::{ACCOUNT.account_id}:response-plan/{PLANS[0][0]}"
        opened = api.start_incident(responsePlanArn=plan_arn, title=f"{PLANS[0][0]}: {SYMPTOMS[0]} in {REGIONS[0]}")
        resolved = api.start_incident(responsePlanArn=plan_arn, title=f"{PLANS[0][0]}: {SYMPTOMS[1]} in {REGIONS[1]}")
        api.update_incident_record(arn=resolved["incidentRecordArn"], status="RESOLVED")
        tenant.wait_for_worker(url)  # engagements, pages, chat, runbook: what the response job writes
        return _read_captured(url, opened["incidentRecordArn"], resolved["incidentRecordArn"])


def plan_request(name: str, engaged: tuple[str, ...]) -> dict[str, Any]:
    """A response plan like the benchmark's own (bench/tenant.py), engaging the given contacts."""
    plan = tenant.plan_request(ACCOUNT.account_id)
    plan.update(name=name, displayName=name.replace("-", " ").title())
    plan["engagements"] = [f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT.account_id}:contact/{c}" for c in engaged]
    if not engaged:
        del plan["engagements"]
    plan["incidentTemplate"] = dict(plan["incidentTemplate"], title=f"{name} alarm")
    return plan


def _read_captured(url: str, open_arn: str, resolved_arn: str) -> Captured:
    """The stored documents; checks that the engagement and page are what this script stamps out."""
    account = ACCOUNT.account_id
    with reading(url) as conn:
        open_doc = incident_store.get(conn, account, open_arn)
        resolved_doc = incident_store.get(conn, account, resolved_arn)
        engaged = conn.exec_driver_sql(
            "SELECT e.doc, p.doc, p.contact_arn FROM engagements e JOIN pages p ON p.engagement_arn = e.arn "
            "WHERE e.account_id = ? AND e.incident_id = ? LIMIT 1",
            (account, open_arn),
        ).first()
    if not (open_doc and resolved_doc and engaged):
        raise RuntimeError("the API made no engagement or page for the sample incident: is the worker running?")
    engagement, page = json.loads(engaged[0]), json.loads(engaged[1])
    if engagement != incident_message(open_doc) or page != page_doc(engagement, engaged[2]):
        raise RuntimeError(f"engagement or page documents changed shape: {engagement} / {page}")
    return Captured(open_doc, resolved_doc)


def page_doc(message: dict[str, Any], contact_arn: str) -> dict[str, Any]:
    """A page's document as the engine stores it: the engagement's message and who it reached."""
    return dict(message, Essential=True, Resolution=[{"ContactArn": contact_arn, "Type": "PERSONAL"}])


def all_rows(captured: Captured, count: int) -> Iterator[Row]:
    """The bench account's incidents and then each other account's, newest first from now."""
    newest = int(time.time() * 1000) - 60_000
    accounts = [(ACCOUNT.account_id, count), *((account, OTHER_INCIDENTS) for account in OTHER_ACCOUNTS)]
    return itertools.chain.from_iterable(
        account_rows(captured, account, number, newest, seed) for seed, (account, number) in enumerate(accounts)
    )


@dataclass
class _Stamp:
    """Per-account templates and the random choices shared by every incident."""

    account: str
    open_doc: dict[str, Any]
    resolved_doc: dict[str, Any]
    rng: random.Random


_JSON = JsonText()


def to_text(value: Any) -> str:
    """A document as the text incidentd stores."""
    return _JSON.process_bind_param(value, None) or ""


INCIDENT_COLUMNS = (
    "account_id",
    "arn",
    "creation_ms",
    "status",
    "impact",
    "created_by",
    "dedupe_string",
    "doc",
    "title",
    "plan_name",
)
ENGAGEMENT_COLUMNS = ("account_id", "arn", "contact_arn", "incident_id", "start_ms", "stop_ms", "doc")
PAGE_COLUMNS = (
    "account_id",
    "arn",
    "engagement_arn",
    "contact_arn",
    "created_ms",
    "sent_ms",
    "delivery_ms",
    "read_ms",
    "accept_code",
    "doc",
)


def account_rows(captured: Captured, account: str, count: int, newest_ms: int, seed: int) -> Iterator[Row]:
    """count incidents of one account over SPAN_MS, each with an engagement and a page per contact of its plan."""

    def for_account(doc: dict[str, Any]) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(json.dumps(doc).replace(ACCOUNT.account_id, account))
        return loaded

    stamp = _Stamp(account, for_account(captured.open_doc), for_account(captured.resolved_doc), random.Random(seed))
    plan_weights = list(itertools.accumulate(share for _, share, _ in PLANS))
    impacts, impact_weights = list(IMPACT_WEIGHTS), list(itertools.accumulate(IMPACT_WEIGHTS.values()))
    step = SPAN_MS / count
    for n in range(count):
        at = newest_ms - int((n + stamp.rng.random()) * step)
        name, _, engaged = stamp.rng.choices(PLANS, cum_weights=plan_weights)[0]
        doc = incident_doc(stamp, name, at, stamp.rng.choices(impacts, cum_weights=impact_weights)[0])
        created_by = doc["incidentRecordSource"]["createdBy"]
        values = (account, doc["arn"], at, doc["status"], doc["impact"], created_by, doc["dedupeString"])
        yield "incidents", INCIDENT_COLUMNS, (*values, to_text(doc), doc["title"], name)
        for alias in engaged:
            yield from engagement_rows(stamp, doc, alias)


def incident_doc(stamp: _Stamp, plan: str, at: int, impact: int) -> dict[str, Any]:
    """An incident's document from the captured one: new ARN, title, impact, status and times."""
    rng = stamp.rng
    is_open = rng.random() < OPEN_SHARE
    doc = dict(stamp.open_doc if is_open else stamp.resolved_doc)
    incident_id = time_ordered(at, rng)
    doc.update(
        arn=f"arn:aws:ssm-incidents::{stamp.account}:incident-record/{plan}/{incident_id}",
        title=title(rng),
        impact=impact,
        status="OPEN" if is_open else "RESOLVED",
        creationTime=at / 1000,
        lastModifiedTime=at / 1000,
        dedupeString=time_ordered(at, rng),
    )
    if not is_open:
        doc["resolvedTime"] = doc["lastModifiedTime"] = (at + rng.randint(600_000, 172_800_000)) / 1000
    return doc


def title(rng: random.Random) -> str:
    """A monitoring-alarm style title; now and then one holding RARE_WORD."""
    if rng.random() < 1 / RARE_EVERY:
        return f"{rng.choice(SERVICES)}: {RARE_WORD} ticket renewal failing in {rng.choice(REGIONS)}"
    return f"{rng.choice(SERVICES)}: {rng.choice(SYMPTOMS)} in {rng.choice(REGIONS)}"


def time_ordered(ms: int, rng: random.Random) -> str:
    """A UUID version 7 for a time, as incidentd's ids.time_ordered makes one (seeded random bits)."""
    value = ms << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def engagement_rows(stamp: _Stamp, doc: dict[str, Any], alias: str) -> Iterator[Row]:
    """The engagement of one contact for an incident and its one page; acknowledged mostly once resolved."""
    rng, account = stamp.rng, stamp.account
    contact = f"arn:aws:ssm-contacts:{REGION}:{account}:contact/{alias}"
    engagement = f"arn:aws:ssm-contacts:{REGION}:{account}:engagement/{alias}/{uuid.UUID(int=rng.getrandbits(128))}"
    page = f"arn:aws:ssm-contacts:{REGION}:{account}:page/{alias}/{uuid.UUID(int=rng.getrandbits(128))}"
    start = round(doc["creationTime"] * 1000) + rng.randint(200, 3000)
    stop = round(doc["resolvedTime"] * 1000) if "resolvedTime" in doc else None
    read = start + rng.randint(30_000, 900_000) if rng.random() < (0.9 if stop else 0.5) else None
    message = incident_message(doc)
    yield "engagements", ENGAGEMENT_COLUMNS, (account, engagement, contact, doc["arn"], start, stop, to_text(message))
    code = f"{rng.randrange(1_000_000):06d}"
    paged = (account, page, engagement, contact, start, start + 800, start + 2500, read, code)
    yield "pages", PAGE_COLUMNS, (*paged, to_text(page_doc(message, contact)))


# ------------------------------------------------------------------------------------------------ the servers


def serve(workdir: Path, url: str, name: str, console: bool) -> servers.Process:
    """`incidentd serve --no-worker` on the database, with the console mounted or `[console] enabled = false`."""
    port = servers.free_port()
    settings = workdir / f"{name}.toml"
    settings.write_text("" if console else CONSOLE_OFF)
    command = [sys.executable, "-m", "incidentd.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--database", url, "--config", str(settings), "--no-worker"]
    return servers.Process(name, command, port, workdir, servers.incidentd_env(ACCOUNT))


def add_viewer(url: str) -> None:
    """`incidentd user add` a viewer of the bench account (kept from earlier runs on the cached database)."""
    # --database belongs to `user`, before its sub-command: `user add NAME ... --database URL` is refused.
    command = [sys.executable, "-m", "incidentd.cli", "user", "--database", url, "add", VIEWER]
    command += ["--account", ACCOUNT.account_id, "--role", "viewer", "--password-stdin"]
    done = subprocess.run(command, input=PASSWORD, capture_output=True, text=True, check=False)
    if done.returncode and "already a user" not in done.stderr + done.stdout:
        raise RuntimeError(f"incidentd user add failed: {done.stdout}{done.stderr}")


def signed_in(endpoint: str) -> httpx.Client:
    """A client holding the viewer's session cookie, signed in through the sign-in form."""
    browser = httpx.Client(base_url=endpoint, follow_redirects=False, timeout=60)
    form = browser.get("/console/sign-in")
    token = FORM_TOKEN.search(form.text)
    if token is None:
        raise RuntimeError(f"no form_token on the sign-in page: {form.status_code} {form.text[:300]}")
    data = {"username": VIEWER, "password": PASSWORD, "form_token": token.group(1), "next": "/console/"}
    answer = browser.post("/console/sign-in", data=data)
    if answer.status_code != 303 or answer.headers.get("location") != "/console/":
        raise RuntimeError(f"signing in failed: {answer.status_code} {answer.text[:300]}")
    return browser


# ------------------------------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    """One request the list answers, measured again and again."""

    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def rows_only(self) -> bool:
        """The htmx refresh (/console/incidents/rows) rather than the whole page."""
        return self.path.startswith("/console/incidents/rows")


def cases(browser: httpx.Client) -> list[Case]:
    """The issue's cases; the deep page is found by following "Older" DEEP_PAGES times."""
    mid_plan = PLANS[4][0]
    return [
        Case("first page (status OPEN)", "/console/"),
        Case("all statuses", "/console/?status=ALL"),
        Case(f"deep page ({DEEP_PAGES} x Older, ALL)", deep_path(browser, "/console/?status=ALL")),
        Case("impact 1, all statuses", "/console/?status=ALL&impact=1"),
        Case(f"plan {mid_plan}, ALL", f"/console/?status=ALL&plan={mid_plan}"),
        Case(f"rare plan {RARE_PLAN}, ALL", f"/console/?status=ALL&plan={RARE_PLAN}"),
        Case(f"plan without incidents ({tenant.PLAN_NAME}), ALL", f"/console/?status=ALL&plan={tenant.PLAN_NAME}"),
        Case(f"search rare word '{RARE_WORD}', OPEN", f"/console/?q={RARE_WORD}"),
        Case(f"search rare word '{RARE_WORD}', ALL", f"/console/?status=ALL&q={RARE_WORD}"),
        Case(f"search common word '{COMMON_WORD}', ALL", f"/console/?status=ALL&q={COMMON_WORD}"),
        Case("htmx refresh (rows, ALL)", "/console/incidents/rows?status=ALL", {"HX-Request": "true"}),
    ]


def deep_path(browser: httpx.Client, start: str) -> str:
    """Where following the "Older" link DEEP_PAGES times from start leads."""
    path = start
    for _ in range(DEEP_PAGES):
        older = OLDER.search(browser.get(path).text)
        if older is None:
            raise RuntimeError(f"no Older link on {path}")
        path = older.group(1).replace("&amp;", "&")
    return path


# ------------------------------------------------------------------------------------------------ measuring


@dataclass
class Timing:
    """Latencies of one case's measured requests and what its answer looked like."""

    latencies_ms: list[float]
    html_bytes: int
    rows: int
    round_p50_ms: list[float] = field(default_factory=list)

    def add(self, other: Timing) -> Timing:
        """This and another round's timing of the same case, together."""
        rounds = [*self.round_p50_ms, other.p(0.5)]
        return Timing(self.latencies_ms + other.latencies_ms, other.html_bytes, other.rows, rounds)

    def p(self, fraction: float) -> float:
        """A percentile: the value below which `fraction` of the sorted latencies fall."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def to_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        summary = {
            "p50_ms": self.p(0.5),
            "p90_ms": self.p(0.9),
            "p99_ms": self.p(0.99),
            "max_ms": max(self.latencies_ms),
        }
        return {
            **{k: round(v, 2) for k, v in summary.items()},
            "html_bytes": self.html_bytes,
            "rows": self.rows,
            "round_p50_ms": [round(v, 2) for v in self.round_p50_ms],
            "latencies_ms": [round(v, 2) for v in self.latencies_ms],
        }


def measure(http: httpx.Client, method: str, path: str, count: int, warmup: int, **request: Any) -> Timing:
    """Warm up, then send count sequential requests and time each to its last byte; every answer must be a 200."""
    answer = None
    latencies = []
    for n in range(warmup + count):
        began = time.perf_counter()
        answer = http.request(method, path, **request)
        took = time.perf_counter() - began
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        if n >= warmup:
            latencies.append(took * 1000)
    assert answer is not None
    return Timing(latencies, len(answer.content), answer.text.count("data-list-item"))


def measure_list(
    browser: httpx.Client, the_cases: list[Case], hello: servers.Process, args: argparse.Namespace
) -> dict[str, Timing]:
    """In each of --rounds rounds, the hello-world and then every case: a burst of noise is shared out, not
    charged to one case. Each is warmed up in the first round only."""
    found = {name: Timing([], 0, 0) for name in ["hello-world", *(case.name for case in the_cases)]}
    per_round = max(1, args.requests // args.rounds)
    with httpx.Client(base_url=hello.url, timeout=60) as plain:
        for number in range(args.rounds):
            warmup = args.warmup if number == 0 else 0
            found["hello-world"] = found["hello-world"].add(measure(plain, "GET", "/console/", per_round, warmup))
            for case in the_cases:
                got = measure(browser, "GET", case.path, per_round, warmup, headers=case.headers)
                found[case.name] = found[case.name].add(got)
                log(f"  round {number + 1}, {case.name}: p50 {got.p(0.5):.1f} ms, p99 {got.p(0.99):.1f} ms")
    return found


def compare_api(workdir: Path, url: str, mounted: servers.Process, args: argparse.Namespace) -> dict[str, Any]:
    """GetResponsePlan, pre-signed, on the server with the console and on one without, in alternating rounds."""
    plan = f"arn:aws:ssm-incidents::{ACCOUNT.account_id}:response-plan/{PLANS[0][0]}"
    per_round = max(1, args.api_requests // args.api_rounds)
    with contextlib.ExitStack() as stack:
        bare = stack.enter_context(serve(workdir, url, "incidentd-no-console", console=False))
        if httpx.get(f"{bare.url}/console/").status_code == 200:
            raise RuntimeError("the server with [console] enabled = false still serves /console/")
        subjects = {"console mounted": mounted, "console off": bare}
        loops = {name: _api_loop(stack, server, plan) for name, server in subjects.items()}
        latencies: dict[str, list[float]] = {name: [] for name in subjects}
        ratios = []
        for number in range(args.api_rounds):
            order = list(subjects) if number % 2 == 0 else list(reversed(subjects))
            got = {name: loops[name](per_round, args.warmup) for name in order}
            for name, timing in got.items():
                latencies[name] += timing.latencies_ms
            ratios.append(got["console mounted"].p(0.5) / got["console off"].p(0.5))
    timings = {name: Timing(values, 0, 0) for name, values in latencies.items()}
    return {
        "timings": timings,
        "p50_ratio_rounds": [round(r, 3) for r in ratios],
        "p50_ratio_median": statistics.median(ratios),
    }


def _api_loop(stack: contextlib.ExitStack, server: servers.Process, plan_arn: str) -> Callable[[int, int], Timing]:
    """A persistent client sending boto3's signed GetResponsePlan (signed for this server's host) as-is."""
    prepared = Signer(server.url, ACCOUNT).prepared("get_response_plan", arn=plan_arn)
    headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in prepared.headers.items()}
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body or b""
    http = stack.enter_context(httpx.Client(timeout=60))

    def loop(count: int, warmup: int) -> Timing:
        return measure(http, prepared.method, prepared.url, count, warmup, headers=headers, content=body)

    return loop


# ------------------------------------------------------------------------------------------------ why: plans, time


def request_for(path: str) -> Request:
    """The Starlette request a browser's GET of path makes (what the handlers read: the query string)."""
    split = urlsplit(path)
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "root_path": "",
        "path": split.path,
        "query_string": split.query.encode(),
        "headers": [(b"host", b"127.0.0.1")],
    }
    return Request(scope)


def query_of(filters: incident_list.Filters) -> incident_store.IncidentQuery:
    """The IncidentQuery incident_list.rows makes of the filters."""
    return incident_list.query_for(filters, int(time.time() * 1000))


def explain(url: str, case: Case) -> dict[str, str]:
    """EXPLAIN QUERY PLAN of the case's page query (incidents.page_sql) and of its engagement counts query."""
    filters = incident_list.Filters.of(request_for(case.path))
    found = {}
    with reading(url) as conn:
        query = query_of(filters)
        sql, parameters = incident_store.page_sql(
            conn.dialect, ACCOUNT.account_id, query, filters.after, incident_list.PAGE_SIZE + 1
        )
        found["sql"] = sql
        found["page"] = _plan(conn, sql, parameters)
        arns = [arn for _, arn, _ in incident_store.page(conn, ACCOUNT.account_id, query, filters.after, 50)]
        statements = _statements(conn, lambda: engagement_store.counts_by_incident(conn, ACCOUNT.account_id, arns))
        found["engagement counts"] = "\n".join(_plan(conn, sql, params) for sql, params in statements)
    return found


def _plan(conn: sa.Connection, sql: str, parameters: Any) -> str:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def _statements(conn: sa.Connection, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SQL and parameters a call sends through conn, as the driver gets them."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    sa.event.listen(conn, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(conn, "before_cursor_execute", record)
    return sent


def count_instructions(requests: int) -> dict[str, float]:
    """Instructions per GetResponsePlan (read cache, and without), console mounted and off: bench/instructions.py's
    callgrind run, its config with [console] enabled = false added for the second."""
    import instructions

    shipped = instructions.CONFIG
    found = {}
    with tempfile.TemporaryDirectory(prefix="incidentd-console-instructions-") as folder:
        try:
            for label, extra in (("console mounted", ""), ("console off", CONSOLE_OFF)):
                instructions.CONFIG = shipped + extra
                for number, scenario in enumerate(instructions.SCENARIOS[:2]):
                    workdir = Path(folder) / f"{label.replace(' ', '-')}-{number}"
                    found[f"{scenario.name}, {label}"] = instructions.per_request(None, scenario, requests, workdir)
                    log(f"  {scenario.name}, {label}: {found[f'{scenario.name}, {label}']:,.0f} instructions")
        finally:
            instructions.CONFIG = shipped
    return found


def in_process(url: str) -> tuple[Console, SignedIn]:
    """The console's handlers on the database, in this process, and the signed-in viewer they serve."""
    environ = {**os.environ, "INCIDENTD_CREDENTIALS": ACCOUNT.credentials, "INCIDENTD_DATABASE_URL": url}
    settings = config.load(None, environ)
    console = Console(Invoker(Database(url), SystemClock(), settings), on_write=lambda: None)
    who = SignedIn("bench", VIEWER, "local", ACCOUNT.account_id, "viewer", "bench", None)
    return console, who


def handler(console: Console, who: SignedIn, case: Case) -> Callable[[], Any]:
    """The case's request handled in process, from filters to HTML (no session look-up, no HTTP)."""
    request = request_for(case.path)
    answer = incident_list.list_rows if case.rows_only else incident_list.list_page
    return lambda: answer(console, request, who)


def breakdown(console: Console, who: SignedIn, case: Case, repeats: int) -> dict[str, float]:
    """Median milliseconds of the whole handler and of its parts: page query, engagement counts, plan names, and
    the rest (rendering and Starlette): each run's handler less its parts."""
    filters = incident_list.Filters.of(request_for(case.path))
    query, account, size = query_of(filters), who.account_id, incident_list.PAGE_SIZE
    whole = handler(console, who, case)
    runs = []
    for _ in range(repeats):
        run: dict[str, float] = {}
        _, run["handler"] = timed(whole)
        with console.db.read() as conn:
            page, run["page query"] = timed(incident_store.page, conn, account, query, filters.after, size + 1)
            arns = [arn for _, arn, _ in page[:size]]
            _, run["engagement counts"] = timed(engagement_store.counts_by_incident, conn, account, arns)
        _, run["plan names"] = (None, 0.0) if case.rows_only else timed(incident_list.plan_names, console, who)
        run["rest (rendering, framework)"] = 2 * run["handler"] - sum(run.values())
        runs.append(run)
    return {name: round(statistics.median(run[name] for run in runs), 2) for name in runs[0]}


def timed(call: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """What call(*args) returns, and the milliseconds it took."""
    began = time.perf_counter()
    result = call(*args)
    return result, (time.perf_counter() - began) * 1000


def profile(console: Console, who: SignedIn, case: Case, calls: int = 3, top: int = 18) -> str:
    """cProfile of the handler run `calls` times: the functions with the most own time, then cumulative."""
    profiler = cProfile.Profile()
    run = handler(console, who, case)
    profiler.enable()
    for _ in range(calls):
        run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ reporting


def report(document: dict[str, Any]) -> None:
    """The tables, to stdout."""
    timings, hello = document["timings"], document["hello_p50_ms"]
    print(
        f"\n## Incident list, {document['meta']['incidents']:,} incidents, SQLite, {document['meta']['requests']} "
        "sequential requests per case, one keep-alive client\n"
    )
    print(
        "| case | p50 ms | p90 ms | p99 ms | max ms | p50 / hello p50 | p50 per round | HTML KB | rows "
        "| p99 ≤ 150 ms | HTML < 100 KB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, t in timings.items():
        is_case = not name.startswith("hello")
        verdicts = (_verdict(t["p99_ms"] <= TARGET_P99_MS), _verdict(t["html_bytes"] < TARGET_HTML_BYTES))
        print(
            f"| {name} | {t['p50_ms']:.1f} | {t['p90_ms']:.1f} | {t['p99_ms']:.1f} | {t['max_ms']:.1f} "
            f"| {t['p50_ms'] / hello:.1f}x | {' / '.join(f'{v:.1f}' for v in t['round_p50_ms'])} "
            f"| {t['html_bytes'] / 1000:.1f} | {t['rows']} "
            f"| {verdicts[0] if is_case else 'baseline'} | {verdicts[1] if is_case else ''} |"
        )
    api = document["api"]
    print("\n## The API's hot path: GetResponsePlan (read cache), same loop, alternating rounds\n")
    print("| server | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, t in api["timings"].items():
        print(f"| {name} | {t['p50_ms']:.2f} | {t['p90_ms']:.2f} | {t['p99_ms']:.2f} | {t['max_ms']:.2f} |")
    print(
        f"\np50 mounted / off, median of {len(api['p50_ratio_rounds'])} rounds: {api['p50_ratio_median']:.3f} "
        f"(rounds: {', '.join(map(str, api['p50_ratio_rounds']))})"
    )
    if document.get("instructions"):
        print("\n| instructions per request (callgrind) | count |\n|---|---|")
        for name, count in document["instructions"].items():
            print(f"| {name} | {count:,.0f} |")
    print("\n## In process (no HTTP, no session look-up): median ms of the handler and its parts\n")
    parts = list(next(iter(document["breakdown"].values())))
    print(f"| case | {' | '.join(parts)} |")
    print("|---|" + "---|" * len(parts))
    for name, figures in document["breakdown"].items():
        print(f"| {name} | {' | '.join(f'{figures[p]:.1f}' for p in parts)} |")
    print("\n## Query plans (EXPLAIN QUERY PLAN)\n")
    for name, found in document["plans"].items():
        print(f"-- {name}\n   page: {found['page'].replace(chr(10), chr(10) + '         ')}")
        print(f"   engagement counts: {found['engagement counts'].replace(chr(10), chr(10) + '      ')}")
    for name, text in document.get("profiles", {}).items():
        print(f"\n## cProfile: {name}\n\n{text}")


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def publish(results: Path, document: dict[str, Any]) -> Path:
    """The JSON results: a timestamped file and console-list-latest.json."""
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results / f"console-list-{stamp}.json"
    text = json.dumps(document, indent=2, default=str)
    path.write_text(text)
    (results / "console-list-latest.json").write_text(text)
    return path


def _timings_dict(timings: dict[str, Timing]) -> dict[str, dict[str, Any]]:
    return {name: timing.to_dict() for name, timing in timings.items()}


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the data set, measure, explain, report; 1 if a case misses a target."""
    args = parse_args(argv)
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        log(f"note: the machine is busy (load average {load_before[0]:.1f} on {os.cpu_count()} CPUs): expect noise")
    path, built = ensure_database(args)
    url = f"sqlite:///{path}"
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="incidentd-console-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        add_viewer(url)
        hello = stack.enter_context(servers.start_hello(workdir))
        server = stack.enter_context(serve(workdir, url, "incidentd", console=True))
        browser = signed_in(server.url)
        stack.callback(browser.close)
        log("measuring the incident list")
        the_cases = cases(browser)
        timings = measure_list(browser, the_cases, hello, args)
        log("measuring GetResponsePlan with the console mounted and without")
        api = compare_api(workdir, url, server, args)
    counted = {}
    if args.instructions:
        log("counting GetResponsePlan's instructions with callgrind, console mounted and off")
        counted = count_instructions(args.api_requests // 10)
    load_after = os.getloadavg()
    log("explaining and timing each case in process")
    console, who = in_process(url)
    list_timings = _timings_dict(timings)
    hello_p50 = timings["hello-world"].p(0.5)
    missed = [c for c in the_cases if list_timings[c.name]["p99_ms"] > TARGET_P99_MS]
    document = {
        "meta": {
            "incidents": args.incidents,
            "requests": args.requests,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "load_average_before": load_before,
            "load_average_after": load_after,
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "build": built,
            "command": " ".join([".venv/bin/python", "bench/console_list.py", *(argv or sys.argv[1:])]),
        },
        "timings": list_timings,
        "hello_p50_ms": hello_p50,
        "api": {**api, "timings": _timings_dict(api["timings"])},
        "instructions": counted,
        "plans": {case.name: explain(url, case) for case in the_cases},
        "breakdown": {case.name: breakdown(console, who, case, args.repeats) for case in the_cases},
        "profiles": {case.name: profile(console, who, case) for case in (the_cases if args.profile else missed)},
        "paths": {case.name: case.path for case in the_cases},
    }
    report(document)
    log(f"results: {publish(args.results, document)}")
    too_big = [c for c in the_cases if list_timings[c.name]["html_bytes"] >= TARGET_HTML_BYTES]
    return 1 if missed or too_big else 0


if __name__ == "__main__":
    sys.exit(main())
