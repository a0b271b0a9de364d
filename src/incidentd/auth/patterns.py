"""IAM wildcard patterns (`*` any run of characters, `?` one), compiled once and matched fast."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

WILDCARD = re.compile(r"[*?]")


def _glob(pattern: str) -> str:
    """The regular expression of an IAM wildcard pattern: `*` any run of characters, `?` one, the rest literal."""
    pattern = re.sub(r"\*+", "*", pattern)  # a run of stars means one; fewer `.*` backtrack less
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


class Patterns:
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
            elif not WILDCARD.search(pattern):
                exact.add(pattern)
            elif not WILDCARD.search(stem):
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
    return Patterns((pattern if case_sensitive else pattern.lower(),)).match


def matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """Whether an IAM wildcard pattern (`*` any run of characters, `?` one character) matches all of `value`."""
    return _matcher(pattern, case_sensitive)(value if case_sensitive else value.lower())
