"""Fixtures for the ssm slice: boto3 ssm clients of fresh accounts."""

from __future__ import annotations

import pytest

from support import Account, Server


@pytest.fixture
def ssm(server: Server, account: Account):  # type: ignore[no-untyped-def]
    """A boto3 ssm client for the test's account; ssm needs no replication set."""
    return server.client(account, "ssm")


@pytest.fixture
def other_ssm(server: Server, other_account: Account):  # type: ignore[no-untyped-def]
    """An ssm client of a second account."""
    return server.client(other_account, "ssm")
