"""Engagements: who is paged, stage after stage, until someone essential acknowledges.

An engagement of an escalation plan runs its stages in order, each DurationInMinutes after the one before. A stage
pages its personal contacts and whoever the on-call schedules it names have on shift at that moment. A page is one
personal contact's share of an engagement: it runs that contact's own engagement plan over its channels. Every
step that waits is a job with a due time, written in the transaction that decided it, so a restart resumes the
escalation where it stood. A READ acceptance of an essential page stops the engagement: later stages and
channel steps find it stopped and do nothing.

These functions take the unit of work they run in and no principal: nothing an engagement records says who
started or acknowledged it (the model's pages and receipts carry no caller), and the engine's own steps act as
the service.
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from incidentd.domain import arns
from incidentd.domain import rotations as rules
from incidentd.services import incidents as incident_service
from incidentd.store import channels, contacts, incidents, rotations
from incidentd.store import engagements as store
from incidentd.store.unit import Unit

ENGAGEMENT_STAGE = "engagement.stage"
PAGE_STAGE = "page.stage"
DELIVER = "page.deliver"

MESSAGE_FIELDS = ("Sender", "Subject", "Content", "PublicSubject", "PublicContent", "IncidentId")
PAGED_EVENT = "SSM Contacts Page for Incident"
ACKNOWLEDGED_EVENT = "SSM Contacts Page Acknowledgement for Incident"


def new_code() -> str:
    """A 6-digit accept code: what a responder types or replies to acknowledge."""
    return f"{secrets.randbelow(10**6):06d}"


def start(unit: Unit, contact: dict[str, Any], message: dict[str, Any]) -> str:
    """Record an engagement of a contact and run its first stage now; the engagement's ARN."""
    parsed = arns.parse(contact["ContactArn"])
    region = parsed.region if parsed is not None else ""
    arn = arns.engagement(region, unit.account_id, contact["Alias"], str(uuid.uuid4()))
    doc = {name: message[name] for name in MESSAGE_FIELDS if message.get(name) is not None}
    store.add_engagement(unit.conn, unit.account_id, arn, contact["ContactArn"], unit.now_ms, doc)
    # What was just written is passed on, not read back: a StartEngagement is a dozen statements already.
    engagement = dict(doc, arn=arn, contact_arn=contact["ContactArn"], start_ms=unit.now_ms, stop_ms=None)
    _run_stage(unit, engagement, contact, 0)
    return arn


def run_stage(unit: Unit, engagement_arn: str, stage: int) -> None:
    """Page the targets of one stage of an engagement and schedule the next stage."""
    engagement = store.get_engagement(unit.conn, unit.account_id, engagement_arn)
    if engagement is None or engagement["stop_ms"] is not None:
        return
    contact = contacts.get(unit.conn, unit.account_id, engagement["contact_arn"])
    if contact is None:  # deleted since: "no longer reachable" (aws-behaviour §4.2)
        return
    _run_stage(unit, engagement, contact, stage)


def _run_stage(unit: Unit, engagement: dict[str, Any], contact: dict[str, Any], stage: int) -> None:
    engagement_arn = engagement["arn"]
    pager = _StagePager(unit, engagement)
    if contact["Type"] != "ESCALATION":  # a person or an on-call schedule engaged directly: one stage, essential
        pager.reach(contact, True, [])
        return
    stages = contact.get("Plan", {}).get("Stages", [])
    if stage >= len(stages):
        return
    path = [{"ContactArn": contact["ContactArn"], "Type": "ESCALATION", "StageIndex": stage}]
    for target in stages[stage].get("Targets", []):
        info = target.get("ContactTargetInfo") or {}
        member = contacts.get(unit.conn, unit.account_id, info.get("ContactId", ""))
        if member is not None:
            pager.reach(member, bool(info.get("IsEssential")), path)
    if stage + 1 < len(stages):
        delay = int(stages[stage].get("DurationInMinutes", 0)) * 60_000
        unit.enqueue(ENGAGEMENT_STAGE, {"engagementArn": engagement_arn, "stage": stage + 1}, delay)


def on_call_now(unit: Unit, schedule: dict[str, Any]) -> list[str]:
    """The personal contacts an on-call schedule's rotations have on shift at this instant, in rotation order."""
    now_ms = unit.now_ms
    at = _utc(now_ms)
    found: list[str] = []
    for rotation_arn in schedule.get("Plan", {}).get("RotationIds", []):
        rotation = rotations.get(unit.conn, unit.account_id, rotation_arn)
        if rotation is None:
            continue
        holders = rules.on_call(
            rotation["ContactIds"],
            _utc(round(rotation["StartTime"] * 1000)),
            rotation["TimeZoneId"],
            rotation["Recurrence"],
            rotations.overrides_in_force(unit.conn, unit.account_id, rotation_arn, now_ms, now_ms + 1),
            at,
        )
        found.extend(arn for arn in holders if arn not in found)
    return found


@dataclass
class _StagePager:
    """Creates the pages of one stage of one engagement, each person at most once."""

    unit: Unit
    engagement: dict[str, Any]
    paged: set[str] = field(default_factory=set)

    def reach(self, contact: dict[str, Any], essential: bool, path: list[dict[str, Any]]) -> None:
        """Page a personal contact, or whoever an on-call schedule has on shift now."""
        if contact["Type"] == "PERSONAL":
            self.page(contact, essential, path)
        elif contact["Type"] == "ONCALL_SCHEDULE":
            step = [*path, {"ContactArn": contact["ContactArn"], "Type": "ONCALL_SCHEDULE"}]
            for person_arn in on_call_now(self.unit, contact):
                person = contacts.get(self.unit.conn, self.unit.account_id, person_arn)
                if person is not None and person["Type"] == "PERSONAL":
                    self.page(person, essential, step)

    def page(self, person: dict[str, Any], essential: bool, path: list[dict[str, Any]]) -> None:
        """Create one page of a personal contact and run the first stage of its engagement plan."""
        person_arn = person["ContactArn"]
        if person_arn in self.paged:  # reached twice in one stage (directly and through a schedule): one page
            return
        self.paged.add(person_arn)
        parsed = arns.parse(person_arn)
        region = parsed.region if parsed is not None else ""
        unit = self.unit
        arn = arns.page(region, unit.account_id, person["Alias"], str(uuid.uuid4()))
        doc = {name: self.engagement[name] for name in MESSAGE_FIELDS if self.engagement.get(name) is not None}
        doc["Essential"] = essential
        doc["Resolution"] = [*path, {"ContactArn": person_arn, "Type": "PERSONAL"}]
        engagement_arn = self.engagement["arn"]
        store.add_page(unit.conn, unit.account_id, arn, engagement_arn, person_arn, unit.now_ms, new_code(), doc)
        incident_event(unit, self.engagement, PAGED_EVENT, person_arn)
        _run_page_stage(unit, arn, person, 0)


def run_page_stage(unit: Unit, page_arn: str, stage: int) -> None:
    """Queue the deliveries of one stage of a page's engagement plan and schedule its next stage."""
    page = store.get_page(unit.conn, unit.account_id, page_arn)
    if page is None or page["read_ms"] is not None:
        return
    engagement = store.get_engagement(unit.conn, unit.account_id, page["engagement_arn"])
    person = contacts.get(unit.conn, unit.account_id, page["contact_arn"])
    if engagement is None or engagement["stop_ms"] is not None or person is None:
        return
    _run_page_stage(unit, page_arn, person, stage)


def _run_page_stage(unit: Unit, page_arn: str, person: dict[str, Any], stage: int) -> None:
    stages = person.get("Plan", {}).get("Stages", [])
    if not stages:
        # A contact without an engagement plan (Terraform creates every contact with Stages: []) would
        # otherwise never be reached: page all of its channels at once. Unactivated ones are skipped on delivery.
        if stage == 0:
            for channel in channels.of_contact(unit.conn, unit.account_id, person["ContactArn"]):
                _deliver_later(unit, page_arn, channel.doc["ContactChannelArn"], None)
        return
    if stage >= len(stages):
        return
    for target in stages[stage].get("Targets", []):
        info = target.get("ChannelTargetInfo")
        if info and info.get("ContactChannelId"):
            _deliver_later(unit, page_arn, info["ContactChannelId"], info.get("RetryIntervalInMinutes"))
    if stage + 1 < len(stages):
        delay = int(stages[stage].get("DurationInMinutes", 0)) * 60_000
        unit.enqueue(PAGE_STAGE, {"pageArn": page_arn, "stage": stage + 1}, delay)


def _deliver_later(unit: Unit, page_arn: str, channel_arn: str, retry_minutes: int | None) -> None:
    unit.enqueue(DELIVER, {"pageArn": page_arn, "channelArn": channel_arn, "attempt": 1, "retryMinutes": retry_minutes})


def accept(unit: Unit, page: dict[str, Any], accept_type: str, info: str, channel_arn: str | None) -> None:
    """Record an acceptance; a READ of an essential page ends its engagement."""
    column = "read_ms" if accept_type == "READ" else "delivery_ms"
    store.mark_page(unit.conn, unit.account_id, page["arn"], column, unit.now_ms)
    store.add_receipt(unit.conn, unit.account_id, page["arn"], accept_type, unit.now_ms, info, channel_arn)
    if accept_type != "READ":
        return
    engagement = store.get_engagement(unit.conn, unit.account_id, page["engagement_arn"])
    if engagement is None:
        return
    if page.get("Essential", True):
        stop(unit, engagement["arn"], None, f"acknowledged by {page['contact_arn']}")
    incident_event(unit, engagement, ACKNOWLEDGED_EVENT, page["contact_arn"])


def stop(unit: Unit, engagement_arn: str, reason: str | None, receipt_info: str) -> None:
    """End an engagement: a STOP receipt on each page nobody has read, and no stage or retry runs after it."""
    if not store.stop_engagement(unit.conn, unit.account_id, engagement_arn, unit.now_ms, reason):
        return  # already stopped: nothing changes
    for page in store.list_pages(unit.conn, unit.account_id, engagement_arn=engagement_arn):
        if page["read_ms"] is None:
            store.add_receipt(unit.conn, unit.account_id, page["arn"], "STOP", unit.now_ms, receipt_info)


def incident_event(unit: Unit, engagement: dict[str, Any], event_type: str, contact_arn: str) -> None:
    """Put a page or an acknowledgement on the timeline of the incident that started the engagement, if any."""
    incident_arn = engagement.get("IncidentId") or ""
    parsed = arns.parse(incident_arn)
    if parsed is None or parsed.service != "ssm-incidents" or parsed.account != unit.account_id:
        return
    if incidents.get(unit.conn, unit.account_id, incident_arn) is None:  # deleted since the engagement started
        return
    data = json.dumps({"contactArn": contact_arn, "engagementArn": engagement["arn"]}, separators=(",", ":"))
    incident_service.write_event(unit, incident_arn, event_type, data, [{"resource": incident_arn}])


def _utc(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
