"""Helpers of the operability tests: plain GETs, scrapes parsed with prometheus_client, database surgery."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from incidentd.store.db import Database
from support import Server


@dataclass(frozen=True)
class Reply:
    """A plain endpoint's answer."""

    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def get(server: Server, path: str, timeout: float = 10) -> Reply:
    """GET a plain endpoint of a server."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Reply(response.status, response.getheader("content-type", ""), response.read())
    finally:
        connection.close()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: Server) -> Samples:
    """Every sample of the server's /metrics, keyed by name and labels; parsing fails on invalid exposition text."""
    reply = get(server, "/metrics")
    assert reply.status == 200
    assert reply.content_type.startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(reply.body.decode("utf-8")):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value, 0 when the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def execute(database_url: str, statement: str) -> None:
    """Run one statement against a server's database from outside it."""
    db = Database(database_url)
    try:
        with db.write() as conn:
            conn.execute(sa.text(statement))
    finally:
        db.dispose()


def scalar(database_url: str, statement: str) -> Any:
    """One value read from a server's database from outside it."""
    db = Database(database_url)
    try:
        with db.read() as conn:
            return conn.execute(sa.text(statement)).scalar_one()
    finally:
        db.dispose()


def log_lines(server: Server) -> list[dict[str, Any]]:
    """The server's log so far, one JSON object per line (every line must be JSON)."""
    path = Path(server.workdir) / f"server-{server.port}.log"
    server.log.flush()
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
