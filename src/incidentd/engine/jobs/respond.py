"""A new incident's response run as one job: its parts share one claim, one transaction and one completion."""

from __future__ import annotations

import dataclasses
import logging
import traceback
from typing import Any

from incidentd.domain import response, retry
from incidentd.engine.jobs import EFFECT_KINDS, JOB_HANDLERS, JobContext, job_kind
from incidentd.store import queue
from incidentd.store.db import savepoint

log = logging.getLogger("incidentd.worker")


@job_kind(response.RESPOND)
def respond(ctx: JobContext) -> None:
    """Run each part with the handler of its kind, each in a savepoint; a failed part is queued on its own.

    A part that raises is undone alone and becomes a job of its kind, due after the first back-off, so it is
    retried the way any job is while the parts that worked stand. Re-running the whole job instead would
    engage contacts and tell channels a second time.
    """
    job = ctx.job
    shared_reads: dict[str, dict[str, Any] | None] = {}
    for kind, payload in job.payload["parts"]:
        part = JobContext(
            ctx.runtime,
            ctx.conn,
            dataclasses.replace(job, kind=kind, payload=payload),
            ctx.now_ms,
            incidents_read=shared_reads,
        )
        try:
            if kind in EFFECT_KINDS:
                # An effect must not run inside this transaction: it waits on the network with its own.
                raise RuntimeError(f"{kind} is an effect and runs as a job of its own")
            with savepoint(ctx.conn):
                JOB_HANDLERS[kind](part)
        except Exception:
            error = traceback.format_exc()
            log.error(
                "job %s (%s): its part %s failed; queued on its own to try again:\n%s", job.id, job.kind, kind, error
            )
            run_at = ctx.now_ms + retry.JOBS.delay_ms(1)
            queue.enqueue_retry(ctx.conn, job.account_id, kind, payload, error, run_at, ctx.now_ms)
