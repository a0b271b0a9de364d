"""Who may do what: every call is authorized, before its handler runs, as IAM would (aws-behaviour §1.10, §7.10).

The call's action and resources come from AWS's Service Authorization Reference (auth/actions.py). A principal
with identity policies must be allowed each resource by them (an explicit Deny wins, then an Allow, else an
implicit deny); a principal without (None) may do anything in its own account. A resource of another account is
used only where that account shares it (services/sharing.py); the call then acts in the owner's account.
"""

from __future__ import annotations

from incidentd.auth import actions
from incidentd.auth.policy import Decision, evaluate
from incidentd.auth.principals import Principal
from incidentd.protocol.errors import ServiceError
from incidentd.services import sharing
from incidentd.store import tags
from incidentd.store.unit import Unit


def authorize(
    unit: Unit,
    principal: Principal,
    service: str,
    name: str,
    params: dict[str, object],
    region: str,
    secure_transport: bool,
) -> str:
    """The account the call acts in (the caller's, or the owner's of a resource shared with it); AccessDenied if
    the caller's policies don't allow it."""
    if principal.policies is None and not actions.names_other_account(service, name, params, principal.account_id):
        return principal.account_id  # may do anything in its own account, and asks for nothing outside it
    need = actions.authorization_for(service, name, params, account_id=principal.account_id, region=region)
    own = principal.account_id
    foreign: set[str] = set()  # the other accounts whose resources the call names
    for resource in need.resources:
        owner = actions.owner_account(resource, own) if resource != "*" else own
        if principal.policies is not None:
            context = _Context(unit, owner, resource, need, principal, secure_transport)
            decision = evaluate(principal.policies, need.action, resource, context)
            if not decision.allowed:
                raise access_denied(principal, need.action, resource, decision)
        if owner != own:
            foreign.add(owner)
    if len(foreign) != 1:
        return own
    # The call acts in the other account only if that account shares every resource it names for this action
    # (an incident and its plan, say). Otherwise it stays in the caller's account, where the resource isn't and
    # is not found: an account can't learn which ARNs exist in another.
    owner_unit = Unit(unit.conn, unit.db, foreign.pop(), unit.now_ms)
    for resource in need.resources:
        if resource != "*" and not sharing.shared_with(owner_unit, principal, need.action, resource):
            return own
    return owner_unit.account_id


def access_denied(principal: Principal, action: str, resource: str, decision: Decision) -> ServiceError:
    """AWS's refusal, worded as IAM words it."""
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.explicit_deny
        else f"because no identity-based policy allows the {action} action"
    )
    return ServiceError(
        "AccessDeniedException",
        f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} {why}",
    )


class _Context:
    """The condition keys of one request, resource tags read only when a condition asks for them."""

    __slots__ = ("_need", "_owner", "_principal", "_resource", "_secure", "_tags", "_unit")

    def __init__(
        self,
        unit: Unit,
        owner: str,
        resource: str,
        need: actions.Authorization,
        principal: Principal,
        secure: bool,
    ) -> None:
        """One resource of one call; its tags are not read yet."""
        self._unit = unit
        self._owner = owner
        self._resource = resource
        self._need = need
        self._principal = principal
        self._secure = secure
        self._tags: dict[str, str] | None = None

    def value(self, key: str) -> str | bool | list[str] | None:
        """The request's value of a condition key, None when the request has none."""
        # IAM compares the tag key of aws:ResourceTag/<key> and aws:RequestTag/<key> ignoring case.
        if key.startswith("aws:resourcetag/"):
            if self._tags is None:
                found = tags.get(self._unit.conn, self._owner, self._resource) if self._resource != "*" else {}
                self._tags = {name.lower(): value for name, value in found.items()}
            return self._tags.get(key.removeprefix("aws:resourcetag/").lower())
        if key.startswith("aws:requesttag/"):
            wanted = key.removeprefix("aws:requesttag/").lower()
            request_tags = self._need.request_tags or {}
            return next((value for name, value in request_tags.items() if name.lower() == wanted), None)
        if key == "aws:tagkeys":
            return list(self._need.tag_keys) if self._need.tag_keys is not None else None
        if key == "aws:principalaccount":
            return self._principal.account_id
        if key == "aws:principalarn":
            return self._principal.arn
        if key == "aws:securetransport":
            return self._secure
        return None
