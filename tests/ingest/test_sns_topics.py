"""SNS ingest: a token that names its topic ARNs refuses validly signed messages of any other topic."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ingest_support import ACCOUNT, incidents_of, payload, post
from sns_signer import TOPIC, SnsSigner, alarm_message

from incidentd.config.sections import IngestSettings
from incidentd.config.values import ConfigError
from support import Server, wait_until

PINNED = "ingest-token-pinned-to-a-topic-01"
OPEN = "ingest-token-any-signed-topic-002"
# Someone else's topic: SNS signs its messages just as validly.
FOREIGN_TOPIC = "arn:aws:sns:us-east-1:999988887777:not-ours"


@pytest.fixture(scope="module")
def topic_server(own_database: str, signer: SnsSigner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a token pinned to TOPIC and one that names no topics, both of one onboarded account."""
    config = f"""
[replication]
settle_seconds = 0.2

[ingest]
sns_cert_url_prefixes = ["{signer.url}"]

[[ingest_tokens]]
token = "{PINNED}"
account = "{ACCOUNT.account_id}"
topics = ["{TOPIC}"]

[[ingest_tokens]]
token = "{OPEN}"
account = "{ACCOUNT.account_id}"
"""
    running = Server(own_database, tmp_path_factory.mktemp("sns-topics"), config).start()
    incidents = running.client(ACCOUNT)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    yield running
    running.stop()


def new_plan(server: Server) -> str:
    name = f"alarms-{uuid.uuid4().hex[:10]}"
    server.client(ACCOUNT).create_response_plan(name=name, incidentTemplate={"title": "AWS", "impact": 2})
    return name


def from_topic(signer: SnsSigner, message: dict[str, Any], topic: str) -> dict[str, Any]:
    """The message as another topic would send it, validly signed."""
    moved = {k: v for k, v in message.items() if k != "Signature"}
    moved["TopicArn"] = topic
    if "SubscribeURL" in moved:
        moved["SubscribeURL"] = moved["SubscribeURL"].replace(urllib.parse.quote(TOPIC, safe=""), topic)
    return signer.sign(moved)


def sns_post(server: Server, plan: str, message: dict[str, Any], token: str) -> tuple[int, dict[str, Any], Any]:
    headers = {"x-amz-sns-message-type": message["Type"], "x-amz-sns-topic-arn": message["TopicArn"]}
    return post(server, f"/ingest/sns/{plan}", json.dumps(message).encode(), token, "Basic", headers)


def alarm(signer: SnsSigner) -> dict[str, Any]:
    return signer.notification(alarm_message(payload("cloudwatch_alarm"), "ALARM", f"alarm-{uuid.uuid4().hex[:8]}"))


def test_an_alarm_from_an_unlisted_topic_is_refused_and_starts_nothing(topic_server: Server, signer: SnsSigner) -> None:
    plan = new_plan(topic_server)

    status, answer, _ = sns_post(topic_server, plan, from_topic(signer, alarm(signer), FOREIGN_TOPIC), PINNED)

    assert status == 403, answer
    assert FOREIGN_TOPIC in answer["message"]
    assert incidents_of(topic_server.client(ACCOUNT), plan) == []


def test_a_subscription_to_an_unlisted_topic_is_not_confirmed(topic_server: Server, signer: SnsSigner) -> None:
    plan = new_plan(topic_server)
    before = len(signer.confirmations)

    status, _, _ = sns_post(topic_server, plan, from_topic(signer, signer.confirmation(), FOREIGN_TOPIC), PINNED)

    assert status == 403
    assert len(signer.confirmations) == before


def test_the_listed_topic_still_confirms_and_opens(topic_server: Server, signer: SnsSigner) -> None:
    plan = new_plan(topic_server)

    confirmed = sns_post(topic_server, plan, signer.confirmation(), PINNED)
    opened = sns_post(topic_server, plan, alarm(signer), PINNED)

    assert confirmed[:2] == (200, {"confirmed": True, "topicArn": TOPIC})
    assert opened[0] == 201, opened
    assert len(incidents_of(topic_server.client(ACCOUNT), plan)) == 1


def test_a_token_without_topics_takes_any_signed_topic(topic_server: Server, signer: SnsSigner) -> None:
    plan = new_plan(topic_server)
    status, answer, _ = sns_post(topic_server, plan, from_topic(signer, alarm(signer), FOREIGN_TOPIC), OPEN)
    assert status == 201, answer


@pytest.mark.parametrize("topics", ["arn:aws:sns:us-east-1:111122223333:t", [], ["not-an-arn"], [TOPIC + ":sub"]])
def test_topics_must_be_a_list_of_topic_arns(topics: object) -> None:
    entry = {"token": PINNED, "account": ACCOUNT.account_id, "topics": topics}
    with pytest.raises(ConfigError, match="topics"):
        IngestSettings.read({"ingest_tokens": [entry]})
