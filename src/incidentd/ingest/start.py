"""A signal's effect: StartIncident through invoke, as any caller, or the resolution of the open incident."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from incidentd.api.invoke import Invoker
from incidentd.auth.principals import Principal
from incidentd.domain import arns
from incidentd.ingest.common import RESOLVE, START, Refused, Signal, full_title
from incidentd.protocol import model
from incidentd.services import incidents
from incidentd.store import plans, tags
from incidentd.store.unit import Unit

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


def caller(account: str, source: str) -> Principal:
    """The identity ingested alerts act as: an IAM user per source, as createdBy and lastModifiedBy show."""
    return Principal.user(account, f"ingest-{source}")


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
    """Runs signals through invoke: StartIncident, and UpdateIncidentRecord to add a summary or resolve."""

    def __init__(self, invoker: Invoker) -> None:
        self.invoker = invoker
        self.db = invoker.db
        self.region = invoker.settings.region

    def plan(self, account: str, name: str) -> dict[str, Any] | None:
        """The account's plan of this name (None also for a name no plan can have)."""
        with self.db.read() as conn:
            return plans.get(conn, account, name)

    def apply(self, signal: Signal, account: str, source_name: str, plan_name: str, now_ms: int) -> Outcome:
        """Start or resolve in one transaction; Refused for a plan that is gone, ServiceError for a refusal."""
        if signal.action not in (START, RESOLVE):
            return Outcome("ignored")
        with self.db.write() as conn:
            unit = Unit(conn, self.db, account, now_ms)
            plan = plans.get(conn, account, plan_name)
            if plan is None:
                raise Refused(404, f"no response plan named {plan_name!r} in account {account}")
            trigger = trigger_arn(signal, account, self.region, source_name, plan_name)
            dedupe = plan["incidentTemplate"].get("dedupeString") or trigger
            by = caller(account, source_name)
            if signal.action == RESOLVE:
                return self._resolve(unit, by, plan, signal, trigger, dedupe)
            return self._start(unit, by, plan, signal, trigger, dedupe)

    def _call(self, unit: Unit, by: Principal, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """An ssm-incidents operation in the signal's transaction, checked as a client's request would be."""
        return self.invoker.invoke(
            model.INCIDENTS, name, params, by, region=self.region, conn=unit.conn, now_ms=unit.now_ms
        )

    def _start(
        self, unit: Unit, by: Principal, plan: dict[str, Any], signal: Signal, trigger: str | None, dedupe: str | None
    ) -> Outcome:
        """StartIncident from the plan, with the alert's summary on a new incident; deduplicated into an open one."""
        details: dict[str, Any] = {"source": signal.source, "timestamp": signal.timestamp, "rawData": signal.raw_data}
        if trigger:
            details["triggerArn"] = trigger
        params: dict[str, Any] = {
            "responsePlanArn": arns.response_plan(unit.account_id, plan["name"]),
            "title": signal.title or full_title(plan["incidentTemplate"]["title"], signal.alert),
            "triggerDetails": details,
        }
        if signal.impact is not None:
            params["impact"] = signal.impact
        existing = incidents.open_with_dedupe(unit, dedupe) if dedupe else None
        arn = str(self._call(unit, by, "StartIncident", params)["incidentRecordArn"])
        if existing is not None:
            return Outcome("deduplicated", arn)
        if signal.summary:
            # StartIncident takes no summary; the alert's becomes the new incident's, as an update would set it.
            self._call(unit, by, "UpdateIncidentRecord", {"arn": arn, "summary": signal.summary})
        return Outcome("created", arn)

    def _resolve(
        self, unit: Unit, by: Principal, plan: dict[str, Any], signal: Signal, trigger: str | None, dedupe: str | None
    ) -> Outcome:
        """Resolve the group's open incident (a trigger event either way), unless its plan opts out."""
        record = incidents.open_with_dedupe(unit, dedupe) if dedupe else None
        if record is None:
            return Outcome("already resolved")  # nothing open for this group: the resolution changes nothing
        details = {"source": signal.source, "timestamp": signal.timestamp, "rawData": signal.raw_data}
        if trigger:
            details["triggerArn"] = trigger
        # The resolution is a trigger too: it is recorded on the incident it concerns.
        incidents.trigger(unit, record["arn"], details, created=False)
        plan_tags = tags.get(unit.conn, unit.account_id, arns.response_plan(unit.account_id, plan["name"]))
        if plan_tags.get(AUTO_RESOLVE_TAG, "true").strip().lower() == "false":
            return Outcome("recorded", record["arn"])
        self._call(unit, by, "UpdateIncidentRecord", {"arn": record["arn"], "status": "RESOLVED"})
        return Outcome("resolved", record["arn"])
