"""Fixtures: a real incidentd server per database kind, a fresh account per test, boto3 clients."""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator

import pytest

from support import (
    Account,
    Server,
    create_postgres_database,
    drop_postgres_database,
    test_account,
    wait_until,
)

# Test servers settle replication sets quickly and allow deleting a region after 2 s instead of 24 h,
# so that both the refusal and the success can be tested.
TEST_CONFIG = """
[replication]
settle_seconds = 0.2
region_min_age_hours = 0.00056
"""

DATABASES = os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database of the kind the test is parametrised with."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'incidentd.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that touches a server once on SQLite and once on PostgreSQL."""
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", DATABASES, indirect=True, scope="session")


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One incidentd server per database kind, shared by the session."""
    running = Server(database_url, tmp_path_factory.mktemp("server"), TEST_CONFIG).start()
    yield running
    running.stop()


_accounts = itertools.count(1)


@pytest.fixture
def account() -> Account:
    """An account no other test in this process has used: tests never see each other's data."""
    return test_account(next(_accounts))


@pytest.fixture
def other_account() -> Account:
    """A second fresh account, for tenancy tests."""
    return test_account(next(_accounts))


@pytest.fixture
def incidents(server: Server, account: Account):  # type: ignore[no-untyped-def]
    """A boto3 ssm-incidents client for the test's account."""
    return server.client(account)


@pytest.fixture
def replication_set(incidents) -> str:  # type: ignore[no-untyped-def]
    """Onboard the test's account and wait until its replication set is ACTIVE; its ARN."""
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    return arn


@pytest.fixture
def response_plan(incidents, replication_set: str) -> str:  # type: ignore[no-untyped-def]
    """A simple response plan in the onboarded account; its ARN."""
    return incidents.create_response_plan(
        name="test-plan", displayName="Test plan", incidentTemplate={"title": "Test incident", "impact": 3}
    )["arn"]


@pytest.fixture(scope="module", params=DATABASES)
def own_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database no server uses, migrated to the newest schema, for store and engine tests; its URL."""
    from incidentd.store import migrate
    from incidentd.store.db import Database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('own') / 'incidentd.db'}"
    else:
        url = create_postgres_database()
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    if request.param != "sqlite":
        drop_postgres_database(url)


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """Undo the logging set-up of a `cli.main` run in this process: its handler writes to the test's captured
    stderr, which is closed once the test ends, and a mail sink's thread logging later would hit the closed file."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    if root.handlers != handlers or root.level != level:
        root.handlers[:] = handlers
        root.setLevel(level)
