"""Alert storms: an ingest token beyond its rate_per_minute hears 429 with Retry-After, and other tokens don't."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from ingest_support import ACCOUNT, OTHER, incidents_of, post

from incidentd.config.sections import IngestSettings
from incidentd.config.values import ConfigError
from incidentd.ingest.rate_limit import TokenBuckets
from support import Server, wait_until

LIMITED = "ingest-token-five-a-minute-00001"
NEIGHBOUR = "ingest-token-same-account-00002"
RATE = 5


@pytest.fixture(scope="module")
def limited_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose first token may post five alerts a minute; a second token of the same account is unlimited."""
    config = f"""
[replication]
settle_seconds = 0.2

[[ingest_tokens]]
token = "{LIMITED}"
account = "{ACCOUNT.account_id}"
rate_per_minute = {RATE}

[[ingest_tokens]]
token = "{NEIGHBOUR}"
account = "{ACCOUNT.account_id}"
"""
    running = Server(own_database, tmp_path_factory.mktemp("rate-limit"), config).start()
    incidents = running.client(ACCOUNT)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    yield running
    running.stop()


def test_a_token_beyond_its_rate_hears_429_and_starts_nothing(limited_server: Server) -> None:
    incidents = limited_server.client(ACCOUNT)
    plan = f"storm-{uuid.uuid4().hex[:10]}"
    incidents.create_response_plan(name=plan, incidentTemplate={"title": "Storm", "impact": 3})
    path = f"/ingest/webhook/{plan}"

    answers = [post(limited_server, path, {"title": f"alert {n}"}, LIMITED)[0] for n in range(RATE)]
    assert answers == [201] * RATE
    status, body, headers = post(limited_server, path, {"title": "one too many"}, LIMITED)

    assert status == 429, body
    assert 1 <= int(headers["Retry-After"]) <= 60 // RATE + 1
    assert "rate" in body["message"]
    assert len(incidents_of(incidents, plan)) == RATE
    # Another token, even of the same account, has a budget of its own.
    assert post(limited_server, path, {"title": "from the neighbour"}, NEIGHBOUR)[0] == 201
    assert post(limited_server, path, {"title": "still too many"}, LIMITED)[0] == 429
    assert len(incidents_of(incidents, plan)) == RATE + 1


def test_a_wrong_token_is_still_401_not_429(limited_server: Server) -> None:
    status, _, headers = post(limited_server, "/ingest/webhook/anything", {"title": "x"}, "not-a-configured-token-0")
    assert status == 401 and "Retry-After" not in headers


@pytest.mark.parametrize("value", [0, -1, 1.5, "600", True])
def test_rate_per_minute_must_be_a_positive_integer(value: object) -> None:
    entry = {"token": LIMITED, "account": OTHER.account_id, "rate_per_minute": value}
    with pytest.raises(ConfigError, match="rate_per_minute"):
        IngestSettings.read({"ingest_tokens": [entry]})


def test_rate_per_minute_has_a_generous_default() -> None:
    (token,) = IngestSettings.read({"ingest_tokens": [{"token": LIMITED, "account": OTHER.account_id}]}).tokens
    assert token.rate_per_minute == 600


def test_a_bucket_refills_at_the_rate_and_holds_a_minute_at_most() -> None:
    now = [1000.0]
    buckets = TokenBuckets(clock=lambda: now[0])
    assert [buckets.take("a", 60) for _ in range(60)] == [0] * 60
    assert buckets.take("a", 60) == 1  # one a second: the next in a second
    now[0] += 1
    assert buckets.take("a", 60) == 0
    now[0] += 3600  # an hour idle refills a minute's worth, not an hour's
    assert [buckets.take("a", 60) for _ in range(61)].count(0) == 60
    assert buckets.take("b", 60) == 0  # each key has its own
