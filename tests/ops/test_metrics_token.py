"""/metrics behind an optional bearer token, and a /readyz that a flood of probes can't turn into database load."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from ops_support import Reply, get, log_lines
from prometheus_client.parser import text_string_to_metric_families

from incidentd import config
from support import Server

TOKEN = "metrics-scraper-token-0123456789"


def fetch(server: Server, path: str, headers: dict[str, str]) -> tuple[Reply, http.client.HTTPResponse]:
    """GET a plain endpoint with headers; the reply and the response (for its headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.getheader("content-type", ""), response.read()), response
    finally:
        connection.close()


@pytest.fixture(scope="module", params=["file", "environment"])
def guarded_server(
    request: pytest.FixtureRequest, own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server whose /metrics wants the token, set in the config file or in INCIDENTD_METRICS_TOKEN."""
    folder = tmp_path_factory.mktemp("metrics-token")
    if request.param == "file":
        running = Server(own_database, folder, f'[metrics]\ntoken = "{TOKEN}"\n')
    else:
        running = Server(own_database, folder, extra_env={"INCIDENTD_METRICS_TOKEN": TOKEN})
    running.start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
def test_metrics_without_the_token_is_401_with_a_challenge(guarded_server: Server, authorization: str | None) -> None:
    reply, response = fetch(
        guarded_server, "/metrics", {} if authorization is None else {"Authorization": authorization}
    )
    assert reply.status == 401, reply.body
    assert (response.getheader("www-authenticate") or "").startswith("Bearer ")
    assert b"incidentd_" not in reply.body


def test_metrics_with_the_token_is_served(guarded_server: Server) -> None:
    for scheme in ("Bearer", "bearer"):
        reply, _ = fetch(guarded_server, "/metrics", {"Authorization": f"{scheme} {TOKEN}"})
        assert reply.status == 200
        names = {family.name for family in text_string_to_metric_families(reply.body.decode())}
        assert "incidentd_database_up" in names


def test_a_non_ascii_authorization_header_is_a_plain_401(guarded_server: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", guarded_server.port, timeout=10)
    try:
        connection.putrequest("GET", "/metrics")
        connection.putheader("Authorization", "Bearer t\xe9ken".encode("latin-1"))
        connection.endheaders()
        assert connection.getresponse().status == 401
    finally:
        connection.close()


def test_healthz_and_readyz_need_no_token(guarded_server: Server) -> None:
    assert get(guarded_server, "/healthz").status == 200
    assert get(guarded_server, "/readyz").status == 200


@pytest.fixture(scope="module")
def debug_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without a worker that logs JSON at debug level, where each readiness probe says so."""
    env = {"INCIDENTD_LOG_FORMAT": "json", "INCIDENTD_LOG_LEVEL": "debug"}
    running = Server(own_database, tmp_path_factory.mktemp("readyz"), extra_env=env, worker=False).start()
    yield running
    running.stop()


def test_a_flood_of_readyz_probes_the_database_a_few_times_a_second(debug_server: Server) -> None:
    def probes() -> int:
        return sum(1 for line in log_lines(debug_server) if line["message"].startswith("readiness probe"))

    before = probes()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: get(debug_server, "/readyz").status, range(400)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 400
    made = probes() - before
    # At most 5 a second, in every second the flood touched.
    assert 1 <= made <= 5 * (elapsed + 2), f"{made} database probes for 400 /readyz in {elapsed:.1f} s"


@pytest.mark.parametrize("token", ["", "short", " " + TOKEN, TOKEN + "\n", "tøken-" + TOKEN, 12345678901234567])
def test_a_token_that_protects_nothing_stops_the_server_at_start(token: object) -> None:
    with pytest.raises(config.ConfigError, match=r"\[metrics\] token"):
        config.from_toml({"metrics": {"token": token}})


def test_the_environment_sets_the_token_over_the_file() -> None:
    assert config.from_toml({}).metrics.token is None
    settings = config.from_toml({"metrics": {"token": TOKEN}}, {"INCIDENTD_METRICS_TOKEN": TOKEN + "-env"})
    assert settings.metrics.token == TOKEN + "-env"
    with pytest.raises(config.ConfigError, match="unknown key"):
        config.from_toml({"metrics": {"tokens": TOKEN}})
