"""Reading typed values out of the parsed TOML file: each reader names the setting it refuses, and why."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from incidentd.domain.urls import http_url

DEFAULT_REGION = "us-east-1"  # the region incidentd reports for itself unless `region` says otherwise


class ConfigError(ValueError):
    """A setting that can't be used: `incidentd` says which and exits with status 2."""


def table(value: Any, where: str) -> Mapping[str, Any]:
    """A TOML table."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table")
    return value


def section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The file's [name] table, empty when absent."""
    return table(raw.get(name, {}), f"[{name}] in the config file")


def tables(raw: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """The file's [[name]] array of tables, empty when absent."""
    entries = raw.get(name, [])
    if not isinstance(entries, list):
        raise ConfigError(f"{name} must be an array of tables: [[{name}]]")
    return [table(entry, f"[[{name}]] entry {number}") for number, entry in enumerate(entries, 1)]


def number(value: Any, where: str, *, minimum: float = -math.inf, above: float | None = None) -> float:
    """A finite number (an integer or a float, or text of one from the environment), within bounds."""
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, not {value!r}")
    try:
        found = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be a number, not {value!r}") from None
    if not math.isfinite(found) or found < minimum or (above is not None and found <= above):
        bound = f"more than {above:g}" if above is not None else f"{minimum:g} or more"
        raise ConfigError(f"{where} must be {bound}, not {value!r}")
    return found


def positive(value: Any, where: str) -> float:
    """A number above zero."""
    return number(value, where, above=0)


def boolean(value: Any, where: str) -> bool:
    """true or false (in the environment also 1/0, yes/no, on/off)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
    raise ConfigError(f"{where} must be true or false, not {value!r}")


def text(value: Any, where: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string")
    return value


def strings(value: Any, where: str) -> tuple[str, ...]:
    """A list of strings."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def url(value: Any, where: str) -> str:
    """An http(s) URL setting."""
    try:
        return http_url(text(value, where))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def no_unknown(found: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """A misspelt key would otherwise be ignored silently, and what it meant to set never take effect."""
    known = sorted(allowed)
    unknown = sorted(str(key) for key in found if key not in known)
    if not unknown:
        return
    key = unknown[0]
    # A shortened key ("lease" for lease_seconds) is as likely as a misspelt one.
    close = difflib.get_close_matches(key, known, n=1) or [k for k in known if k.startswith(key)][:1]
    advice = f"did you mean `{close[0]}`?" if close else f"the keys allowed there are {', '.join(known)}"
    raise ConfigError(f"{where}: unknown key {key} ({advice})")


_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def account_id(value: Any, where: str) -> str:
    """An AWS account id: exactly 12 digits (best quoted: a TOML integer can't keep leading zeros)."""
    found = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(found, str) or not _ACCOUNT_ID.match(found):
        raise ConfigError(f'{where} must be a 12-digit account id (12 digits, such as "111122223333"), not {value!r}')
    return found
