"""`python bench/console_calendar.py`: a schedule's month view with 8 rotations of 30 members each.

The target (issue 16): the month view of such a schedule renders in at most 200 ms p99.

What it does: a fresh SQLite database, migrated; one account onboarded and filled through the API in process (240
personal contacts, 8 rotations of 30 with a daily hand-off at 09:00 in 8 zones, 3 overrides on each, one on-call
schedule naming them); the console's ASGI application on it with an admin's session; then --requests sequential GETs
of the month view (zone Europe/Berlin, the current month) through httpx's ASGI transport after a warm-up, and the same
for the week view and the On call page. Prints p50/p90/p99/max in ms and the HTML size.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import project_venv

project_venv.use()  # `python bench/console_calendar.py` with the system interpreter reruns under .venv

import httpx  # noqa: E402
import servers  # noqa: E402
from internals import Database, Invoker, SystemClock, config, migrate  # noqa: E402

from incidentd.auth import roles  # noqa: E402
from incidentd.auth.principals import Principal  # noqa: E402
from incidentd.console.app import console_app  # noqa: E402
from incidentd.console.sessions import COOKIE, Sessions  # noqa: E402

TARGET_P99_MS = 200.0
ROTATIONS, MEMBERS = 8, 30
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
)
ACCOUNT = servers.BenchAccount()
ADMIN = "bench-admin"


def build(url: str) -> tuple[Invoker, str]:
    """The database filled through the API; the invoker and the schedule's alias."""
    environ = {**os.environ, "INCIDENTD_CREDENTIALS": ACCOUNT.credentials, "INCIDENTD_DATABASE_URL": url}
    settings = config.load(None, environ)
    db = Database(url)
    migrate.upgrade(db)
    invoker = Invoker(db, SystemClock(), settings)
    admin = Principal.user(ACCOUNT.account_id, ADMIN, roles.policies("admin"))

    def call(service: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
        return invoker.invoke(service, name, params, admin, region=settings.region)

    call("ssm-incidents", "CreateReplicationSet", {"regions": {settings.region: {}}})
    now = time.time()
    rotation_arns = []
    for number in range(ROTATIONS):
        members = [
            call(
                "ssm-contacts",
                "CreateContact",
                {
                    "Alias": f"r{number}-p{m}",
                    "DisplayName": f"Person {number}.{m}",
                    "Type": "PERSONAL",
                    "Plan": {"Stages": []},
                },
            )["ContactArn"]
            for m in range(MEMBERS)
        ]
        arn = call(
            "ssm-contacts",
            "CreateRotation",
            {
                "Name": f"Rotation {number}",
                "ContactIds": members,
                "StartTime": now - 90 * 86_400,
                "TimeZoneId": ZONES[number],
                "Recurrence": {
                    "DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}],
                    "NumberOfOnCalls": 1,
                    "RecurrenceMultiplier": 1,
                },
            },
        )["RotationArn"]
        for day in (1, 4, 9):
            start = now + day * 86_400 + 3600
            call(
                "ssm-contacts",
                "CreateRotationOverride",
                {"RotationId": arn, "NewContactIds": [members[day]], "StartTime": start, "EndTime": start + 6 * 3600},
            )
        rotation_arns.append(arn)
    call(
        "ssm-contacts",
        "CreateContact",
        {
            "Alias": "big-schedule",
            "DisplayName": "Big schedule",
            "Type": "ONCALL_SCHEDULE",
            "Plan": {"RotationIds": rotation_arns},
        },
    )
    return invoker, "big-schedule"


async def measure(client: httpx.AsyncClient, path: str, requests: int, warmup: int) -> dict[str, float]:
    """Sequential GETs of one path: percentiles in ms and the page's size."""
    size = 0
    for _ in range(warmup):
        answer = await client.get(path)
        assert answer.status_code == 200, (answer.status_code, answer.text[:500])
        size = len(answer.content)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        answer = await client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200
    times.sort()

    def at(share: float) -> float:
        return times[min(len(times) - 1, round(share * (len(times) - 1)))]

    return {"p50": statistics.median(times), "p90": at(0.9), "p99": at(0.99), "max": times[-1], "kb": size / 1000}


async def run(invoker: Invoker, alias: str, requests: int, warmup: int) -> dict[str, dict[str, float]]:
    """The cases through the console's ASGI application."""
    app = console_app(invoker, lambda: None)
    gc.freeze()  # as `incidentd serve` does once the application is built (cli.py)
    session = Sessions(invoker.db, invoker.clock, invoker.settings.console).start(
        ADMIN, "local", ACCOUNT.account_id, "admin"
    )
    page = f"/console/on-call/schedules/{alias}?start={datetime.date.today().isoformat()}&zone=Europe/Berlin"
    cases = {
        "month view (8 x 30, Europe/Berlin)": f"{page}&view=month",
        "week view": f"{page}&view=week",
        "On call page": "/console/on-call",
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", cookies={COOKIE: session}) as client:
        return {name: await measure(client, path, requests, warmup) for name, path in cases.items()}


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per case (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests first (default 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'calendar.db'}"
        invoker, alias = build(url)
        results = asyncio.run(run(invoker, alias, args.requests, args.warmup))
        invoker.db.dispose()
    print(
        f"\n## A schedule of {ROTATIONS} rotations x {MEMBERS} members, SQLite, {args.requests} sequential requests\n"
    )
    print("| case | p50 ms | p90 ms | p99 ms | max ms | HTML KB | p99 <= 200 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, t in results.items():
        verdict = "yes" if t["p99"] <= TARGET_P99_MS else "NO"
        print(
            f"| {name} | {t['p50']:.1f} | {t['p90']:.1f} | {t['p99']:.1f} | {t['max']:.1f} "
            f"| {t['kb']:.0f} | {verdict} |"
        )


if __name__ == "__main__":
    main()
