"""The Condition block of an IAM policy: each operator and key, compiled once and tested against a request."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Protocol

from incidentd.auth.patterns import WILDCARD, Patterns

SET_PREFIXES = {"ForAllValues:": "all", "ForAnyValue:": "any"}


class ConditionContext(Protocol):
    """The request's side of the Condition block."""

    def value(self, key: str) -> str | bool | list[str] | None:
        """The request's value of a condition key (lower-cased key name, the tag key part as written), None when absent.

        For aws:resourcetag/<tag> and aws:requesttag/<tag> the tag key is passed as the policy wrote it; IAM
        matches it case-insensitively ("aws:ResourceTag/Team" finds a tag named Team or team), so the context
        compares tag keys without regard to case. aws:TagKeys is a list.
        """
        ...


def as_text(value: str | bool) -> str:
    """A request value as the string operators see it: a boolean as "true" or "false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class Test(abc.ABC):
    """One key under one condition operator, with the policy's values for it compiled."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        """The lookup key the test reads."""
        self.key = key

    @abc.abstractmethod
    def holds(self, context: ConditionContext) -> bool:
        """Whether the request's value for the key passes the test."""


class _Compared(Test):
    """An operator that compares the request's values with the policy's: every one but Null."""

    __slots__ = ("absent", "negated", "quantifier")

    def __init__(self, key: str, negated: bool, quantifier: str | None) -> None:
        """Work out once what the test says when the request has no value for the key."""
        super().__init__(key)
        self.negated = negated
        self.quantifier = quantifier
        # IAM: a missing key fails a test, except a negated operator (it then holds); ForAllValues over no
        # values holds and ForAnyValue over no values fails, whatever the operator.
        self.absent = {None: negated, "all": True, "any": False}[quantifier]

    @abc.abstractmethod
    def positive(self, value: str | bool) -> bool:
        """Whether the operator without its negation matches one request value against any policy value."""

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


class _Equals(_Compared):
    """StringEquals and StringNotEquals: exact, case-sensitive."""

    __slots__ = ("values",)

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Keep the policy's values as a set."""
        super().__init__(key, negated, quantifier)
        self.values = frozenset(values)

    def positive(self, value: str | bool) -> bool:
        """Whether the value is one of the policy's."""
        return as_text(value) in self.values


class _Like(_Compared):
    """StringLike and StringNotLike: case-sensitive, with `*` and `?` over the whole string."""

    __slots__ = ("patterns",)

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Compile the policy's patterns."""
        super().__init__(key, negated, quantifier)
        self.patterns = Patterns(values)

    def positive(self, value: str | bool) -> bool:
        """Whether one of the policy's patterns matches the value."""
        return self.patterns.match(as_text(value))


class _Arn(_Compared):
    """ArnLike, ArnEquals and their negations: IAM gives ArnEquals the same meaning as ArnLike, each of the six
    colon-separated parts matched on its own (case-sensitive, wildcards within the part)."""

    __slots__ = ("exact", "segmented")

    def __init__(self, key: str, negated: bool, quantifier: str | None, values: Sequence[str]) -> None:
        """Plain ARNs go in a set; patterns are compiled part by part."""
        super().__init__(key, negated, quantifier)
        self.exact = frozenset(value for value in values if not WILDCARD.search(value))
        self.segmented = tuple(
            tuple(Patterns((part,)) for part in value.split(":", 5)) for value in values if WILDCARD.search(value)
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


class _Bool(_Compared):
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


class _Null(Test):
    """Null: "true" holds when the request has no value for the key, "false" when it has one."""

    __slots__ = ("when_absent",)

    def __init__(self, key: str, values: Sequence[str]) -> None:
        """Keep which of absent (True) and present (False) the policy accepts."""
        super().__init__(key)
        self.when_absent = frozenset(value == "true" for value in values)

    def holds(self, context: ConditionContext) -> bool:
        """Whether the key's presence is what the policy asks; an empty list counts as no value."""
        value = context.value(self.key)
        return (value is None or value == []) in self.when_absent


TESTS: dict[str, tuple[type[_Equals | _Like | _Arn | _Bool] | None, bool]] = {
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


def split_operator(operator: str) -> tuple[str, str | None]:
    """An operator's base name and its set prefix ("all", "any" or None)."""
    for prefix, quantifier in SET_PREFIXES.items():
        if operator.startswith(prefix):
            return operator.removeprefix(prefix), quantifier
    return operator, None


def compile_test(operator: str, key: str, values: Sequence[str]) -> Test:
    """The test of one validated (operator, lookup key, values) entry."""
    base, quantifier = split_operator(operator)
    kind, negated = TESTS[base]
    if kind is None:
        return _Null(key, values)
    return kind(key, negated, quantifier, values)
