"""The job queue at a glance: one grouped query over the claim index."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.store.queue import QUEUED, RUNNING
from incidentd.store.tables import jobs as t


@dataclass(frozen=True)
class KindStats:
    """Unfinished jobs of one kind."""

    kind: str
    queued: int
    running: int
    due: int  # queued and due now
    lag_ms: int  # how long the oldest due queued job has waited; 0 when none is due


def queue_stats(conn: Connection, now_ms: int) -> list[KindStats]:
    """Depth and lag of every kind with unfinished jobs."""
    is_due = sa.and_(t.c.state == QUEUED, t.c.run_at_ms <= now_ms)
    statement = (
        sa.select(
            t.c.kind,
            sa.func.sum(sa.case((t.c.state == QUEUED, 1), else_=0)),
            sa.func.sum(sa.case((t.c.state == RUNNING, 1), else_=0)),
            sa.func.sum(sa.case((is_due, 1), else_=0)),
            sa.func.min(sa.case((is_due, t.c.run_at_ms), else_=None)),
        )
        # Finished jobs stay in the table; the state condition keeps the scan on the index's unfinished part.
        .where(t.c.state.in_((QUEUED, RUNNING)))
        .group_by(t.c.kind)
        .order_by(t.c.kind)
    )
    return [
        KindStats(kind, int(queued or 0), int(running or 0), int(due or 0), max(0, now_ms - oldest) if oldest else 0)
        for kind, queued, running, due, oldest in conn.execute(statement)
    ]
