"""`{{ name }}` references in step inputs: parameters, step outputs and the automation and global variables."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_REFERENCE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


class Unresolved(ValueError):
    """A reference that names nothing the execution knows."""


def resolve(value: Any, variables: Mapping[str, Any]) -> Any:
    """A copy of an input value with every reference replaced, recursively through lists and maps."""
    if isinstance(value, str):
        return _string(value, variables)
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, variables) for key, item in value.items()}
    return value


def _string(text: str, variables: Mapping[str, Any]) -> Any:
    whole = _REFERENCE.fullmatch(text.strip())
    if whole is not None:
        # A reference standing alone keeps its value's type: a StringList stays a list, an Integer a number.
        return _lookup(whole.group(1), variables)
    return _REFERENCE.sub(lambda match: as_text(_lookup(match.group(1), variables)), text)


def _lookup(name: str, variables: Mapping[str, Any]) -> Any:
    if name in variables:
        return variables[name]
    if name.startswith("ssm:") or name.startswith("ssm-secure:"):
        raise Unresolved(f"{{{{ {name} }}}}: Parameter Store references are not supported by incidentd.")
    raise Unresolved(f"{{{{ {name} }}}} does not name a parameter, a step output or a variable of this execution.")


def as_text(value: Any) -> str:
    """A value embedded in a longer string: strings as they are, booleans as true/false, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def references(value: Any) -> set[str]:
    """Every name referenced anywhere in a value."""
    if isinstance(value, str):
        return set(_REFERENCE.findall(value))
    if isinstance(value, list):
        return set().union(*(references(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(references(item) for item in value.values())) if value else set()
    return set()
