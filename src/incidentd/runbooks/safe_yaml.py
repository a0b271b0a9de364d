"""YAML from tenants, read with limits: a few hundred bytes of nested aliases must not become hundreds of megabytes.

PyYAML's safe loader shares an aliased node instead of copying it, so loading an alias bomb is cheap; what
explodes is whatever walks the result afterwards (JSON rendering, validation, interpolation). The composer
here counts, as it builds the node graph, what the document would be once every alias is expanded: its size
in bytes (close to its compact JSON), its nodes and its depth, and refuses the document as soon as one passes
its limit. Composing from libyaml's events, when PyYAML has them, keeps the scanning in C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yaml.composer import Composer  # type: ignore[import-untyped]
from yaml.constructor import SafeConstructor  # type: ignore[import-untyped]
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent  # type: ignore[import-untyped]
from yaml.resolver import Resolver  # type: ignore[import-untyped]

try:
    from yaml._yaml import CParser as _EventSource  # type: ignore[import-untyped]
except ImportError:  # PyYAML built without libyaml: its pure-Python reader, scanner and parser
    from yaml.parser import Parser  # type: ignore[import-untyped]
    from yaml.reader import Reader  # type: ignore[import-untyped]
    from yaml.scanner import Scanner  # type: ignore[import-untyped]

    class _EventSource(Reader, Scanner, Parser):  # type: ignore[no-redef, misc]
        """The events of a YAML text, from PyYAML's own Python parser."""

        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)


@dataclass(frozen=True)
class Limits:
    """What one document may hold, counted with every alias expanded."""

    expanded_bytes: int
    nodes: int
    depth: int
    aliases: int


class LimitExceeded(ValueError):
    """A document past one of its limits; too_large when the limit passed is the expanded size."""

    def __init__(self, message: str, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def load(text: str, limits: Limits) -> Any:
    """The single document in text, as yaml.safe_load reads it; LimitExceeded or yaml.YAMLError otherwise."""
    loader = _LimitedLoader(text, limits)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _LimitedComposer(Composer):  # type: ignore[misc]
    """PyYAML's composer, counting each node's expanded size and node count as it composes them."""

    def __init__(self, limits: Limits) -> None:
        Composer.__init__(self)
        self._limits = limits
        self._aliases = 0
        # [bytes, nodes] of the collections being composed, innermost last: their depth is len(self._open).
        self._open: list[list[int]] = []
        # (bytes, nodes) of each finished anchored node, by id: an alias costs what its node costs.
        self._costs: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        """One node, composed by PyYAML, with its expanded cost added to the collection that holds it."""
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > self._limits.aliases:
                raise LimitExceeded(f"The content uses more than {self._limits.aliases} YAML aliases.")
            node = Composer.compose_node(self, parent, index)
            cost = self._costs.get(id(node))
            if cost is None:  # an alias inside the node it names: a structure that contains itself
                raise LimitExceeded("A YAML alias refers to a node that contains it.")
            self._add(*cost)
            return node
        anchored = self.peek_event().anchor is not None
        collection = self.check_event(SequenceStartEvent, MappingStartEvent)
        if collection:
            if len(self._open) >= self._limits.depth:
                raise LimitExceeded(f"The content is nested too deeply (more than {self._limits.depth} levels).")
            self._open.append([0, 0])
        node = Composer.compose_node(self, parent, index)
        if collection:
            size, count = self._open.pop()
            cost = (size + 2, count + 1)  # brackets, and the collection itself
        else:
            value = node.value
            size = len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
            cost = (size + 2, 1)  # with its quotes or a separator
        if anchored:
            self._costs[id(node)] = cost
        self._add(*cost)
        return node

    def _add(self, size: int, count: int) -> None:
        """Count a composed node into the collection holding it (or the document) and check the limits."""
        if self._open:
            totals = self._open[-1]
            totals[0] += size
            totals[1] += count
            size, count = totals
        if size > self._limits.expanded_bytes:
            raise LimitExceeded(
                f"The content is larger than {self._limits.expanded_bytes} bytes once its aliases are expanded.",
                too_large=True,
            )
        if count > self._limits.nodes:
            raise LimitExceeded(f"The content has more than {self._limits.nodes} values once its aliases are expanded.")


class _LimitedLoader(_LimitedComposer, _EventSource, SafeConstructor, Resolver):  # type: ignore[misc]
    """yaml.SafeLoader's parts (libyaml's parser when present) around the counting composer."""

    def __init__(self, text: str, limits: Limits) -> None:
        _EventSource.__init__(self, text)
        _LimitedComposer.__init__(self, limits)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


# Documents hold JSON's values only: a YAML timestamp (an unquoted 2024-01-01T00:00:00Z) stays the text it was
# written as, which is what the engine parses, and binary and set values take their JSON-shaped forms.
_LimitedLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)
_LimitedLoader.add_constructor("tag:yaml.org,2002:binary", SafeConstructor.construct_yaml_str)
_LimitedLoader.add_constructor("tag:yaml.org,2002:set", SafeConstructor.construct_yaml_map)
