"""Sharing between accounts (aws-behaviour §3.10, §4.4, §7.10): plan and contact policies, checked when put.

A policy may only grant what AWS RAM grants when it shares a plan or a contact: an Allow of the documented
actions, to accounts or IAM principals, on that plan and its incidents, or that contact and its engagements.
Anything else is refused when it is put. What a policy shares is recorded per consumer (store/shares.py) when it
is put, and read from there when a call or a listing needs it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.auth.actions import SHARABLE_CONTACT_ACTIONS, SHARABLE_PLAN_ACTIONS
from incidentd.auth.patterns import matches
from incidentd.auth.principals import Principal
from incidentd.domain import arns
from incidentd.store import shares
from incidentd.store.unit import Unit

_ACCOUNT = re.compile(r"^\d{12}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):(?:root|user/.+|role/.+)$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
_ROOT = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):root$")
_CONTACT_SOURCE = "contact"  # a contact has one policy; a plan's policies are told apart by their ids
MAX_SHARED = 100  # plans or contacts of other accounts a listing takes in, at most
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "Action", "Resource"}


class ShareError(ValueError):
    """A resource policy that is not a sharing incidentd can honour; the message says what is wrong."""


@dataclass(frozen=True)
class Grant:
    """One statement of a sharing policy: who, which actions (lower-cased), on which resource patterns."""

    principals: tuple[str, ...]
    actions: frozenset[str]
    resources: tuple[str, ...]


def plan_grants(text: str, plan_arn: str) -> list[Grant]:
    """The grants of a response plan's policy; ShareError for anything RAM would not write."""
    plan = arns.parse(plan_arn)
    assert plan is not None
    name = plan.resource.removeprefix("response-plan/")
    own = (f"response-plan/{name}",)
    return _grants(text, SHARABLE_PLAN_ACTIONS, plan.account, "ssm-incidents", own, f"incident-record/{name}/")


def contact_grants(text: str, contact_arn: str) -> list[Grant]:
    """The grants of a contact's policy; ShareError for anything RAM would not write."""
    contact = arns.parse(contact_arn)
    assert contact is not None
    alias = contact.resource.removeprefix("contact/")
    own = (f"contact/{alias}",)
    return _grants(text, SHARABLE_CONTACT_ACTIONS, contact.account, "ssm-contacts", own, f"engagement/{alias}/")


def share_plan(unit: Unit, plan_arn: str, policy_id: str, text: str) -> None:
    """Record whom a response plan's new policy shares it with; ShareError if it is not a sharing."""
    shares.put(
        unit.conn, unit.account_id, plan_arn, policy_id, _rows(unit.account_id, plan_arn, plan_grants(text, plan_arn))
    )


def unshare_plan(unit: Unit, plan_arn: str, policy_id: str | None = None) -> None:
    """Forget what one of a plan's policies shared, or all of them."""
    shares.delete(unit.conn, unit.account_id, plan_arn, policy_id)


def share_contact(unit: Unit, contact_arn: str, text: str) -> None:
    """Record whom a contact's policy shares it with, replacing its earlier one; ShareError if not a sharing."""
    granted = _rows(unit.account_id, contact_arn, contact_grants(text, contact_arn))
    shares.put(unit.conn, unit.account_id, contact_arn, _CONTACT_SOURCE, granted)


def unshare_contact(unit: Unit, contact_arn: str) -> None:
    """Forget what a contact's policy shared."""
    shares.delete(unit.conn, unit.account_id, contact_arn, _CONTACT_SOURCE)


def shared_with(unit: Unit, principal: Principal, action: str, resource: str) -> bool:
    """Whether the owner of resource (unit's account) shares it with the principal for the action.

    Response plans share themselves and the incidents started from them; contacts themselves and their
    engagements.
    """
    parsed = arns.parse(resource)
    if parsed is None or parsed.account != unit.account_id:
        return False
    kind, _, rest = parsed.resource.partition("/")
    name = rest.split("/", 1)[0]
    if parsed.service == "ssm-incidents" and kind in ("response-plan", "incident-record"):
        owner_arn = arns.response_plan(unit.account_id, name)
    elif parsed.service == "ssm-contacts" and kind in ("contact", "engagement"):
        owner_arn = arns.contact(parsed.region, unit.account_id, name)
    else:
        return False
    lowered = action.lower()
    for share in shares.of_resource(unit.conn, unit.account_id, owner_arn, _consumers(principal)):
        if lowered in share.actions and any(matches(p, resource, case_sensitive=True) for p in share.resources):
            return True
    return False


def shared_resources(conn: Connection, principal: Principal, kind: str, action: str) -> list[tuple[str, str]]:
    """(owner, ARN) of the plans ("response-plan") or contacts ("contact") other accounts share with the principal
    for the action, at most MAX_SHARED of them, so that no account can make another's listings slow."""
    found = shares.with_consumers(conn, _consumers(principal), f":{kind}/", MAX_SHARED)
    lowered = action.lower()
    # An account that names itself shares nothing new: its listings hold its own resources already.
    own = principal.account_id
    return sorted({(s.owner, s.resource_arn) for s in found if lowered in s.actions and s.owner != own})


def _consumers(principal: Principal) -> tuple[str, ...]:
    """What a share may name to reach the principal: its account, or its own ARN."""
    return (principal.account_id, principal.arn)


def _rows(owner: str, resource_arn: str, grants: list[Grant]) -> list[shares.Share]:
    """One row per statement and consumer, an account's root ARN recorded as the account."""
    rows: list[shares.Share] = []
    for index, grant in enumerate(grants):
        consumers = {_ROOT.sub(r"\1", principal) for principal in grant.principals}
        rows.extend(
            shares.Share(owner, resource_arn, index, consumer, grant.actions, grant.resources)
            for consumer in sorted(consumers)
        )
    return rows


def _grants(
    text: str, allowed: frozenset[str], account: str, service: str, own: tuple[str, ...], children: str
) -> list[Grant]:
    """Read a sharing policy whose resources must be the shared resource itself or its children."""
    try:
        document = json.loads(text)
    except ValueError:
        raise ShareError("The policy is not a valid JSON document.") from None
    if not isinstance(document, dict):
        raise ShareError("The policy must be a JSON object.")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise ShareError("The policy must have a Statement.")
    lowered = {action.lower(): action for action in allowed}
    grants = []
    for index, statement in enumerate(statements):
        where = f"Statement[{index}]"
        if not isinstance(statement, dict):
            raise ShareError(f"{where} must be an object.")
        unknown = set(statement) - _STATEMENT_KEYS
        if unknown:
            raise ShareError(f"{where}: {', '.join(sorted(unknown))} is not supported in a sharing policy.")
        if statement.get("Effect") != "Allow":
            raise ShareError(f"{where}: only Allow statements can share a resource.")
        actions = _strings(statement.get("Action"), f"{where}.Action")
        for action in actions:
            if action.lower() not in lowered:
                names = ", ".join(sorted(allowed))
                raise ShareError(f"{where}.Action: {action} can't be shared; a sharing may allow {names}.")
        principals = _principals(statement.get("Principal"), where)
        resources = _strings(statement.get("Resource"), f"{where}.Resource")
        for resource in resources:
            if not _own(resource, account, service, own, children):
                raise ShareError(
                    f"{where}.Resource: {resource} is not this {own[0].split('/')[0]} or one of its {children[:-1]}s."
                )
        grants.append(Grant(principals, frozenset(action.lower() for action in actions), resources))
    return grants


def _own(pattern: str, account: str, service: str, own: tuple[str, ...], children: str) -> bool:
    """Whether a Resource pattern names only the shared resource or its children, in any region."""
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != service or parts[4] != account:
        return False
    if parts[3] not in ("", "*") and not _REGION.match(parts[3]):
        return False
    resource = parts[5]
    if resource in own:
        return True
    rest = resource.removeprefix(children)
    # The children part may be a wildcard or one id, but must not widen to another resource's children.
    return resource.startswith(children) and "/" not in rest and "?" not in rest and ("*" not in rest or rest == "*")


def _principals(value: Any, where: str) -> tuple[str, ...]:
    """The accounts and IAM principals a statement names under Principal.AWS."""
    if not isinstance(value, dict) or set(value) != {"AWS"}:
        raise ShareError(f'{where}.Principal must be {{"AWS": ...}} naming accounts or IAM principals.')
    found = _strings(value["AWS"], f"{where}.Principal.AWS")
    for principal in found:
        if not (_ACCOUNT.match(principal) or _PRINCIPAL_ARN.match(principal)):
            raise ShareError(f"{where}.Principal.AWS: {principal} is neither an account id nor an IAM principal ARN.")
    return found


def _strings(value: Any, where: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ShareError(f"{where} must be a string or a list of strings.")
