"""Section citations in the code and tests (`aws-behaviour §3.1`, or just `§3.1`) resolve to headings of
docs/aws-behaviour.md, and nothing cites a document outside the repository.

No server is needed: the test reads the source files and the document.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (ROOT / "src" / "incidentd", ROOT / "tests")
DOCUMENT = ROOT / "docs" / "aws-behaviour.md"

# A section number after §, optionally a range (§3.9-3.11). A trailing full stop is not part of the number.
CITATION = re.compile(r"§(\d+(?:\.\d+)?)(?:[-–](\d+(?:\.\d+)?))?")
# A heading whose first word is a section number: `## 1. Wire protocol`, `### 1.5 Error responses`.
HEADING = re.compile(r"^#+\s+(\d+(?:\.\d+)*)\.?(?:\s|$)")
FENCE = re.compile(r"^\s*(```|~~~)")
# Documents that live outside the repository, which a newcomer with a clone can't open.
OUTSIDE = ("aws-semantics", "DESIGN §", "shared/reference")


def _source_files() -> list[Path]:
    """Every Python file of the package and the tests (this one aside), in a stable order."""
    found = (path for folder in SOURCES for path in folder.rglob("*.py") if "node_modules" not in path.parts)
    return sorted(path for path in found if path != Path(__file__).resolve())


def _where(path: Path, number: int) -> str:
    """A file and line as a failure message names them."""
    return f"{path.relative_to(ROOT)}:{number}"


def _citations() -> list[tuple[str, str]]:
    """(file:line, section number) of every citation of this document in the package and the tests."""
    found = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                found += [(_where(path, number), section) for section in match.groups() if section]
    return found


def _headings() -> list[str]:
    """The section numbers of the document's headings, in order, skipping fenced code."""
    numbers = []
    in_code = False
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        match = None if in_code else HEADING.match(line)
        if match:
            numbers.append(match.group(1))
    return numbers


def test_every_section_cited_in_the_code_has_a_heading() -> None:
    """Each § number in src/incidentd and tests names a heading of docs/aws-behaviour.md."""
    citations = _citations()
    assert citations, "no section citations found: has the citation pattern changed?"
    headings = set(_headings())
    missing = [f"{where}: §{section}" for where, section in citations if section not in headings]
    assert not missing, f"{DOCUMENT.relative_to(ROOT)} has no heading for:\n" + "\n".join(missing)


def test_section_numbers_are_not_repeated() -> None:
    """No two headings of docs/aws-behaviour.md share a number, so every citation has one target."""
    numbers = _headings()
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    assert not repeated, f"{DOCUMENT.relative_to(ROOT)} repeats the section numbers {repeated}"


def test_no_citation_names_a_document_outside_the_repository() -> None:
    """No source or test file cites a document that is not in the repository (the shared reference, DESIGN)."""
    naming = [
        f"{_where(path, number)}: {line.strip()}"
        for path in _source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(outside in line for outside in OUTSIDE)
    ]
    advice = "cite docs/aws-behaviour.md (aws-behaviour §N.N), or say what is meant, instead of:"
    assert not naming, "\n".join([advice, *naming])
