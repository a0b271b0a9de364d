"""Seed stored incidents fast: rows copied from incidents the API made, with fresh ids, times, statuses, impacts."""

# Starting a million incidents through the API takes about twenty minutes, so the large data sets are written straight
# into the database. To be sure the rows are exactly what the API writes, they are not restated here: `capture` has
# boto3 start one incident and start-and-resolve another, reads every row those calls wrote (the incident, its timeline
# events, tags and response jobs), and turns them into templates. `rows` then stamps out copies with new UUIDs, creation
# and resolution times and impacts. `bulk.py` writes them.

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from internals import JsonText, incident_store, incidents, jobs, reading, tags, timeline_events
from servers import BenchAccount
from signing import client

OPEN_SHARE = 0.4  # enough open incidents that a status filter still fills a page of 100 at 1,000 incidents
IMPACT_WEIGHTS = {1: 5, 2: 15, 3: 30, 4: 30, 5: 20}  # 1-3 is half: the benchmark's filter keeps 20% of them
SPACING_MS = 60_000  # one incident a minute on average: a million reach back about two years

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_IMPACT = re.compile(r'"impact":[1-5]')
_DOC_COLUMNS = {"doc", "payload"}

# (table name, columns, values): values as a tuple, or as one line of COPY's text format.
Row = tuple[str, tuple[str, ...], Any]


@dataclass
class _Template:
    """The rows one API call sequence wrote, with the values that differ per incident turned into slots."""

    # (table name, columns, values): _Text for text with format fields (u0.., start, end, impact), _Slot
    # for a number that varies, anything else as it is.
    rows: list[tuple[str, tuple[str, ...], tuple[Any, ...]]]
    slots: int  # distinct UUIDs to replace
    lines: list[tuple[str, tuple[str, ...], str]]  # the same rows as format templates of COPY lines


@dataclass(frozen=True)
class _Text:
    """Text with format fields."""

    template: str


@dataclass(frozen=True)
class _Slot:
    """A number column: the impact, or a time in epoch ms (plus an offset)."""

    name: str
    offset: int = 0


def _format_template(text: str, times: dict[str, str], uuids: dict[str, int]) -> str:
    """Text as a str.format template: {uN} for the N-th UUID, {start}/{end} for times, {impact} for the impact."""
    alternatives = [_UUID.pattern, _IMPACT.pattern, *(re.escape(t) for t in times)]
    pattern = re.compile("|".join(f"(?:{a})" for a in alternatives))
    parts: list[str] = []
    at = 0
    for found in pattern.finditer(text):
        parts.append(text[at : found.start()].replace("{", "{{").replace("}", "}}"))
        value = found.group()
        if _UUID.fullmatch(value):
            parts.append(f"{{u{uuids.setdefault(value, len(uuids))}}}")
        elif _IMPACT.fullmatch(value):
            parts.append('"impact":{impact}')
        else:
            parts.append(f"{{{times[value]}}}")
        at = found.end()
    parts.append(text[at:].replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


# A response job long since run: that is what a server with a million incidents holds.
_DONE_AFTER_MS = 1000
_DONE_JOB = {"state": "done", "attempts": 1, "lease_owner": None, "lease_expires_ms": None, "last_error": None}


def _template(found: list[tuple[str, dict[str, Any]]], times_s: dict[str, float]) -> _Template:
    """Slots for every UUID, for the incident's impact and for each named time (seconds in docs, ms in columns)."""
    uuids: dict[str, int] = {}
    text_times = {json.dumps(value): name for name, value in times_s.items()}
    ms_times = {round(value * 1000): name for name, value in times_s.items()}
    rows = []
    for table, row in found:
        out: dict[str, Any] = {}
        for column, value in row.items():
            if column == "impact":
                out[column] = _Slot("impact")
            elif isinstance(value, str):
                text = _format_template(value, text_times, uuids)
                out[column] = _Text(text) if text != value.replace("{", "{{").replace("}", "}}") else value
            elif isinstance(value, int) and value in ms_times:
                out[column] = _Slot(ms_times[value])
            else:
                out[column] = value
        if table == jobs.name:
            out.update(_DONE_JOB, finished_ms=_Slot(out["run_at_ms"].name, _DONE_AFTER_MS))
        rows.append((table, tuple(out), tuple(out.values())))
    lines = [(table, columns, "\t".join(map(_copy_field, values)) + "\n") for table, columns, values in rows]
    return _Template(rows, len(uuids), lines)


def _copy_field(value: Any) -> str:
    """A value as a format template in COPY's text format; slot values (digits, UUIDs) never need escaping."""
    if value is None:
        return "\\N"
    if isinstance(value, _Slot):
        return f"{{{value.name}_{value.offset}}}"
    text = value.template if isinstance(value, _Text) else str(value).replace("{", "{{").replace("}", "}}")
    # JSON text holds no raw tabs or newlines, but may hold backslashes, which COPY reads as escapes.
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _rows_of(conn: sa.Connection, account_id: str, arn: str, request_ms: list[int]) -> list[tuple[str, dict[str, Any]]]:
    """Every row the API's requests (at request_ms) wrote for one incident, docs as the text JsonText stores."""
    to_text = JsonText()
    found: list[tuple[str, dict[str, Any]]] = []
    by_incident = (
        (incidents, incidents.c.arn),
        (timeline_events, timeline_events.c.incident_arn),
        (tags, tags.c.resource_arn),
    )
    for table, column in by_incident:
        for row in conn.execute(sa.select(table).where(table.c.account_id == account_id, column == arn)):
            # Only what the request wrote: the worker adds rows of its own later (a runbook's outcome, say).
            if table is not timeline_events or row.event_time_ms in request_ms:
                found.append((table.name, dict(row._mapping)))
    query = sa.select(jobs).where(jobs.c.account_id == account_id, jobs.c.created_ms.in_(request_ms))
    for row in conn.execute(query.order_by(jobs.c.id)):
        if row.payload.get("incidentArn") == arn:
            values = dict(row._mapping)
            del values["id"]  # the database numbers jobs
            found.append((jobs.name, values))
    for _, values in found:
        for column in _DOC_COLUMNS & set(values):
            values[column] = to_text.process_bind_param(values[column], None)
    return found


@dataclass
class Templates:
    """An open incident's rows and a resolved incident's rows."""

    open: _Template
    resolved: _Template


def capture(endpoint: str, database_url: str, account: BenchAccount, plan_arn: str) -> Templates:
    """Have the API write one open and one resolved incident, and template their rows."""
    api = client(endpoint, account)
    opened = api.start_incident(responsePlanArn=plan_arn, title="bench incident")["incidentRecordArn"]
    resolved = api.start_incident(responsePlanArn=plan_arn, title="bench incident")["incidentRecordArn"]
    time.sleep(0.01)  # the start and the resolution must have different times to become different slots
    api.update_incident_record(arn=resolved, status="RESOLVED")
    with reading(database_url) as conn:
        open_doc = incident_store.get(conn, account.account_id, opened) or {}
        resolved_doc = incident_store.get(conn, account.account_id, resolved) or {}
        open_times = {"start": open_doc["creationTime"]}
        resolved_times = {"start": resolved_doc["creationTime"], "end": resolved_doc["resolvedTime"]}
        open_rows = _rows_of(conn, account.account_id, opened, _ms(open_times))
        resolved_rows = _rows_of(conn, account.account_id, resolved, _ms(resolved_times))
    return Templates(open=_template(open_rows, open_times), resolved=_template(resolved_rows, resolved_times))


def _ms(times_s: dict[str, float]) -> list[int]:
    return [round(value * 1000) for value in times_s.values()]


def rows(templates: Templates, count: int, newest_ms: int, seed: int, copy_lines: bool = False) -> Iterator[Row]:
    """Rows for count incidents, newest first from newest_ms back, about SPACING_MS apart."""
    # With copy_lines each row's values come as one line for PostgreSQL's COPY: formatting the whole line in one call is
    # several times quicker than escaping value by value.
    rng = random.Random(seed)
    impacts, weights = list(IMPACT_WEIGHTS), list(IMPACT_WEIGHTS.values())
    at = newest_ms
    for _ in range(count):
        at -= rng.randint(1, 2 * SPACING_MS)
        is_open = rng.random() < OPEN_SHARE
        template = templates.open if is_open else templates.resolved
        numbers = {
            "start": at,
            "end": at + rng.randint(600_000, 172_800_000),
            "impact": rng.choices(impacts, weights)[0],
        }
        # Text fields: times as the float the API's clock would have stored, in JSON.
        fields = {name: json.dumps(value / 1000) for name, value in numbers.items() if name != "impact"}
        fields["impact"] = str(numbers["impact"])
        for n in range(template.slots):
            fields[f"u{n}"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if copy_lines:
            for name, value in numbers.items():
                fields[f"{name}_0"] = str(value)
                fields[f"{name}_{_DONE_AFTER_MS}"] = str(value + _DONE_AFTER_MS)
            for table, columns, line in template.lines:
                yield table, columns, line.format_map(fields)
            continue
        for table, columns, values in template.rows:
            # Inline rather than a helper per value: this runs ten million times for a million incidents.
            yield (
                table,
                columns,
                tuple(
                    v.template.format_map(fields)
                    if type(v) is _Text
                    else numbers[v.name] + v.offset
                    if type(v) is _Slot
                    else v
                    for v in values
                ),
            )
