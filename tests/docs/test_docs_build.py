"""The documentation site builds with `mkdocs build --strict`, and every page under docs/ is in its navigation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The mkdocs of the environment running the tests, not whichever one is first on PATH.
MKDOCS = Path(sys.executable).with_name("mkdocs")


def build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of a project folder (mkdocs.yml and docs/) into a site folder."""
    # Material prints a banner about its future on every build unless told not to; it is noise in a failure message.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [str(MKDOCS), "build", "--strict", "--site-dir", str(site)]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)


def pages(nav: Any) -> Iterator[str]:
    """Every page file a nav names, however deeply its sections nest."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from pages(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from pages(value)


def test_the_site_builds_with_every_warning_an_error(tmp_path: Path) -> None:
    """A broken link, anchor or nav entry would stop the build; the pages come out as HTML."""
    result = build(ROOT, tmp_path / "site")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()
    assert (tmp_path / "site" / "console-incident.png").is_file()


def test_a_link_to_a_missing_heading_fails_the_build(tmp_path: Path) -> None:
    """The strict build checks anchors too, so a heading renamed without its links is caught."""
    project = tmp_path / "project"
    shutil.copytree(DOCS, project / "docs")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    index = project / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [nothing](configuration.md#no-such-heading).\n")

    result = build(project, tmp_path / "site")

    assert result.returncode != 0
    assert "no-such-heading" in result.stderr


def test_every_page_is_in_the_navigation() -> None:
    """A page left out of mkdocs.yml's nav would be built but found by no reader."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = set(pages(config["nav"]))
    written = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}

    assert written - listed == set(), "pages missing from mkdocs.yml's nav"
    assert listed - written == set(), "nav entries with no page"
