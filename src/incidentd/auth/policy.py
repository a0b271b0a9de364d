"""IAM identity policies: read and validate a policy document, then decide a request the way IAM does.

Only what incidentd evaluates faithfully is accepted. A document that uses anything else (another Version, a
Principal, a condition operator or key it does not know, a policy variable) is refused when it is read, with the
place named, instead of being read in a way that could allow more than its author meant.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

VERSION = "2012-10-17"

_TOP_LEVEL = ("Version", "Id", "Statement")
_ELEMENTS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")
# Condition keys incidentd can give a value for (compared lower-cased: IAM's key names are case-insensitive).
_KEYS = frozenset({"aws:tagkeys", "aws:principalaccount", "aws:principalarn", "aws:securetransport"})
_TAG_KEYS = ("aws:resourcetag/", "aws:requesttag/")
_SET_PREFIXES = {"ForAllValues:": "all", "ForAnyValue:": "any"}
_WILDCARD = re.compile(r"[*?]")
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


class ConditionContext(Protocol):
    """The request's side of the Condition block."""

    def value(self, key: str) -> str | bool | list[str] | None:
        """The request's value of a condition key (lower-cased key name, the tag key part as written), None when absent.

        For aws:resourcetag/<tag> and aws:requesttag/<tag> the tag key is passed as the policy wrote it; IAM
        matches it case-insensitively ("aws:ResourceTag/Team" finds a tag named Team or team), so the context
        compares tag keys without regard to case. aws:TagKeys is a list.
        """
        ...


def _glob(pattern: str) -> str:
    """The regular expression of an IAM wildcard pattern: `*` any run of characters, `?` one, the rest literal."""
    pattern = re.sub(r"\*+", "*", pattern)  # a run of stars means one; fewer `.*` backtrack less
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


class _Patterns:
    """A list of IAM wildcard patterns compiled for one question: does any of them match this value?

    Exact strings go in a set and a single trailing `*` becomes a prefix test; only the rest need a regex
    (all of them in one), so most statements never run the regex engine.
    """

    __slots__ = ("everything", "exact", "prefixes", "regex")

    def __init__(self, patterns: Iterable[str]) -> None:
        """Sort the patterns into the fast cases and one regex for the others."""
        exact: set[str] = set()
        prefixes: list[str] = []
        regexes: list[str] = []
        self.everything = False
        for pattern in patterns:
            stem = pattern.rstrip("*")
            if not stem:
                self.everything = True
            elif not _WILDCARD.search(pattern):
                exact.add(pattern)
            elif not _WILDCARD.search(stem):
                prefixes.append(stem)
            else:
                regexes.append(f"(?:{_glob(pattern)})")
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)
        self.regex = re.compile("|".join(regexes), re.DOTALL).fullmatch if regexes else None

    def match(self, value: str) -> bool:
        """Whether any of the patterns matches all of `value`."""
        return (
            self.everything
            or value in self.exact
            or value.startswith(self.prefixes)
            or (self.regex is not None and self.regex(value) is not None)
        )


@functools.lru_cache(maxsize=4096)
def _matcher(pattern: str, case_sensitive: bool) -> Callable[[str], bool]:
    """One pattern compiled, remembered: callers ask about the same few patterns over and over."""
    return _Patterns((pattern if case_sensitive else pattern.lower(),)).match


def matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """Whether an IAM wildcard pattern (`*` any run of characters, `?` one character) matches all of `value`."""
    return _matcher(pattern, case_sensitive)(value if case_sensitive else value.lower())


# --- conditions ---------------------------------------------------------------------------------------------


def _text(value: str | bool) -> str:
    """A request value as the string operators see it: a boolean as "true" or "false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class _Test:
    """One key under one condition operator, with the policy's values for it compiled."""

    __slots__ = ("absent", "key", "negated", "quantifier")

    def __init__(self, key: str, negated: bool, quantifier: str | None) -> None:
        """Work out once what the test says when the request has no value for the key."""
        self.key = key
        self.negated = negated
        self.quantifier = quantifier
        # IAM: a missing key fails a test, except a negated operator (it then holds); ForAllValues over no
        # values holds and ForAnyValue over no values fails, whatever the operator.
        self.absent = {None: negated, "all": True, "any": False}[quantifier]

    def positive(self, value: str | bool) -> bool:
        """Whether the operator without its negation matches one request value against any policy value."""
        raise NotImplementedError

    def holds(self, context: ConditionContext) -> bool:
        """Whether the request's value for the key passes the test."""
        value = context.value(self.key)
        if value is None:
            return self.absent
        if isinstance(value, list):
            if self.quantifier == "all":
                return all(self.positive(item) != self.negated for item in value)
            if self.quantifier == "any":
                return any(self.positive(item) != self.negated for item in value)
            # A plain operator on a request with several values (IAM wants a set operator for those): the positive
            # form matches when one of them does, the negated form when none does; no values is a missing key.
            return any(self.positive(item) for item in value) != self.negated
        # One value is a set of one, so ForAllValues and ForAnyValue agree with the plain operator on it.
        return self.positive(value) != self.negated


class _Equals(_Test):
    """StringEquals and StringNotEquals: exact, case-sensitive."""

    __slots__ = ("values",)

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Keep the policy's values as a set."""
        super().__init__(key, negated, quantifier)
        self.values = frozenset(values)

    def positive(self, value: str | bool) -> bool:
        """Whether the value is one of the policy's."""
        return _text(value) in self.values


class _Like(_Test):
    """StringLike and StringNotLike: case-sensitive, with `*` and `?` over the whole string."""

    __slots__ = ("patterns",)

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Compile the policy's patterns."""
        super().__init__(key, negated, quantifier)
        self.patterns = _Patterns(values)

    def positive(self, value: str | bool) -> bool:
        """Whether one of the policy's patterns matches the value."""
        return self.patterns.match(_text(value))


class _Arn(_Test):
    """ArnLike, ArnEquals and their negations: IAM gives ArnEquals the same meaning as ArnLike, each of the six
    colon-separated parts matched on its own (case-sensitive, wildcards within the part)."""

    __slots__ = ("exact", "segmented")

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Plain ARNs go in a set; patterns are compiled part by part."""
        super().__init__(key, negated, quantifier)
        self.exact = frozenset(value for value in values if not _WILDCARD.search(value))
        self.segmented = tuple(
            tuple(_Patterns((part,)) for part in value.split(":", 5)) for value in values if _WILDCARD.search(value)
        )

    def positive(self, value: str | bool) -> bool:
        """Whether the value is an ARN that one of the policy's ARNs matches part for part."""
        if isinstance(value, bool):
            return False
        if value in self.exact:
            return True
        parts = value.split(":", 5)
        if len(parts) != 6:
            return False
        return any(all(p.match(part) for p, part in zip(arn, parts, strict=True)) for arn in self.segmented)


class _Bool(_Test):
    """Bool: "true" or "false" (any case) against a boolean request value."""

    __slots__ = ("values",)

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Keep the policy's values as booleans."""
        super().__init__(key, negated, quantifier)
        self.values = frozenset(value == "true" for value in values)

    def positive(self, value: str | bool) -> bool:
        """Whether the request's boolean is one the policy names; a string counts when it reads true or false."""
        if not isinstance(value, bool):
            lowered = value.lower()
            if lowered not in ("true", "false"):
                return False
            value = lowered == "true"
        return value in self.values


class _Null(_Test):
    """Null: "true" holds when the request has no value for the key, "false" when it has one."""

    __slots__ = ("when_absent",)

    def __init__(self, key: str, values: Sequence[str]) -> None:
        """Keep which of absent (True) and present (False) the policy accepts."""
        super().__init__(key, negated=False, quantifier=None)
        self.when_absent = frozenset(value == "true" for value in values)

    def holds(self, context: ConditionContext) -> bool:
        """Whether the key's presence is what the policy asks; an empty list counts as no value."""
        value = context.value(self.key)
        return (value is None or value == []) in self.when_absent


_TESTS: dict[str, tuple[type[_Equals | _Like | _Arn | _Bool] | None, bool]] = {
    "StringEquals": (_Equals, False),
    "StringNotEquals": (_Equals, True),
    "StringLike": (_Like, False),
    "StringNotLike": (_Like, True),
    "ArnEquals": (_Arn, False),
    "ArnLike": (_Arn, False),
    "ArnNotEquals": (_Arn, True),
    "ArnNotLike": (_Arn, True),
    "Bool": (_Bool, False),
    "Null": (None, False),
}


def _split_operator(operator: str) -> tuple[str, str | None]:
    """An operator's base name and its set prefix ("all", "any" or None)."""
    for prefix, quantifier in _SET_PREFIXES.items():
        if operator.startswith(prefix):
            return operator.removeprefix(prefix), quantifier
    return operator, None


def _compile(operator: str, key: str, values: Sequence[str]) -> _Test:
    """The test of one validated (operator, lookup key, values) entry."""
    base, quantifier = _split_operator(operator)
    kind, negated = _TESTS[base]
    if kind is None:
        return _Null(key, values)
    return kind(key, negated, quantifier, values)


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
    _actions: _Patterns = field(init=False, repr=False, compare=False)
    _resources: _Patterns = field(init=False, repr=False, compare=False)
    _tests: tuple[_Test, ...] = field(init=False, repr=False, compare=False)
    # Whether a condition reads a resource's tags, which costs the caller a database look-up.
    costly: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compile once what evaluate asks on every request, and the decision the statement gives."""
        deny = self.effect == "Deny"
        decision = Decision(allowed=not deny, explicit_deny=deny, policy=self.policy, statement=self.name)
        object.__setattr__(self, "decision", decision)
        # Actions are case-insensitive: patterns are lower-cased here, the request's action in Policy.candidates.
        object.__setattr__(self, "_actions", _Patterns(action.lower() for action in self.actions))
        object.__setattr__(self, "_resources", _Patterns(self.resources))
        object.__setattr__(self, "_tests", tuple(_compile(*condition) for condition in self.conditions))
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
            base, quantifier = _split_operator(str(operator))
            if base not in _TESTS or (base == "Null" and quantifier is not None):
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
            value = _text(item)
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
