"""The permissions page's policies can't drift: its config loads, and `policy simulate` prints what it shows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from incidentd import cli, config

PAGE = Path(__file__).parents[2] / "docs" / "permissions.md"


def section() -> str:
    """The page's section on IAM policies, up to the next section."""
    text = PAGE.read_text()
    start = text.index("## IAM policies")
    return text[start : text.index("\n## ", start + 1)]


def test_the_example_config_loads_with_the_policies_it_describes() -> None:
    example = re.search(r"```toml\n(.*?)```", section(), re.S)
    assert example is not None

    settings = config.from_toml(tomllib.loads(example.group(1)))

    oncall = settings.principal("AKIAEXAMPLERESPOND01", "111122223333")
    assert oncall.policies is not None and [p.name for p in oncall.policies][0] == "IncidentManagerResolverAccess"
    assert settings.access.for_role("arn:aws:iam::111122223333:role/IncidentRunbooks") is not None


def test_the_simulate_example_prints_what_the_page_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = section()
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    shown = re.search(r"\$ incidentd policy simulate (.*?)\n(denied: .*?)\n```", text, re.S)
    assert example is not None and shown is not None
    (tmp_path / "incidentd.toml").write_text(example.group(1))
    arguments = shown.group(1).replace("\\\n", " ").replace("incidentd.toml", str(tmp_path / "incidentd.toml")).split()

    assert cli.main(["policy", "simulate", *arguments]) == 1
    assert capsys.readouterr().out.strip() == shown.group(2)
