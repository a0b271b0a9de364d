"""Nothing an unauthenticated request sends is kept: a storm of refused requests leaves the server's memory as it was.

Each test starts a server of its own, so that no other test's requests move its resident set size.
"""

from __future__ import annotations

import datetime
import http.client
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support import Server
from support import test_account as nth_account

REQUESTS = 1200
QUERY_BYTES = 60 * 1024
# A few MB of room for what the allocator keeps around after a burst of large requests (it measured under 1 MB);
# what the caches kept was 1 GB.
ALLOWED_GROWTH_MB = 8


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server on a SQLite file of its own, serving nobody else."""
    server = Server(f"sqlite:///{tmp_path / 'incidentd.db'}", tmp_path, worker=False).start()
    yield server
    server.stop()


def rss_mb(server: Server) -> float:
    """The server process's resident set size, in MB."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def distinct_query(index: int) -> str:
    """About QUERY_BYTES of short parameters, different for every index: the costliest to parse and keep."""
    pairs = []
    size = 0
    n = 0
    while size < QUERY_BYTES:
        pair = f"p{index}x{n}=v"
        pairs.append(pair)
        size += len(pair) + 1
        n += 1
    return "&".join(pairs)


def send_all(server: Server, request: Callable[[int], tuple[str, dict[str, str]]], indexes: range) -> list[int]:
    """Send one request per index over one keep-alive connection; the statuses."""
    statuses = []
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for index in indexes:
            target, headers = request(index)
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()
    return statuses


def growth_mb(server: Server, request: Callable[[int], tuple[str, dict[str, str]]]) -> float:
    """How much the server's RSS grew over REQUESTS requests, after a warm-up of a few more of the same kind."""
    send_all(server, request, range(REQUESTS, REQUESTS + 20))  # first-use costs (imports, buffers) are not counted
    before = rss_mb(server)
    statuses = send_all(server, request, range(REQUESTS))
    after = rss_mb(server)
    assert set(statuses) == {403}, sorted(set(statuses))
    return after - before


def test_unsigned_requests_with_large_distinct_queries_are_not_kept(own_server):
    def unsigned(index: int) -> tuple[str, dict[str, str]]:
        return f"/getResponsePlan?{distinct_query(index)}", {}

    assert growth_mb(own_server, unsigned) < ALLOWED_GROWTH_MB


@pytest.mark.parametrize("large", ["region", "signed_headers", "query"])
def test_requests_with_a_known_key_but_no_valid_signature_are_not_kept(own_server, large):
    # The access key id is no secret: a request naming it still fails its signature, and whatever it sent large and
    # distinct (the credential scope's region, the signed-header list, the query) must not stay behind either.
    key = nth_account(1).access_key_id
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")

    def forged(index: int) -> tuple[str, dict[str, str]]:
        region = f"r{index}-" + "x" * 60_000 if large == "region" else "us-east-1"
        signed = "host;x-amz-date"
        if large == "signed_headers":
            signed += "".join(f";x-h{index}-{n}" for n in range(4500))
        query = distinct_query(index) if large == "query" else "arn=x"
        authorization = (
            f"AWS4-HMAC-SHA256 Credential={key}/{stamp[:8]}/{region}/ssm-incidents/aws4_request, "
            f"SignedHeaders={signed}, Signature={'0' * 64}"
        )
        return f"/getResponsePlan?{query}", {"authorization": authorization, "x-amz-date": stamp}

    assert growth_mb(own_server, forged) < ALLOWED_GROWTH_MB
