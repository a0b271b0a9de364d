"""The job table as a queue: enqueue inside the caller's transaction, claim with a lease, finish or retry."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.prepared import Prepared
from incidentd.store.tables import jobs as t

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A claim looks at the oldest due job of this many accounts at most; beyond them, jobs go by due time alone.
MAX_FAIR_ACCOUNTS = 1000


@dataclass(frozen=True)
class Job:
    """One claimed job."""

    id: int
    account_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    lease_owner: str


_INSERT = Prepared(sa.insert(t))


def enqueue(conn: Connection, account_id: str, kind: str, payload: dict[str, Any], run_at_ms: int, now_ms: int) -> None:
    """Add a job in the caller's transaction: it exists exactly when the state that caused it does."""
    enqueue_many(conn, account_id, [(kind, payload)], run_at_ms, now_ms)


def enqueue_many(
    conn: Connection, account_id: str, jobs: list[tuple[str, dict[str, Any]]], run_at_ms: int, now_ms: int
) -> None:
    """Add several jobs due at one time with one statement."""
    if not jobs:
        return
    _INSERT.run_many(conn, [_row(account_id, kind, payload, run_at_ms, now_ms) for kind, payload in jobs])


def enqueue_retry(
    conn: Connection, account_id: str, kind: str, payload: dict[str, Any], error: str, run_at_ms: int, now_ms: int
) -> None:
    """Add a job whose first attempt already failed elsewhere (a part of a larger job), to try again at run_at_ms."""
    row = _row(account_id, kind, payload, run_at_ms, now_ms, attempts=1)
    _INSERT.run(conn, {**row, "last_error": error[:4000]})


def _row(
    account_id: str, kind: str, payload: dict[str, Any], run_at_ms: int, now_ms: int, attempts: int = 0
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "kind": kind,
        "payload": payload,
        "state": QUEUED,
        "run_at_ms": run_at_ms,
        "attempts": attempts,
        "created_ms": now_ms,
    }


_KIND = re.compile(r"^[A-Za-z0-9_.:-]+$")


def _kind_in(kinds: tuple[str, ...], table: Any = t) -> Any:
    # The kinds are written into the SQL: the statement is then prepared once per set of kinds, without the
    # expanding IN parameter that sends every execution through SQLAlchemy's slow path. Kinds are the names
    # job modules register, never user input; the pattern makes sure of it.
    for kind in kinds:
        if not _KIND.match(kind):
            raise ValueError(f"not a job kind: {kind!r}")
    return table.c.kind.in_([sa.literal_column(f"'{kind}'") for kind in kinds])


def _is_queued_and_due(kinds: tuple[str, ...]) -> Any:
    return sa.and_(t.c.state == QUEUED, _kind_in(kinds), t.c.run_at_ms <= sa.bindparam("now_ms"))


def _is_orphaned(kinds: tuple[str, ...]) -> Any:
    return sa.and_(t.c.state == RUNNING, _kind_in(kinds), t.c.lease_expires_ms < sa.bindparam("now_ms"))


def _due(kinds: tuple[str, ...]) -> Any:
    """Ids and run times of due jobs: queued ones, and running ones whose worker's lease ran out."""
    queued = sa.select(t.c.id, t.c.run_at_ms).where(_is_queued_and_due(kinds))
    orphaned = sa.select(t.c.id, t.c.run_at_ms).where(_is_orphaned(kinds))
    # Two range scans of the claim indexes instead of one OR that neither index could serve.
    return sa.union_all(queued, orphaned).subquery()


@functools.lru_cache(maxsize=64)
def _any_due_statement(kinds: tuple[str, ...]) -> Prepared:
    due = _due(kinds)
    return Prepared(sa.select(due.c.id).limit(1))


def _account_heads(kinds: tuple[str, ...]) -> Any:
    """The oldest due job of each account that has queued jobs (NULL for one with none due yet).

    The accounts come from a loose index scan of ix_jobs_fair (state, account_id, run_at_ms): each next account
    is one seek, however many jobs the one before it has queued; each account's oldest due job is one more. The
    cost grows with the number of accounts, never with the length of any one account's backlog.
    """
    scan = t.alias("scan")
    first = sa.select(sa.func.min(t.c.account_id).label("account_id")).where(t.c.state == QUEUED)
    accounts = first.cte("queued_accounts", recursive=True)
    following = (
        sa.select(sa.func.min(scan.c.account_id))
        .where(scan.c.state == QUEUED, scan.c.account_id > accounts.c.account_id)
        .scalar_subquery()
    )
    accounts = accounts.union_all(sa.select(following).where(accounts.c.account_id.is_not(None)))
    head = t.alias("head")
    oldest = (
        sa.select(head.c.id)
        .where(
            head.c.state == QUEUED,
            head.c.account_id == accounts.c.account_id,
            head.c.run_at_ms <= sa.bindparam("now_ms"),
            _kind_in(kinds, head),
        )
        # By due time alone, the order of ix_jobs_fair itself: a tie-break by id would cost PostgreSQL a sort of
        # the account's whole backlog.
        .order_by(head.c.run_at_ms)
        .limit(1)
        .scalar_subquery()
    )
    return sa.select(oldest.label("id")).where(accounts.c.account_id.is_not(None)).limit(MAX_FAIR_ACCOUNTS)


@functools.lru_cache(maxsize=64)
def _claim_statement(kinds: tuple[str, ...], dialect: str) -> Prepared:
    due = _due(kinds)
    # Fair across accounts: every account's oldest due job first (the oldest of them first), then the rest of
    # the batch by due time. One account's backlog of thousands then never holds another's page behind it for
    # more than one claim, and a single busy account still gets whole batches.
    head_ids = _account_heads(kinds).subquery()
    head = t.alias("head_job")
    # Each head's due time by its primary key, row by row: a join would let PostgreSQL hash the whole table.
    head_due = sa.select(head.c.run_at_ms).where(head.c.id == head_ids.c.id).scalar_subquery()
    heads = sa.select(head_ids.c.id, head_due.label("run_at_ms"), sa.literal(0).label("turn")).where(
        head_ids.c.id.is_not(None)
    )
    by_age = sa.select(due.c.id, due.c.run_at_ms).order_by(due.c.run_at_ms, due.c.id).limit(sa.bindparam("limit"))
    by_age_rows = by_age.subquery()
    rest = sa.select(by_age_rows.c.id, by_age_rows.c.run_at_ms, sa.literal(1).label("turn"))
    pool = sa.union_all(heads, rest).subquery()
    candidates = (
        sa.select(pool.c.id)
        .group_by(pool.c.id)
        .order_by(sa.func.min(pool.c.turn), sa.func.min(pool.c.run_at_ms), pool.c.id)
        .limit(sa.bindparam("limit"))
    )
    if dialect == "postgresql":
        # Several workers claim side by side: each skips the rows another is claiming. The candidates come
        # from this statement's snapshot, so a row another worker claimed and committed meanwhile looks due;
        # stating the due condition on the locked row makes PostgreSQL re-check it on the row's newest version.
        still_due = sa.or_(_is_queued_and_due(kinds), _is_orphaned(kinds))
        candidates = (
            sa.select(t.c.id)
            .where(t.c.id.in_(candidates.scalar_subquery()), still_due)
            .with_for_update(skip_locked=True)
        )
    return Prepared(
        sa.update(t)
        .where(t.c.id.in_(candidates.scalar_subquery()))
        .values(
            state=RUNNING,
            lease_owner=sa.bindparam("owner"),
            lease_expires_ms=sa.bindparam("lease_until"),
            attempts=t.c.attempts + 1,
        )
        .returning(t.c.id, t.c.account_id, t.c.kind, t.c.payload, t.c.attempts, t.c.lease_owner, t.c.run_at_ms)
    )


def any_due(conn: Connection, kinds: Collection[str], now_ms: int) -> bool:
    """Whether a claim would find work: a cheap read that takes no write lock."""
    if not kinds:
        return False
    statement = _any_due_statement(tuple(sorted(kinds)))
    return statement.run(conn, {"now_ms": now_ms}).first() is not None


def claim(conn: Connection, owner: str, kinds: Collection[str], now_ms: int, lease_ms: int, limit: int) -> list[Job]:
    """Lease up to `limit` due jobs of the given kinds: each account's oldest first, then the oldest run_at."""
    if not kinds or limit < 1:
        return []
    statement = _claim_statement(tuple(sorted(kinds)), conn.dialect.name)
    params = {"now_ms": now_ms, "limit": limit, "owner": owner, "lease_until": now_ms + lease_ms}
    # RETURNING gives no order: sort so that jobs run in the order they fell due.
    rows = sorted(statement.run(conn, params).rows, key=lambda row: (row[6], row[0]))
    return [Job(*row[:6]) for row in rows]


def _owned(job: Job) -> Any:
    # Fencing: a worker whose lease was taken over must not record an outcome for the job.
    return sa.and_(t.c.id == job.id, t.c.state == RUNNING, t.c.lease_owner == job.lease_owner)


_FINISH = Prepared(
    sa.update(t)
    .where(t.c.id == sa.bindparam("k_id"), t.c.state == RUNNING, t.c.lease_owner == sa.bindparam("k_owner"))
    .values(state=DONE, finished_ms=sa.bindparam("finished_ms"), lease_expires_ms=sa.null())
)


def finish(conn: Connection, job: Job, now_ms: int) -> bool:
    """Mark a job done; False when this worker no longer holds its lease (the same fence as _owned)."""
    outcome = _FINISH.run(conn, {"k_id": job.id, "k_owner": job.lease_owner, "finished_ms": now_ms})
    return outcome.rowcount == 1


@functools.lru_cache(maxsize=64)
def _prune_statement(kinds: tuple[str, ...]) -> Prepared:
    # run_at_ms is never later than finished_ms, so its bound keeps the scan to a range of the claim index
    # (state, kind, run_at_ms) instead of every done job; finished_ms then makes the age exact.
    old = (
        sa.select(t.c.id)
        .where(
            t.c.state == DONE,
            _kind_in(kinds),
            t.c.run_at_ms < sa.bindparam("before_ms"),
            t.c.finished_ms < sa.bindparam("before_ms"),
        )
        .limit(sa.bindparam("limit"))
    )
    return Prepared(sa.delete(t).where(t.c.id.in_(old.scalar_subquery())))


def prune_done(conn: Connection, kinds: Collection[str], before_ms: int, limit: int) -> int:
    """Delete up to `limit` done jobs of the given kinds that finished before before_ms; how many went.

    Failed jobs stay: they are what an operator looks at when a page did not go out.
    """
    if not kinds or limit < 1:
        return 0
    statement = _prune_statement(tuple(sorted(kinds)))
    return statement.run(conn, {"before_ms": before_ms, "limit": limit}).rowcount


def renew(conn: Connection, job: Job, lease_until_ms: int) -> bool:
    """Extend the lease of a job this worker still holds; False when it no longer holds it."""
    statement = sa.update(t).where(_owned(job)).values(lease_expires_ms=lease_until_ms)
    return conn.execute(statement).rowcount == 1


def retry(conn: Connection, job: Job, error: str, run_at_ms: int) -> bool:
    """Put a job back in the queue to try again later."""
    statement = (
        sa.update(t)
        .where(_owned(job))
        .values(
            state=QUEUED,
            run_at_ms=run_at_ms,
            last_error=error[:4000],
            lease_owner=None,
            lease_expires_ms=None,
        )
    )
    return conn.execute(statement).rowcount == 1


def fail(conn: Connection, job: Job, error: str, now_ms: int) -> bool:
    """Give up on a job, keeping the error for operators."""
    statement = (
        sa.update(t)
        .where(_owned(job))
        .values(state=FAILED, last_error=error[:4000], finished_ms=now_ms, lease_expires_ms=None)
    )
    return conn.execute(statement).rowcount == 1


def pending(conn: Connection, account_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Jobs not yet done, oldest first: for tests and operators."""
    statement = sa.select(t).where(t.c.state.in_([QUEUED, RUNNING]))
    if account_id is not None:
        statement = statement.where(t.c.account_id == account_id)
    if kind is not None:
        statement = statement.where(t.c.kind == kind)
    return [dict(row._mapping) for row in conn.execute(statement.order_by(t.c.run_at_ms, t.c.id))]
