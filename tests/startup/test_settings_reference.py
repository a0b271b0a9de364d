"""The settings the readers accept are the settings the reference documents and the example config shows."""

from __future__ import annotations

import re
from pathlib import Path

from incidentd import config

ROOT = Path(__file__).resolve().parents[2]


def _documented() -> set[str]:
    """The names in the "Config file" column of docs/configuration.md's settings tables (not its other tables)."""
    names: set[str] = set()
    in_settings = False
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if not cells:
            in_settings = False  # a table ends at the first line that is not a row
        elif cells[:2] == ["Environment", "Config file"]:
            in_settings = True
        elif in_settings and len(cells) >= 4:
            names.update(re.findall(r"`([^`]+)`", cells[1]))
    return names


def _in_example() -> set[str]:
    """Every key of incidentd.example.toml, commented out or not, named by the table it is under."""
    found: set[str] = set()
    place = ""
    for line in (ROOT / "incidentd.example.toml").read_text().splitlines():
        text = re.sub(r"^#\s?", "", line.strip())
        header = re.match(r"^(\[\[?)([^\]]+)(\]\]?)\s*(#.*)?$", text)
        if header:
            name = 'secrets."ID"' if header.group(2).startswith("secrets.") else header.group(2)
            place = f"{header.group(1)}{name}{header.group(3)}"
            continue
        key = re.match(r"^([A-Za-z_]+)\s*=", text)
        if key:
            found.add(f"{place} {key.group(1)}" if place else key.group(1))
    return found


def test_the_reference_documents_exactly_the_settings_incidentd_reads() -> None:
    assert set(config.setting_names()) == _documented()


def test_the_example_config_shows_exactly_the_settings_incidentd_reads() -> None:
    assert set(config.setting_names()) == _in_example()
