"""`incidentd check-paging`: find the set-ups that would page nobody, before an incident finds them.

Peers' users learn at 3 a.m. that a rotation member had no way to be reached, or that a plan named a contact
that was deleted. Every finding here is a path along which an engagement would reach no one, or reach a
channel no transport can deliver to; each names the account, the resource and what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from incidentd.channels import Transports
from incidentd.store.tables import contact_channels, contacts, response_plans, rotations

ACTIVATED = "ACTIVATED"


@dataclass(frozen=True)
class Finding:
    """One way paging would fail."""

    account_id: str
    resource: str  # the ARN (or plan name) the finding is about
    problem: str  # a short code: no-reachable-channel, inactive-target, unknown-contact, ...
    detail: str

    def as_dict(self) -> dict[str, str]:
        """For --format json."""
        return {"account": self.account_id, "resource": self.resource, "problem": self.problem, "detail": self.detail}


@dataclass
class _Account:
    contacts: dict[str, dict[str, Any]]  # ARN -> wire document
    channels: dict[str, dict[str, Any]]  # ARN -> wire document
    rotations: dict[str, dict[str, Any]]
    plans: dict[str, dict[str, Any]]  # name -> stored plan


def check(conn: Connection, transports: Transports, only_account: str | None = None) -> list[Finding]:
    """Every finding in every account (or in one), grouped by account."""
    findings: list[Finding] = []
    for account_id, account in sorted(_load(conn, only_account).items()):
        findings += _check_account(account_id, account, transports)
    return findings


def _load(conn: Connection, only: str | None) -> dict[str, _Account]:
    accounts: dict[str, _Account] = {}

    def of(account_id: str) -> _Account:
        return accounts.setdefault(account_id, _Account({}, {}, {}, {}))

    def rows(table: sa.Table, key: sa.Column[Any]) -> Any:
        query = sa.select(table.c.account_id, key.label("key"), table.c.doc)
        return conn.execute(query if only is None else query.where(table.c.account_id == only))

    for row in rows(contacts, contacts.c.arn):
        of(row.account_id).contacts[row.key] = row.doc
    for row in rows(contact_channels, contact_channels.c.arn):
        of(row.account_id).channels[row.key] = row.doc
    for row in rows(rotations, rotations.c.arn):
        of(row.account_id).rotations[row.key] = row.doc
    for row in rows(response_plans, response_plans.c.name):
        of(row.account_id).plans[row.key] = row.doc
    return accounts


def _check_account(account_id: str, account: _Account, transports: Transports) -> Iterator[Finding]:
    channels_of: dict[str, list[dict[str, Any]]] = {}
    for channel in account.channels.values():
        channels_of.setdefault(channel["ContactArn"], []).append(channel)
    for arn, contact in sorted(account.contacts.items()):
        kind = contact.get("Type")
        if kind == "PERSONAL":
            problems = _personal(contact, channels_of.get(arn, []), account, transports)
        elif kind == "ESCALATION":
            problems = _escalation(contact, account)
        else:
            problems = _schedule(contact, account)
        for resource, problem, detail in problems:
            yield Finding(account_id, resource or arn, problem, detail)
    for rotation_arn, rotation in sorted(account.rotations.items()):
        for member in rotation.get("ContactIds", []):
            if member not in account.contacts:
                yield Finding(account_id, rotation_arn, "unknown-contact", f"rotation member {member} does not exist")
    for name, plan in sorted(account.plans.items()):
        for contact_arn in plan.get("engagements", []):
            if contact_arn not in account.contacts:
                detail = f"the response plan engages {contact_arn}, which does not exist"
                yield Finding(account_id, name, "unknown-contact", detail)


Problem = tuple[str | None, str, str]  # (resource, or None for the contact itself; problem; detail)


def _stages(contact: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((contact.get("Plan") or {}).get("Stages") or [])


def _personal(
    contact: Mapping[str, Any], own: list[dict[str, Any]], account: _Account, transports: Transports
) -> Iterator[Problem]:
    """A person needs an activated channel, a transport for it, and stages that target activated channels."""
    active = [channel for channel in own if channel.get("ActivationStatus") == ACTIVATED]
    if not active:
        yield None, "no-reachable-channel", "the contact has no activated contact channel"
    for channel in active:
        if not transports.configured(channel["Type"]):
            detail = f"{channel['Type']} channels have no transport configured: pages to it wait and retry"
            yield channel["ContactChannelArn"], "no-transport", detail
    for index, stage in enumerate(_stages(contact)):
        for target in stage.get("Targets", []):
            channel_arn = (target.get("ChannelTargetInfo") or {}).get("ContactChannelId")
            if channel_arn is None:
                continue
            found = account.channels.get(channel_arn)
            if found is None or found.get("ActivationStatus") != ACTIVATED:
                state = "does not exist" if found is None else "is not activated"
                yield None, "inactive-target", f"stage {index} targets channel {channel_arn}, which {state}"


def _escalation(contact: Mapping[str, Any], account: _Account) -> Iterator[Problem]:
    """An escalation plan needs stages, and contacts that exist in them."""
    stages = _stages(contact)
    if not stages:
        yield None, "empty-escalation", "the escalation plan has no stages: it pages nobody"
    for index, stage in enumerate(stages):
        for target in stage.get("Targets", []):
            contact_arn = (target.get("ContactTargetInfo") or {}).get("ContactId")
            if contact_arn is not None and contact_arn not in account.contacts:
                yield None, "unknown-contact", f"stage {index} targets {contact_arn}, which does not exist"


def _schedule(contact: Mapping[str, Any], account: _Account) -> Iterator[Problem]:
    """An on-call schedule needs rotations that exist."""
    for rotation_arn in (contact.get("Plan") or {}).get("RotationIds") or []:
        if rotation_arn not in account.rotations:
            yield None, "unknown-rotation", f"the schedule names {rotation_arn}, which does not exist"


def render_text(findings: list[Finding]) -> str:
    """One line per finding, or a line saying there are none."""
    if not findings:
        return "paging check: nothing found; every configured path reaches someone"
    lines = [f"{f.account_id}  {f.problem:22}  {f.resource}\n    {f.detail}" for f in findings]
    return "\n".join(lines) + f"\npaging check: {len(findings)} finding(s)"
