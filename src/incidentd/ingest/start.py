"""A signal's effect: StartIncident through the API's own code path, or the resolution of the open incident."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel

from incidentd.api import registry, runner
from incidentd.api.context import RequestContext
from incidentd.api.incidents import events
from incidentd.api.incidents.incident_records import apply_update
from incidentd.domain import arns
from incidentd.ingest.common import RESOLVE, START, Refused, Signal, full_title
from incidentd.protocol import model
from incidentd.protocol.errors import validation_failures
from incidentd.protocol.validate import check_input
from incidentd.store import incidents, plans, tags
from incidentd.store.db import Database

SERVICE = "ssm-incidents"
# A plan opts out of resolution by alerts with this tag set to "false" (TagKey allows the colon).
AUTO_RESOLVE_TAG = "incidentd:auto-resolve"


@dataclass(frozen=True)
class Outcome:
    """What a signal did: the incident it concerned (if any) and whether it was created or resolved."""

    # "created", "deduplicated", "resolved", "recorded" (a resolution the plan opted out of acting on),
    # "already resolved" (nothing open to resolve) or "ignored" (a notification that changes nothing)
    action: str
    incident_arn: str | None = None

    @property
    def status(self) -> int:
        """201 for a new incident, 200 for everything else."""
        return 201 if self.action == "created" else 200


def caller_arn(account: str, source: str) -> str:
    """The identity ingested alerts act as: an IAM user per source, as createdBy and lastModifiedBy show."""
    return arns.caller(account, f"ingest-{source}")


def trigger_arn(signal: Signal, account: str, region: str, source_name: str, plan_name: str) -> str | None:
    """A stable, model-valid triggerArn for the signal's alert group (the model's Arn pattern).

    A source without ARNs of its own gets `arn:aws:incidentd:{region}:{account}:{source}/{plan}/{digest}`:
    the plan is part of it so that one group routed to two plans opens one incident per plan.
    """
    if signal.trigger_arn:
        return signal.trigger_arn
    if signal.group is None:
        return None
    digest = hashlib.sha256(signal.group.encode()).hexdigest()[:32]
    return f"arn:{arns.PARTITION}:incidentd:{region}:{account}:{source_name}/{plan_name}/{digest}"


class Starter:
    """Runs signals against the database as the API would run StartIncident and UpdateIncidentRecord."""

    def __init__(self, db: Database, region: str) -> None:
        self.db = db
        self.region = region
        self.operation = registry.load_all()[(SERVICE, "StartIncident")]
        self.op_model: OperationModel = model.service_model(model.INCIDENTS).operation_model("StartIncident")

    def plan(self, account: str, name: str) -> dict[str, Any] | None:
        """The account's plan of this name (None also for a name no plan can have)."""
        with self.db.read() as conn:
            return plans.get(conn, account, name)

    def apply(self, signal: Signal, account: str, source_name: str, plan_name: str, now_ms: int) -> Outcome:
        """Start or resolve in one transaction; Refused for a plan that is gone or a request the API refuses."""
        if signal.action not in (START, RESOLVE):
            return Outcome("ignored")
        with self.db.write() as conn:
            ctx = RequestContext(
                account_id=account,
                caller_arn=caller_arn(account, source_name),
                region=self.region,
                request_id=str(uuid.uuid4()),
                now_ms=now_ms,
                db=self.db,
                conn=conn,
            )
            plan = plans.get(conn, account, plan_name)
            if plan is None:
                raise Refused(404, f"no response plan named {plan_name!r} in account {account}")
            trigger = trigger_arn(signal, account, self.region, source_name, plan_name)
            dedupe = plan["incidentTemplate"].get("dedupeString") or trigger
            if signal.action == RESOLVE:
                return self._resolve(ctx, plan, signal, trigger, dedupe)
            return self._start(ctx, plan, signal, trigger, dedupe)

    def _start(
        self, ctx: RequestContext, plan: dict[str, Any], signal: Signal, trigger: str | None, dedupe: str | None
    ) -> Outcome:
        details: dict[str, Any] = {"source": signal.source, "timestamp": signal.timestamp, "rawData": signal.raw_data}
        if trigger:
            details["triggerArn"] = trigger
        params: dict[str, Any] = {
            "responsePlanArn": arns.response_plan(ctx.account_id, plan["name"]),
            "title": signal.title or full_title(plan["incidentTemplate"]["title"], signal.alert),
            "triggerDetails": details,
        }
        if signal.impact is not None:
            params["impact"] = signal.impact
        # The same checks as a StartIncident request from a client (lengths, patterns, required members).
        cleaned, failures = check_input(self.op_model.input_shape, params)
        if failures:
            raise validation_failures(failures)
        existing = self._open_incident(ctx, dedupe)
        result = runner.run(self.operation, self.op_model, ctx, cleaned)
        arn = str(result["incidentRecordArn"])
        if existing is not None:
            return Outcome("deduplicated", arn)
        if signal.summary:
            # StartIncident takes no summary; the alert's becomes the new incident's, as an update would set it.
            record = incidents.get(ctx.conn, ctx.account_id, arn)
            if record is not None:
                apply_update(ctx, record, {"summary": signal.summary})
        return Outcome("created", arn)

    def _resolve(
        self, ctx: RequestContext, plan: dict[str, Any], signal: Signal, trigger: str | None, dedupe: str | None
    ) -> Outcome:
        record = self._open_incident(ctx, dedupe)
        if record is None:
            return Outcome("already resolved")  # nothing open for this group: the resolution changes nothing
        details = {"source": signal.source, "timestamp": signal.timestamp, "rawData": signal.raw_data}
        if trigger:
            details["triggerArn"] = trigger
        # The resolution is a trigger too: it is recorded on the incident it concerns.
        events.trigger(ctx, record["arn"], details, created=False)
        plan_tags = tags.get(ctx.conn, ctx.account_id, arns.response_plan(ctx.account_id, plan["name"]))
        if plan_tags.get(AUTO_RESOLVE_TAG, "true").strip().lower() == "false":
            return Outcome("recorded", record["arn"])
        apply_update(ctx, record, {"status": "RESOLVED"})
        return Outcome("resolved", record["arn"])

    def _open_incident(self, ctx: RequestContext, dedupe: str | None) -> dict[str, Any] | None:
        """The open incident a start with this dedupe string would join, under StartIncident's own lock."""
        if not dedupe:
            return None
        ctx.db.lock(ctx.conn, f"dedupe:{ctx.account_id}:{dedupe}")
        return incidents.open_with_dedupe(ctx.conn, ctx.account_id, dedupe)
