"""The group-commit writer: units share a transaction, yet each fails alone, and nothing is answered uncommitted."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from incidentd.store import tags
from incidentd.store.db import Database
from incidentd.store.writer import GroupCommitWriter

ACCOUNT = "111122223333"


@pytest.fixture
def sqlite_db(tmp_path):  # type: ignore[no-untyped-def]
    from incidentd.store import migrate

    db = Database(f"sqlite:///{tmp_path / 'writer.db'}")
    migrate.upgrade(db)
    yield db
    db.dispose()


def _tags(db: Database, arn: str) -> dict[str, str]:
    with db.read() as conn:
        return tags.get(conn, ACCOUNT, arn)


def test_units_submitted_together_all_commit_and_answer(sqlite_db):  # type: ignore[no-untyped-def]
    writer = GroupCommitWriter(sqlite_db)
    futures = [
        writer.submit(lambda conn, n=n: tags.put(conn, ACCOUNT, "arn:x", {f"k{n}": "v"}, new=True) or n)
        for n in range(50)
    ]
    assert [f.result(timeout=10) for f in futures] == list(range(50))
    writer.close()
    assert len(_tags(sqlite_db, "arn:x")) == 50


def test_a_failing_unit_is_undone_alone(sqlite_db):  # type: ignore[no-untyped-def]
    gate = threading.Event()
    writer = GroupCommitWriter(sqlite_db)
    # Hold the writer on a first unit so that the next three land in one batch behind it.
    writer.submit(lambda conn: gate.wait(10))

    def fails(conn: sa.Connection) -> None:
        tags.put(conn, ACCOUNT, "arn:x", {"half-done": "v"}, new=True)
        raise RuntimeError("handler failed after writing")

    before = writer.submit(lambda conn: tags.put(conn, ACCOUNT, "arn:x", {"before": "v"}, new=True))
    failing = writer.submit(fails)
    after = writer.submit(lambda conn: tags.put(conn, ACCOUNT, "arn:x", {"after": "v"}, new=True))
    gate.set()
    before.result(timeout=10)
    after.result(timeout=10)
    with pytest.raises(RuntimeError):
        failing.result(timeout=10)
    writer.close()
    assert _tags(sqlite_db, "arn:x") == {"after": "v", "before": "v"}


def test_a_constraint_violation_fails_only_its_own_unit(sqlite_db):  # type: ignore[no-untyped-def]
    writer = GroupCommitWriter(sqlite_db)
    first = writer.submit(lambda conn: tags.put(conn, ACCOUNT, "arn:y", {"k": "1"}, new=True))
    duplicate = writer.submit(lambda conn: tags.put(conn, ACCOUNT, "arn:y", {"k": "2"}, new=True))
    other = writer.submit(lambda conn: tags.put(conn, ACCOUNT, "arn:z", {"k": "3"}, new=True))
    first.result(timeout=10)
    with pytest.raises(sa.exc.IntegrityError):
        duplicate.result(timeout=10)
    other.result(timeout=10)
    writer.close()
    assert _tags(sqlite_db, "arn:y") == {"k": "1"}
    assert _tags(sqlite_db, "arn:z") == {"k": "3"}


def test_when_the_commit_fails_no_unit_is_answered_as_done(sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    writer = GroupCommitWriter(sqlite_db)
    original = sqlite_db.write

    def write_that_cannot_commit():  # type: ignore[no-untyped-def]
        import contextlib

        @contextlib.contextmanager
        def broken():  # type: ignore[no-untyped-def]
            with original() as conn:
                yield conn
                raise sa.exc.OperationalError("COMMIT", {}, Exception("database or disk is full"))

        return broken()

    monkeypatch.setattr(sqlite_db, "write", write_that_cannot_commit)
    future = writer.submit(lambda conn: tags.put(conn, ACCOUNT, "arn:w", {"k": "v"}, new=True))
    with pytest.raises(sa.exc.OperationalError):
        future.result(timeout=10)
    monkeypatch.setattr(sqlite_db, "write", original)
    writer.close()
    assert _tags(sqlite_db, "arn:w") == {}


def test_units_submitted_from_an_event_loop_are_answered_on_it(sqlite_db):  # type: ignore[no-untyped-def]
    # The ASGI application awaits its writes: the answers, a failure among them, must reach its loop.
    writer = GroupCommitWriter(sqlite_db)

    def fails(conn: sa.Connection) -> None:
        tags.put(conn, ACCOUNT, "arn:v", {"half-done": "v"}, new=True)
        raise RuntimeError("handler failed after writing")

    async def submit_and_wait() -> tuple[list[int], BaseException | None]:
        writes = [
            writer.submit_from_loop(lambda conn, n=n: tags.put(conn, ACCOUNT, "arn:v", {f"k{n}": "v"}, new=True) or n)
            for n in range(20)
        ]
        failing = writer.submit_from_loop(fails)
        answers = await asyncio.gather(*writes)
        try:
            await failing
        except RuntimeError as error:
            return answers, error
        return answers, None

    answers, error = asyncio.run(submit_and_wait())
    writer.close()
    assert answers == list(range(20))
    assert isinstance(error, RuntimeError)
    assert set(_tags(sqlite_db, "arn:v")) == {f"k{n}" for n in range(20)}
