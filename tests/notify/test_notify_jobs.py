"""The notify jobs in-process on a fake clock: retry timing, giving up, and news that no longer applies."""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from receivers import Recorder

from incidentd import config
from incidentd.api.invoke import Invoker
from incidentd.auth.principals import Principal
from incidentd.clock import FakeClock
from incidentd.engine.jobs.notify import DELIVER
from incidentd.engine.worker import Worker
from incidentd.protocol import model
from incidentd.store import queue
from incidentd.store.db import Database

START_MS = 1_800_000_000_000
_accounts = itertools.count(200_000_000_001)


class Node:
    """One account on a fake clock, with a worker whose config subscribes the recorder to the account's topic."""

    def __init__(self, db: Database, recorder: Recorder, subscribers: str | None = None) -> None:
        self.db = db
        self.recorder = recorder
        self.account = str(next(_accounts))
        self.topic = f"arn:aws:sns:us-east-1:{self.account}:chat"
        self.clock = FakeClock(START_MS)
        self.subscribers = subscribers or f'{{ protocol = "mattermost", endpoint = "{self.url("mm")}" }}'
        self.worker = self.new_worker(self.subscribers)

    def url(self, name: str) -> str:
        """A recorder URL of this account."""
        return f"{self.recorder.url}{self.path(name)}"

    def path(self, name: str) -> str:
        """A recorder path of this account."""
        return f"/{self.account}/{name}"

    def new_worker(self, subscribers: str) -> Worker:
        """A worker whose config gives this account's topic these subscribers (TOML inline tables)."""
        text = f"""
[notifications]
retry_seconds = 10
retry_for_seconds = 60
timeout_seconds = 5

[[sns_topics]]
arn = "{self.topic}"
subscribers = [{subscribers}]
"""
        self.invoker = Invoker(self.db, self.clock, config.from_toml(tomllib.loads(text)))
        return Worker(self.db, self.clock, self.invoker.invoke, self.invoker.settings)

    def call(self, name: str, /, **params: Any) -> dict[str, Any]:
        """Run one ssm-incidents operation as the account, through invoke, in one transaction."""
        principal = Principal.user(self.account, "test")
        return self.invoker.invoke(model.INCIDENTS, name, params, principal, region="us-east-1")

    def start(self) -> str:
        """Onboard, make a plan with the chat topic and start an incident; its ARN."""
        self.call("CreateReplicationSet", regions={"us-east-1": {}})
        plan = self.call(
            "CreateResponsePlan",
            name="plan",
            incidentTemplate={"title": "Queue backlog", "impact": 3},
            chatChannel={"chatbotSns": [self.topic]},
        )["arn"]
        return str(self.call("StartIncident", responsePlanArn=plan)["incidentRecordArn"])

    def run(self, seconds: float = 0) -> int:
        """Move the clock and run what is due."""
        self.clock.advance(int(seconds * 1000))
        return self.worker.run_once()

    def pending_deliveries(self) -> int:
        """Delivery jobs of this account still queued."""
        with self.db.read() as conn:
            rows = conn.execute(
                queue.t.select().where(
                    queue.t.c.account_id == self.account, queue.t.c.kind == DELIVER, queue.t.c.state == queue.QUEUED
                )
            )
            return len(rows.fetchall())


@pytest.fixture(scope="module")
def db(own_database: str) -> Iterator[Database]:
    """The module's own database."""
    database = Database(own_database)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def recorder(own_database: str) -> Iterator[Recorder]:
    """A loopback HTTP receiver."""
    running = Recorder().start()
    yield running
    running.stop()


def test_temporary_failures_back_off_then_give_up_after_retry_for_seconds(db: Database, recorder: Recorder) -> None:
    node = Node(db, recorder)
    recorder.fail(node.path("mm"), 100, status=503)
    node.start()
    node.run()
    assert len(recorder.to(node.path("mm"))) == 1
    node.run(9.9)
    assert len(recorder.to(node.path("mm"))) == 1  # 10 s after the first attempt, not before
    node.run(0.1)
    assert len(recorder.to(node.path("mm"))) == 2
    node.run(20)  # then 20 s
    assert len(recorder.to(node.path("mm"))) == 3
    # The next try would be 40 s later, 70 s after the first: past retry_for_seconds = 60, so none is queued.
    assert node.pending_deliveries() == 0
    node.run(600)
    assert len(recorder.to(node.path("mm"))) == 3


def test_429_is_worth_another_try(db: Database, recorder: Recorder) -> None:
    node = Node(db, recorder)
    recorder.fail(node.path("mm"), 1, status=429)
    node.start()
    node.run()
    node.run(10)
    assert [r.status for r in recorder.to(node.path("mm"))] == [429, 200]


def test_a_deleted_incident_is_not_announced(db: Database, recorder: Recorder) -> None:
    node = Node(db, recorder)
    arn = node.start()
    node.call("DeleteIncidentRecord", arn=arn)
    node.run()
    assert recorder.to(node.path("mm")) == []


def test_a_deleted_note_is_not_announced(db: Database, recorder: Recorder) -> None:
    node = Node(db, recorder)
    arn = node.start()
    node.run()
    event = node.call(
        "CreateTimelineEvent", incidentRecordArn=arn, eventTime=START_MS / 1000, eventType="Note", eventData='"hi"'
    )["eventId"]
    node.call("DeleteTimelineEvent", incidentRecordArn=arn, eventId=event)
    node.run()
    assert len(recorder.to(node.path("mm"))) == 1  # the start only


def test_a_retry_for_a_subscriber_removed_from_the_config_is_dropped(db: Database, recorder: Recorder) -> None:
    node = Node(db, recorder)
    slack = f'{{ protocol = "slack", endpoint = "{node.url("slack")}" }}'
    node.worker = node.new_worker(f"{node.subscribers}, {slack}")
    recorder.fail(node.path("mm"), 1, status=502)
    node.start()
    node.run()
    assert [r.status for r in recorder.to(node.path("mm"))] == [502]
    node.worker = node.new_worker(slack)  # restarted without the Mattermost subscriber
    node.run(10)
    assert [r.status for r in recorder.to(node.path("mm"))] == [502]
    assert len(recorder.delivered(node.path("slack"))) == 1
    assert node.pending_deliveries() == 0
