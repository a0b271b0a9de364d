"""Where the database is decides where reads run: on this machine, on the event loop; across a network, on threads."""

from __future__ import annotations

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
