"""incidentd.example.toml loads as it is, its commented-out examples load too, and it has every setting there is."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from incidentd import config
from incidentd.config import reference

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "incidentd.example.toml"
REFERENCE = ROOT / "docs" / "configuration.md"
# A commented-out setting: `# [section]`, `# [[array]]` or `# key = value`; any other comment is prose.
COMMENTED_SETTING = re.compile(r'^# ?(\[\[?[A-Za-z_."-]+\]\]?\s*$|[A-Za-z_"][\w".-]*\s*=\s)')
# A row of the reference's tables: | Environment | Config file | Default | Meaning |
ROW = re.compile(r"^\|(?P<environment>[^|]*)\|(?P<config>[^|]*)\|[^|]*\|[^|]*\|\s*$")


def uncommented(text: str) -> str:
    """The example with every commented-out setting switched on."""
    return "\n".join(COMMENTED_SETTING.sub(r"\1", line) for line in text.splitlines())


def reference_settings() -> tuple[set[str], set[str]]:
    """The settings the configuration reference's tables name: config-file places, and environment variables."""
    places: set[str] = set()
    variables: set[str] = set()
    in_settings = False  # only the tables headed | Environment | Config file | ... name settings
    for line in REFERENCE.read_text().splitlines():
        row = ROW.match(line)
        if row is None:
            in_settings = False  # a table ends at the first line that is not a row
            continue
        if row["environment"].strip() == "Environment" and row["config"].strip() == "Config file":
            in_settings = True
        if not in_settings or set(row["config"].strip()) <= {"-", " "}:
            continue
        places.update(re.findall(r"`([^`]+)`", row["config"]))
        variables.update(re.findall(r"`(INCIDENTD_[A-Z_]+)`", row["environment"]))
    places.discard("Config file")
    return places, variables


def present(tree: Any, path: list[str], key: str) -> bool:
    """Whether the parsed file holds `key` at `path`; an array looks in any of its entries, a placeholder name
    (ID, NAME) in any table there."""
    if isinstance(tree, list):
        return any(present(entry, path, key) for entry in tree)
    if not isinstance(tree, dict):
        return False
    if not path:
        return key in tree
    step, rest = path[0], path[1:]
    if step in ("ID", "NAME"):
        return any(present(child, rest, key) for child in tree.values())
    return step in tree and present(tree[step], rest, key)


def located(tree: dict[str, Any], name: str) -> bool:
    """Whether a setting named as the reference names it (`key`, `[a.b] key`, `[[a]] key`) is in the parsed file."""
    place, _, key = name.rpartition(" ")
    steps = [step.strip('"') for step in re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", place.strip("[]"))]
    return present(tree, [step for step in steps if step], key)


def test_the_example_loads_as_it_is_and_changes_nothing() -> None:
    settings = config.load(str(EXAMPLE), environ={})

    defaults = config.load(None, environ={})
    assert settings == defaults
    assert settings.development


def test_its_commented_out_examples_load_too() -> None:
    """A line uncommented as it stands is a valid setting."""
    raw = tomllib.loads(uncommented(EXAMPLE.read_text()))

    settings = config.from_toml(raw, {}, EXAMPLE.parent)

    assert not settings.development
    assert settings.delivery.smtp is not None and settings.console.oidc is not None


def test_every_setting_the_readers_accept_is_in_the_example() -> None:
    raw = tomllib.loads(uncommented(EXAMPLE.read_text()))

    missing = [name for name in reference.setting_names() if not located(raw, name)]

    assert not missing


def test_every_setting_of_the_configuration_reference_is_in_the_example() -> None:
    places, variables = reference_settings()
    text = EXAMPLE.read_text()
    raw = tomllib.loads(uncommented(text))

    assert len(places) > 50, "the reference's tables were read"
    assert not [name for name in sorted(places) if not located(raw, name)]
    assert not [variable for variable in sorted(variables) if variable not in text]
