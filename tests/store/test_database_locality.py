"""Where the database is decides where reads run: on this machine, on the event loop; across a network, on threads."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import botocore.session
import pytest

from incidentd.store.db import Database


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("postgresql://postgres@127.0.0.1:5432/test", True),
        ("postgresql://postgres@localhost/test", True),
        ("postgresql://postgres@[::1]:5432/test", True),
        ("postgresql:///test", True),  # no host: libpq's default unix socket
        ("postgresql:///test?host=/var/run/postgresql", True),
        ("postgresql://postgres@10.0.0.5/test", False),
        ("postgresql://postgres@db.internal/test", False),  # a name is never resolved to guess
        ("postgresql://postgres@127.0.0.1/test?host=10.0.0.5", False),  # any remote host among several
    ],
)
def test_a_postgresql_database_is_local_only_over_loopback_or_a_unix_socket(url: str, local: bool) -> None:
    db = Database(url)  # the engine connects lazily: nothing is contacted here
    try:
        assert db.on_this_machine is local
    finally:
        db.dispose()


def test_sqlite_is_local(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'local.db'}")
    try:
        assert db.on_this_machine is True
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("service", "operation", "pages"),
    [
        ("ssm-incidents", "GetResponsePlan", False),
        ("ssm-incidents", "ListIncidentRecords", True),
        ("ssm-incidents", "GetResourcePolicies", True),  # a Get that pages is a listing
        ("ssm", "DescribeAutomationExecutions", True),
        ("ssm-incidents", "ListTagsForResource", False),  # a List with no pages is a look-up
    ],
)
def test_where_a_read_runs(database_url: str, service: str, operation: str, pages: bool) -> None:
    # SQLite: every read on the event loop. PostgreSQL on this machine: look-ups on the loop, where a round trip
    # costs less than a thread hop; listings on the pool, where a slow page does not hold up every other request.
    from incidentd import config
    from incidentd.api.invoke import Invoker
    from incidentd.clock import SystemClock
    from incidentd.server.dispatch import Dispatcher

    db = Database(database_url)
    dispatcher = Dispatcher(Invoker(db, SystemClock(), config.load(None)), {})
    op_model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    checked = SimpleNamespace(
        call=SimpleNamespace(operation=SimpleNamespace(name=operation, writes=False), op_model=op_model)
    )
    # The request is taken as checked, and running it answers with the name of the thread it ran on.
    dispatcher._check = lambda request: checked  # type: ignore[method-assign, assignment, return-value]
    dispatcher._run = lambda _checked: threading.current_thread().name  # type: ignore[method-assign, assignment, return-value]
    try:
        ran_on = asyncio.run(dispatcher.answer(SimpleNamespace(method="POST", raw_path=b"/")))  # type: ignore[arg-type]
    finally:
        db.dispose()
    on_the_loop = db.dialect == "sqlite" or not pages
    assert dispatcher.runs_on_the_loop(False, op_model) == on_the_loop
    assert ran_on.startswith("MainThread" if on_the_loop else "incidentd-request"), ran_on  # type: ignore[attr-defined]
