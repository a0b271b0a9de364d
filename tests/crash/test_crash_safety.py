"""SIGKILL the server again and again under concurrent writers: no acknowledged write, token or job goes astray."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from incidentd.domain import response
from support import Account, Server, wait_until

KILLS = 10
WRITERS = 4
TOPIC = "arn:aws:sns:us-east-1:{account}:crash-topic"
# Each incident's response: one RESPOND job whose parts are two engagements, the chat channel and one target.
EXPECTED_PARTS = {response.ENGAGE: 2, response.CHAT: 1, response.NOTIFY: 1}
CONFIG = """
[replication]
settle_seconds = 0.2
"""


class TruncatedAnswer(Exception):
    """The answer's body is shorter than its Content-Length: the server died between writing the two."""


def _refuse_truncated(response_dict: dict[str, Any], **_: Any) -> None:
    # uvicorn writes an answer's headers and its body with two send()s, and a SIGKILL can land between them.
    # botocore does not check the length and would hand back "200, no members" as if it were the answer.
    expected = response_dict["headers"].get("content-length")
    if expected is not None and int(expected) != len(response_dict["body"]):
        raise TruncatedAnswer(f"{len(response_dict['body'])} of {expected} bytes")


_DOWN = (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, TruncatedAnswer)


def _until_acknowledged(call: Any, **params: Any) -> dict[str, Any]:
    """Retry one request with the same parameters (and client token) until the server answers it."""
    while True:
        try:
            return dict(call(**params))
        except _DOWN:
            time.sleep(0.1)  # the server is down or was killed mid-request: ask again, as an SDK's retry does
        except ClientError as error:
            if error.response["ResponseMetadata"].get("HTTPStatusCode", 0) < 500:
                raise
            raise AssertionError(f"a 5xx while recovering: {error}") from error


class Writers:
    """Threads that start incidents and create plans with client tokens, keeping what was acknowledged."""

    def __init__(self, server: Server, account: Account, plan_arn: str) -> None:
        self.server, self.account, self.plan_arn = server, account, plan_arn
        self.incidents: dict[str, str] = {}  # clientToken -> the incident ARN the server acknowledged
        self.plans: dict[str, str] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []

    def run(self, seed: int) -> None:
        """Write until stopped; every write is retried until acknowledged."""
        rng = random.Random(seed)
        client = self.server.client(self.account, connect_timeout=1, read_timeout=5)
        client.meta.events.register("before-parse.ssm-incidents.*", _refuse_truncated)
        try:
            while not self.stop.is_set():
                token = str(uuid.uuid4())
                if rng.random() < 0.8:
                    answer = _until_acknowledged(
                        client.start_incident, responsePlanArn=self.plan_arn, clientToken=token, title=f"crash {token}"
                    )
                    with self.lock:
                        self.incidents[token] = answer["incidentRecordArn"]
                else:
                    name = f"plan-{token[:8]}"
                    template = {"title": name, "impact": 4}
                    answer = _until_acknowledged(
                        client.create_response_plan, name=name, clientToken=token, incidentTemplate=template
                    )
                    with self.lock:
                        self.plans[token] = answer["arn"]
        except BaseException as exc:  # noqa: BLE001 (reported by the test's thread)
            self.errors.append(exc)


@pytest.mark.slow
def test_repeated_sigkill_loses_no_acknowledged_write_and_doubles_nothing(
    own_database: str, account: Account, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = Server(own_database, tmp_path_factory.mktemp("crash"), CONFIG).start()
    try:
        incidents = server.client(account)
        arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
        wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
        topic = TOPIC.format(account=account.account_id)
        contact = f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:contact/"
        plan_arn = incidents.create_response_plan(
            name="crash-plan",
            incidentTemplate={"title": "crash", "impact": 2, "notificationTargets": [{"snsTopicArn": topic}]},
            chatChannel={"chatbotSns": [topic]},
            engagements=[contact + "primary", contact + "secondary"],
        )["arn"]

        writers = Writers(server, account, plan_arn)
        threads = [threading.Thread(target=writers.run, args=(seed,)) for seed in range(WRITERS)]
        for thread in threads:
            thread.start()
        rng = random.Random(0)
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.5, 1.5))  # at a random moment of the writers' work
            server.stop(kill=True)
            server.start()
        writers.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not writers.errors, writers.errors
        assert len(writers.incidents) > 50, len(writers.incidents)

        # Every acknowledged incident and plan is there, and each token made exactly one.
        stored = _all_incident_arns(incidents)
        assert sorted(stored) == sorted(writers.incidents.values())
        plan_arns = set(_all_plan_arns(incidents))
        assert set(writers.plans.values()) <= plan_arns
        assert len(plan_arns) == len(writers.plans) + 1  # and no plan twice: the names differ by token

        # Each incident's response was recorded once: no job lost, none doubled.
        jobs = _response_jobs(own_database, account.account_id)
        assert set(jobs) == set(stored)
        for incident_arn, (kinds, parts) in jobs.items():
            assert kinds == Counter({response.RESPOND: 1}), incident_arn
            assert parts == Counter(EXPECTED_PARTS), incident_arn
    finally:
        server.stop()


def _all_incident_arns(incidents: Any) -> list[str]:
    pages = incidents.get_paginator("list_incident_records").paginate()
    return [summary["arn"] for page in pages for summary in page["incidentRecordSummaries"]]


def _all_plan_arns(incidents: Any) -> list[str]:
    pages = incidents.get_paginator("list_response_plans").paginate()
    return [summary["arn"] for page in pages for summary in page["responsePlanSummaries"]]


def _response_jobs(database_url: str, account_id: str) -> dict[str, tuple[Counter[str], Counter[str]]]:
    """For each incident, how many response jobs of each kind the job table holds (any state), and their parts."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT kind, payload FROM jobs WHERE account_id = :account AND kind LIKE 'response.%'"),
                {"account": account_id},
            ).all()
    finally:
        engine.dispose()
    found: dict[str, tuple[Counter[str], Counter[str]]] = {}
    for kind, payload in rows:
        document = payload if isinstance(payload, dict) else json.loads(payload)
        kinds, parts = found.setdefault(document["incidentArn"], (Counter(), Counter()))
        kinds[kind] += 1
        parts.update(part_kind for part_kind, _ in document.get("parts", []))
    return found
