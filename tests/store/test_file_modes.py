"""The SQLite database holds every account's incidents and phone numbers: its files are for the owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import Account, Server


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (022), under which files are readable by every local user unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_folder_are_the_owners_alone(
    tmp_path: Path, account: Account, loose_umask: None
) -> None:
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    folder = existing / "data" / "incidentd"
    database = folder / "incidentd.db"
    server = Server(f"sqlite:///{database}", tmp_path).start()
    try:
        server.client(account).create_replication_set(regions={"us-east-1": {}})
        files = [
            database,
            folder / "incidentd.db-wal",
            folder / "incidentd.db-shm",
            folder / "incidentd.db-writer.lock",
        ]
        assert {path.name: oct(mode(path)) for path in files} == {path.name: "0o600" for path in files}
        assert oct(mode(folder)) == "0o700"
        assert oct(mode(folder.parent)) == "0o700"  # created for the database too
        assert oct(mode(existing)) == "0o755"  # a folder incidentd did not create keeps its mode
    finally:
        server.stop()


def test_an_existing_folder_and_database_keep_their_modes(tmp_path: Path, account: Account, loose_umask: None) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o750)
    database = folder / "incidentd.db"
    first = Server(f"sqlite:///{database}", tmp_path).start()
    first.stop()
    database.chmod(0o640)  # the operator lets a backup group read it
    server = Server(f"sqlite:///{database}", tmp_path).start()
    try:
        server.client(account).create_replication_set(regions={"us-east-1": {}})
        assert oct(mode(folder)) == "0o750"
        assert oct(mode(database)) == "0o640"
    finally:
        server.stop()
