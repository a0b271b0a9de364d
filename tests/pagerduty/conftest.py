"""Fixtures for the PagerDuty integration: a PagerDuty stand-in on loopback and a server that opens incidents in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pagerduty_support import server_config
from standin import PagerDutyStandIn

from support import Server


@pytest.fixture(scope="module")
def pagerduty() -> Iterator[PagerDutyStandIn]:
    """A running PagerDuty stand-in."""
    standin = PagerDutyStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def pd_server(
    own_database: str, pagerduty: PagerDutyStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server of its own (its worker talks to the stand-in), on a database no other server uses."""
    running = Server(own_database, tmp_path_factory.mktemp("pagerduty"), server_config(pagerduty)).start()
    yield running
    running.stop()
