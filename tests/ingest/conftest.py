"""Fixtures for alert ingestion: an SNS signing stand-in and a server with ingest tokens, both accounts onboarded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ingest_support import ACCOUNT, OTHER, server_config
from sns_signer import SnsSigner

from support import Server, wait_until


@pytest.fixture(scope="module")
def signer() -> Iterator[SnsSigner]:
    """SNS's certificate and SubscribeURL on loopback."""
    running = SnsSigner().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def ingest_server(own_database: str, signer: SnsSigner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with ingest tokens for two onboarded accounts, on a database of its own."""
    running = Server(own_database, tmp_path_factory.mktemp("ingest"), server_config(signer.url)).start()
    for account in (ACCOUNT, OTHER):
        incidents = running.client(account)
        arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
        wait_until(lambda c=incidents, a=arn: c.get_replication_set(arn=a)["replicationSet"]["status"] == "ACTIVE")
    yield running
    running.stop()


@pytest.fixture
def incidents(ingest_server: Server):  # type: ignore[no-untyped-def]
    """An ssm-incidents client of the account the alerts open incidents in."""
    return ingest_server.client(ACCOUNT)
