"""The group-commit writer: units share a transaction, yet each fails alone, and nothing is answered uncommitted."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from incidentd.server.writer import GroupCommitWriter
from incidentd.store import tags
from incidentd.store.db import Database

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


def _answers(writer: GroupCommitWriter, units: list, before_waiting=lambda: None) -> list:  # type: ignore[type-arg]
    """Submit the units from an event loop, as the application does; each one's result, or the exception it raised."""

    async def submit_and_wait() -> list:  # type: ignore[type-arg]
        futures = [writer.submit(unit) for unit in units]
        before_waiting()
        return await asyncio.gather(*futures, return_exceptions=True)

    return asyncio.run(submit_and_wait())


def test_units_submitted_together_all_commit_and_answer(sqlite_db):  # type: ignore[no-untyped-def]
    writer = GroupCommitWriter(sqlite_db)
    units = [lambda conn, n=n: tags.put(conn, ACCOUNT, "arn:x", {f"k{n}": "v"}, new=True) or n for n in range(50)]
    assert _answers(writer, units) == list(range(50))
    writer.close()
    assert len(_tags(sqlite_db, "arn:x")) == 50


def test_a_failing_unit_is_undone_alone(sqlite_db):  # type: ignore[no-untyped-def]
    gate = threading.Event()
    writer = GroupCommitWriter(sqlite_db)

    def fails(conn: sa.Connection) -> None:
        tags.put(conn, ACCOUNT, "arn:x", {"half-done": "v"}, new=True)
        raise RuntimeError("handler failed after writing")

    # A first unit holds the writer until all four are queued, so that the next three land in one batch behind it.
    answers = _answers(
        writer,
        [
            lambda conn: gate.wait(10),
            lambda conn: tags.put(conn, ACCOUNT, "arn:x", {"before": "v"}, new=True),
            fails,
            lambda conn: tags.put(conn, ACCOUNT, "arn:x", {"after": "v"}, new=True),
        ],
        before_waiting=gate.set,
    )
    writer.close()
    assert answers[:2] == [True, None] and answers[3] is None
    assert isinstance(answers[2], RuntimeError)
    assert _tags(sqlite_db, "arn:x") == {"after": "v", "before": "v"}


def test_a_constraint_violation_fails_only_its_own_unit(sqlite_db):  # type: ignore[no-untyped-def]
    writer = GroupCommitWriter(sqlite_db)
    first, duplicate, other = _answers(
        writer,
        [
            lambda conn: tags.put(conn, ACCOUNT, "arn:y", {"k": "1"}, new=True),
            lambda conn: tags.put(conn, ACCOUNT, "arn:y", {"k": "2"}, new=True),
            lambda conn: tags.put(conn, ACCOUNT, "arn:z", {"k": "3"}, new=True),
        ],
    )
    writer.close()
    assert first is None and other is None
    assert isinstance(duplicate, sa.exc.IntegrityError)
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
    (answer,) = _answers(writer, [lambda conn: tags.put(conn, ACCOUNT, "arn:w", {"k": "v"}, new=True)])
    assert isinstance(answer, sa.exc.OperationalError)
    monkeypatch.setattr(sqlite_db, "write", original)
    writer.close()
    assert _tags(sqlite_db, "arn:w") == {}
