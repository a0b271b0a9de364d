"""Fixtures for running automations on a real server."""

from __future__ import annotations

import pytest

from support import Account, Server


@pytest.fixture
def ssm(server: Server, account: Account):  # type: ignore[no-untyped-def]
    """A boto3 ssm client for the test's account."""
    return server.client(account, "ssm")
