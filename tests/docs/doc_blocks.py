"""Reading the fenced code blocks of the README and the docs, with the `<!-- test: ... -->` directive before each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
SHELL = {"sh", "bash", "shell"}
PYTHON = {"python", "py"}
DIRECTIVES = {"config", "server", "skip"}
# Only these may carry `skip`: what CI runs itself (the install and test commands) and commands that never end.
SKIPPABLE = re.compile(r"\./scripts/test|--follow|pip install")

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_DIRECTIVE = re.compile(r"^<!--\s*test:\s*(?P<name>[a-z]+)\b(?P<reason>.*?)-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its text and the directive that precedes it, if any."""

    path: Path
    line: int  # the line of the opening fence, counting from 1
    language: str
    text: str
    directive: str | None
    reason: str

    @property
    def where(self) -> str:
        """file:line, for failure messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def executable(self) -> bool:
        """Whether the suite runs this block (shell and Python)."""
        return self.language in SHELL | PYTHON


def documents() -> list[Path]:
    """The README and every page of the docs site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file, in order."""
    found: list[Block] = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening["fence"]
        language = opening["info"].strip().split(" ")[0].lower() if opening["info"].strip() else ""
        body: list[str] = []
        end = index + 1
        indent = opening["indent"]
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        directive, reason = _directive_before(lines, index)
        found.append(Block(path, index + 1, language, "\n".join(body) + "\n", directive, reason))
        index = end + 1
    return found


def _directive_before(lines: list[str], index: int) -> tuple[str | None, str]:
    """The `<!-- test: NAME (reason) -->` comment on the nearest non-blank line above a fence."""
    above = index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above < 0:
        return None, ""
    match = _DIRECTIVE.match(lines[above].strip())
    if match is None:
        return None, ""
    return match["name"], match["reason"].strip(" ()")
