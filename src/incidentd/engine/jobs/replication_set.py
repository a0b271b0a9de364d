"""Settling a replication set: regions being created become ACTIVE, regions being deleted go away."""

from __future__ import annotations

import copy

from incidentd.domain.jobs import SETTLE_REPLICATION_SET
from incidentd.engine.jobs import JobContext, job_kind
from incidentd.store import replication


@job_kind(SETTLE_REPLICATION_SET)
def settle(ctx: JobContext) -> None:
    """Finish the pending region changes of the account's replication set, if it still exists."""
    current = replication.get(ctx.conn, ctx.job.account_id)
    if current is None:
        return
    doc = copy.deepcopy(current)
    now = ctx.now_ms / 1000
    regions = doc["regionMap"]
    for name in [name for name, info in regions.items() if info["status"] == "DELETING"]:
        del regions[name]
    for info in regions.values():
        if info["status"] == "CREATING":
            info.update(status="ACTIVE", statusUpdateDateTime=now)
    doc["status"] = "ACTIVE"
    replication.save(ctx.conn, ctx.job.account_id, doc)
