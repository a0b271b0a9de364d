"""IAM identity policies: read and validate a policy document, then decide a request the way IAM does.

Only what incidentd evaluates faithfully is accepted. A document that uses anything else (another Version, a
Principal, a condition operator or key it does not know, a policy variable) is refused when it is read, with the
place named, instead of being read in a way that could allow more than its author meant. The Condition block's
operators live in auth/conditions.py, the wildcard patterns in auth/patterns.py.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from incidentd.auth.conditions import TESTS, ConditionContext, Test, as_text, compile_test, split_operator
from incidentd.auth.patterns import Patterns

VERSION = "2012-10-17"

_TOP_LEVEL = ("Version", "Id", "Statement")
_ELEMENTS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")
# Condition keys incidentd can give a value for (compared lower-cased: IAM's key names are case-insensitive).
_KEYS = frozenset({"aws:tagkeys", "aws:principalaccount", "aws:principalarn", "aws:securetransport"})
_TAG_KEYS = ("aws:resourcetag/", "aws:requesttag/")
# Distinct actions remembered per policy; the API has about a hundred, so this only bounds odd callers.
_ACTION_MEMO = 1024


class PolicyError(ValueError):
    """A policy document incidentd will not evaluate; the message names the place, e.g. "policy 'ops':
    Statement[2].Condition: operator 'DateGreaterThan' is not evaluated by incidentd"."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policies say about one request, and which statement said it."""

    allowed: bool
    explicit_deny: bool  # a Deny statement matched
    policy: str | None  # the policy whose statement decided; None for an implicit deny
    statement: str | None  # that statement's Sid, else "Statement[<index>]" (0-based)


IMPLICIT_DENY = Decision(allowed=False, explicit_deny=False, policy=None, statement=None)

# --- statements and policies ----------------------------------------------------------------------------------

Condition = tuple[str, str, tuple[str, ...]]  # (operator as written, lookup key, the policy's values as strings)


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, as validated; its patterns and conditions are compiled for evaluate."""

    policy: str
    index: int
    sid: str | None
    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...]
    not_action: bool  # actions are NotAction's: the statement covers every other action
    resources: tuple[str, ...]
    not_resource: bool  # resources are NotResource's: the statement covers every other resource
    conditions: tuple[Condition, ...] = ()
    decision: Decision = field(init=False, repr=False, compare=False)
    _actions: Patterns = field(init=False, repr=False, compare=False)
    _resources: Patterns = field(init=False, repr=False, compare=False)
    _tests: tuple[Test, ...] = field(init=False, repr=False, compare=False)
    # Whether a condition reads a resource's tags, which costs the caller a database look-up.
    costly: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compile once what evaluate asks on every request, and the decision the statement gives."""
        deny = self.effect == "Deny"
        decision = Decision(allowed=not deny, explicit_deny=deny, policy=self.policy, statement=self.name)
        object.__setattr__(self, "decision", decision)
        # Actions are case-insensitive: patterns are lower-cased here, the request's action in Policy.candidates.
        object.__setattr__(self, "_actions", Patterns(action.lower() for action in self.actions))
        object.__setattr__(self, "_resources", Patterns(self.resources))
        object.__setattr__(self, "_tests", tuple(compile_test(*condition) for condition in self.conditions))
        costly = any(key.startswith("aws:resourcetag/") for _, key, _ in self.conditions)
        object.__setattr__(self, "costly", costly)

    @property
    def name(self) -> str:
        """The statement's Sid, else its place in the policy."""
        return self.sid or f"Statement[{self.index}]"

    def covers_action(self, lowered_action: str) -> bool:
        """Whether Action (or NotAction) takes in the action, given lower-cased."""
        return self._actions.match(lowered_action) != self.not_action

    def covers_resource(self, resource: str) -> bool:
        """Whether Resource (or NotResource) takes in the resource.

        A listing's resource is "*": Resource "*" takes it in and an ARN pattern does not, as in IAM. NotResource
        with ARNs takes it in ("*" is not one of them): IAM says NotResource matches every resource except those
        listed, so a Deny with NotResource also denies the listings.
        """
        return self._resources.match(resource) != self.not_resource

    def holds(self, context: ConditionContext) -> bool:
        """Whether every condition holds."""
        for test in self._tests:
            if not test.holds(context):
                return False
        return True


@dataclass(frozen=True)
class Policy:
    """A parsed, validated identity policy."""

    name: str  # what the config called it: a built-in name, 'inline #1', a file path
    statements: tuple[Statement, ...]
    document: dict[str, Any] = field(compare=False)  # the JSON object as given, for printing
    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_request: dict[tuple[str, str], tuple[Statement, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def candidates(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action or NotAction covers the action, worked out once per action."""
        found = self._by_action.get(action)
        if found is None:
            lowered = action.lower()
            found = tuple(statement for statement in self.statements if statement.covers_action(lowered))
            if len(self._by_action) >= _ACTION_MEMO:
                self._by_action.clear()
            self._by_action[action] = found
        return found

    def covering(self, action: str, resource: str) -> tuple[Statement, ...]:
        """The statements whose Action and Resource (or their Not forms) take in this request, before conditions.

        Remembered per (action, resource), at most _ACTION_MEMO of them: a caller asks about the same few plans
        again and again, and matching patterns is most of a decision without conditions.
        """
        key = (action, resource)
        found = self._by_request.get(key)
        if found is None:
            found = tuple(statement for statement in self.candidates(action) if statement.covers_resource(resource))
            if len(self._by_request) >= _ACTION_MEMO:
                self._by_request.clear()
            self._by_request[key] = found
        return found


def evaluate(policies: Sequence[Policy], action: str, resource: str, context: ConditionContext) -> Decision:
    """IAM's order: any matching Deny wins (explicit deny), else any matching Allow, else implicit deny.

    Every Deny is looked at. Allows whose conditions read the resource's tags are looked at only when no other
    Allow matches: one Allow is as good as another, and the look-up is the dearest part of a decision.
    """
    allowed: Decision | None = None
    deferred: list[Statement] | None = None
    for policy in policies:
        for statement in policy.covering(action, resource):
            if statement.decision.explicit_deny:
                if statement.holds(context):
                    return statement.decision
            elif allowed is None:
                if statement.costly:
                    deferred = [statement] if deferred is None else [*deferred, statement]
                elif statement.holds(context):
                    allowed = statement.decision
    if allowed is None and deferred is not None:
        allowed = next((s.decision for s in deferred if s.holds(context)), None)
    return allowed if allowed is not None else IMPLICIT_DENY


# --- reading a document ---------------------------------------------------------------------------------------


class _Reader:
    """Reads one document, naming the policy and the place in every refusal."""

    def __init__(self, name: str) -> None:
        """Remember the policy's name for the messages."""
        self.name = name

    def error(self, place: str, problem: str) -> PolicyError:
        """A refusal that names the policy and the place."""
        return PolicyError(f"policy {self.name!r}: {place}: {problem}")

    def load(self, document: str | Mapping[str, Any]) -> Mapping[str, Any]:
        """The document as a JSON object."""
        if isinstance(document, str):
            try:
                document = json.loads(document, object_pairs_hook=self._no_duplicates)
            except json.JSONDecodeError as error:
                raise PolicyError(f"policy {self.name!r}: not valid JSON: {error}") from None
        if not isinstance(document, Mapping):
            raise PolicyError(f"policy {self.name!r}: the document is not a JSON object")
        return document

    def _no_duplicates(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        """A JSON object; the same name twice is refused (json would keep the last, IAM's reading is unclear)."""
        found: dict[str, Any] = {}
        for key, value in pairs:
            if key in found:
                raise PolicyError(f"policy {self.name!r}: {key}: appears twice in the same JSON object")
            found[key] = value
        return found

    def policy(self, document: Mapping[str, Any]) -> tuple[Statement, ...]:
        """The statements of a document, once its top level is checked."""
        for element in document:
            if element not in _TOP_LEVEL:
                raise self.error(str(element), "not a top-level policy element (Version, Id, Statement)")
        version = document.get("Version")
        if version != VERSION:
            hint = " (quote it in YAML)" if isinstance(version, datetime.date) else ""
            given = "missing" if version is None else f"{version!r} is not evaluated"
            raise self.error("Version", f"{given}: incidentd evaluates Version {VERSION!r} policies only{hint}")
        if "Id" in document and not isinstance(document["Id"], str):
            raise self.error("Id", "not a string")
        raw = document.get("Statement")
        if isinstance(raw, Mapping):
            raw = [raw]
        if not isinstance(raw, list | tuple) or not raw:
            raise self.error("Statement", "missing" if raw is None else "not a statement or a non-empty list of them")
        sids: set[str] = set()
        return tuple(self.statement(index, statement, sids) for index, statement in enumerate(raw))

    def statement(self, index: int, raw: Any, sids: set[str]) -> Statement:
        """One statement, checked element by element."""
        place = f"Statement[{index}]"
        if not isinstance(raw, Mapping):
            raise self.error(place, "not a JSON object")
        for element in raw:
            if element in ("Principal", "NotPrincipal"):
                raise self.error(f"{place}.{element}", "not allowed in an identity policy (it applies to its holder)")
            if element not in _ELEMENTS:
                raise self.error(f"{place}.{element}", "not a statement element")
        sid = raw.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                raise self.error(f"{place}.Sid", "not a string")
            if sid in sids:
                raise self.error(f"{place}.Sid", f"{sid!r} is the Sid of an earlier statement (IAM wants them unique)")
            sids.add(sid)
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise self.error(f"{place}.Effect", f"{effect!r} is neither 'Allow' nor 'Deny'")
        actions, not_action = self.either(raw, place, "Action", self.action)
        resources, not_resource = self.either(raw, place, "Resource", self.resource)
        conditions = self.conditions(raw.get("Condition", {}), f"{place}.Condition")
        return Statement(self.name, index, sid, effect, actions, not_action, resources, not_resource, conditions)

    def either(
        self, raw: Mapping[str, Any], place: str, element: str, check: Callable[[str, str], None]
    ) -> tuple[tuple[str, ...], bool]:
        """The values of Action or NotAction (Resource or NotResource): exactly one of the two; True for the Not."""
        negative = f"Not{element}"
        if (element in raw) == (negative in raw):
            given = "both" if element in raw else "neither"
            raise self.error(place, f"has {given} of {element} and {negative}: it needs exactly one")
        used = element if element in raw else negative
        values = self.strings(raw[used], f"{place}.{used}")
        for i, value in enumerate(values):
            where = f"{place}.{used}" if isinstance(raw[used], str) else f"{place}.{used}[{i}]"
            self.no_variable(value, where)
            check(value, where)
        return values, used == negative

    def strings(self, raw: Any, place: str) -> tuple[str, ...]:
        """A string or a non-empty list of strings, as a tuple."""
        if isinstance(raw, str):
            return (raw,)
        if not isinstance(raw, list | tuple) or not raw:
            raise self.error(place, "not a string or a non-empty list of strings")
        for i, value in enumerate(raw):
            if not isinstance(value, str):
                raise self.error(f"{place}[{i}]", "not a string")
        return tuple(raw)

    def no_variable(self, value: str, place: str) -> None:
        """Refuse a policy variable: incidentd does not substitute them, and read literally they mean something else."""
        if "${" in value:
            raise self.error(place, f"{value!r} has a policy variable, which incidentd does not substitute")

    def action(self, value: str, place: str) -> None:
        """An action is "*" or "service:operation" (either part may have wildcards)."""
        service, colon, operation = value.partition(":")
        if value != "*" and not (service and colon and operation):
            raise self.error(place, f"{value!r} is not an action: 'service:Operation' or '*'")

    def resource(self, value: str, place: str) -> None:
        """A resource is "*" or an ARN (pattern)."""
        if value != "*" and not value.startswith("arn:"):
            raise self.error(place, f"{value!r} is not a resource: an ARN or '*'")

    def conditions(self, raw: Any, place: str) -> tuple[Condition, ...]:
        """The Condition block as (operator, lookup key, values) entries; all must hold, in any order."""
        if not isinstance(raw, Mapping):
            raise self.error(place, "not a JSON object of condition operators")
        found: list[Condition] = []
        for operator, keys in raw.items():
            base, quantifier = split_operator(str(operator))
            if base not in TESTS or (base == "Null" and quantifier is not None):
                raise self.error(place, f"operator {operator!r} is not evaluated by incidentd")
            if not isinstance(keys, Mapping):
                raise self.error(f"{place}.{operator}", "not a JSON object of condition keys")
            for key, values in keys.items():
                lookup = self.key(str(key), f"{place}.{operator}")
                found.append((operator, lookup, self.values(base, values, f"{place}.{operator}.{key}")))
        return tuple(found)

    def key(self, key: str, place: str) -> str:
        """The name a condition key is looked up by: lower-cased, but a tag key as written."""
        self.no_variable(key, place)
        lowered = key.lower()
        if lowered in _KEYS:
            return lowered
        for prefix in _TAG_KEYS:
            if key[: len(prefix)].lower() == prefix and len(key) > len(prefix):
                return prefix + key[len(prefix) :]
        raise self.error(place, f"key {key!r} is not evaluated by incidentd")

    def values(self, operator: str, raw: Any, place: str) -> tuple[str, ...]:
        """A key's values (any one may match) as strings; JSON booleans read as "true" and "false"."""
        items = raw if isinstance(raw, list | tuple) else [raw]
        values: list[str] = []
        for item in items:
            if not isinstance(item, str | bool):
                raise self.error(place, f"{item!r} is not a string or a boolean (lists of them are fine)")
            value = as_text(item)
            self.no_variable(value, place)
            if operator in ("Bool", "Null"):
                if value.lower() not in ("true", "false"):
                    raise self.error(place, f"{operator} takes 'true' or 'false', not {value!r}")
                value = value.lower()
            elif operator.startswith("Arn") and len(value.split(":", 5)) != 6:
                raise self.error(place, f"{value!r} is not an ARN (arn:partition:service:region:account:resource)")
            values.append(value)
        return tuple(values)


def parse(document: str | Mapping[str, Any], name: str) -> Policy:
    """Read and validate an identity policy; PolicyError names the place of anything incidentd does not evaluate.

    Refused: bad JSON; a Version other than "2012-10-17", or none; an unknown top-level or statement element;
    Principal or NotPrincipal; both or neither of Action and NotAction, of Resource and NotResource; an Effect
    other than Allow or Deny; a condition operator or key incidentd does not evaluate; a policy variable "${...}"
    in an action, a resource or a condition; a non-string where a string is wanted. Statement may be one object
    or a list; Action and Resource a string or a list of strings; Sid is optional.
    """
    reader = _Reader(name)
    loaded = reader.load(document)
    statements = reader.policy(loaded)
    return Policy(name, statements, dict(loaded))
