"""A signal's effect: StartIncident through invoke, as any caller, or the resolution of the open incident."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from incidentd.api.invoke import Invoker
from incidentd.auth.principals import Principal
from incidentd.domain import arns
from incidentd.ingest.common import RESOLVE, START, Refused, Signal, full_title
from incidentd.ingest.repeats import RecentRepeats, key_of
from incidentd.protocol import model
from incidentd.services import incidents
from incidentd.store import incidents as stored_incidents
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
    changed: bool = True  # False: answered from reads alone (a known repeat, nothing open to resolve)

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
        self.repeats = RecentRepeats()

    def plan(self, account: str, name: str) -> dict[str, Any] | None:
        """The account's plan of this name (None also for a name no plan can have)."""
        with self.db.read() as conn:
            return plans.get(conn, account, name)

    def known_repeat(self, account: str, source_name: str, plan_name: str, body: bytes) -> Outcome | None:
        """Deduplicated, from reads alone: a notification identical to one this process logged as a repeat lately,
        while the incident it joined is still the group's open one; else None.

        A storm is mostly such repeats: they are neither parsed nor written again. The incident is looked up each
        time, so one another node (or a person) resolved meanwhile is not joined: the caller goes the long way.
        """
        logged = self.repeats.find(key_of(account, source_name, plan_name, body))
        if logged is None:
            return None
        found = self._open_incident(account, plan_name, logged.trigger)
        if found is None or found[0] != logged.dedupe or found[1] is None or found[1]["arn"] != logged.incident_arn:
            return None
        return Outcome("deduplicated", logged.incident_arn, changed=False)

    def apply(
        self, signal: Signal, account: str, source_name: str, plan_name: str, now_ms: int, body: bytes | None = None
    ) -> Outcome:
        """Start or resolve in one transaction; Refused for a plan that is gone, ServiceError for a refusal.

        With the body, a repeat it logs is remembered for known_repeat; a resolution with nothing open is answered
        from reads alone.
        """
        if signal.action not in (START, RESOLVE):
            return Outcome("ignored")
        trigger = trigger_arn(signal, account, self.region, source_name, plan_name)
        if signal.action == RESOLVE:
            found = self._open_incident(account, plan_name, trigger)
            if found is not None and found[1] is None:
                return Outcome("already resolved", changed=False)
        outcome, dedupe = self._write(signal, account, source_name, plan_name, now_ms)
        if body is not None and outcome.action == "deduplicated" and dedupe and outcome.incident_arn:
            self.repeats.remember(key_of(account, source_name, plan_name, body), dedupe, trigger, outcome.incident_arn)
        return outcome

    def _open_incident(
        self, account: str, plan_name: str, trigger: str | None
    ) -> tuple[str | None, dict[str, Any] | None] | None:
        """The dedupe string the plan gives the group and its open incident, from one snapshot; None without a plan."""
        with self.db.read() as conn:
            plan = plans.get(conn, account, plan_name)
            if plan is None:
                return None  # the write path answers it
            dedupe = plan["incidentTemplate"].get("dedupeString") or trigger
            return dedupe, stored_incidents.open_with_dedupe(conn, account, dedupe) if dedupe else None

    def _write(
        self, signal: Signal, account: str, source_name: str, plan_name: str, now_ms: int
    ) -> tuple[Outcome, str | None]:
        """The signal's outcome, in one write transaction; with the dedupe string it used."""
        with self.db.write() as conn:
            unit = Unit(conn, self.db, account, now_ms)
            plan = plans.get(conn, account, plan_name)
            if plan is None:
                raise Refused(404, f"no response plan named {plan_name!r} in account {account}")
            trigger = trigger_arn(signal, account, self.region, source_name, plan_name)
            dedupe = plan["incidentTemplate"].get("dedupeString") or trigger
            by = caller(account, source_name)
            if signal.action == RESOLVE:
                return self._resolve(unit, by, plan, signal, trigger, dedupe), dedupe
            return self._start(unit, by, plan, signal, trigger, dedupe), dedupe

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
