"""Console fixtures: the session's server serves the console (it is on by default); users are made in its database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_support import OPEN_CLIENTS, add_user

from support import Account, Server


@pytest.fixture
def responder(server: Server, account: Account) -> str:
    """A responder of the test's account; their user name (the password is console_support.PASSWORD)."""
    return add_user(server.database_url, account.account_id, "responder")


@pytest.fixture
def viewer(server: Server, account: Account) -> str:
    """A viewer of the test's account."""
    return add_user(server.database_url, account.account_id, "viewer")


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Close the HTTP clients a test opened (an open socket at exit is an error under the suite's warnings)."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()
