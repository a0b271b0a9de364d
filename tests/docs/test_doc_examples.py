"""Every shell and Python block of the README and the docs runs, as written, against a real server.

For each page, its shell blocks run in order in one bash process, and its Python blocks in order in one
interpreter, each against a server of its own: `incidentd serve` in development mode on an empty database, started
with the page's `<!-- test: config -->` TOML blocks (concatenated) as its config file. The text `127.0.0.1:4570`
(the documented default address) becomes the server's real one, and everything else runs as a reader would run it:
the venv's `incidentd` and `aws` on PATH, the development key in the environment, a fresh HOME and working folder.

Directives (an HTML comment on the line above a block, invisible on the site):
- `<!-- test: config -->` on a TOML block: part of the page's server config.
- `<!-- test: server -->` on the block that starts the server: the harness starts it instead.
- `<!-- test: skip (reason) -->`: only for the install and test commands and commands that never end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import DIRECTIVES, PYTHON, ROOT, SHELL, SKIPPABLE, Block, blocks, documents

from support import free_port, wait_for_port

BIN = Path(sys.executable).parent
DEFAULT_ADDRESS = "127.0.0.1:4570"
PAGE_TIMEOUT = 240  # seconds for all of one page's blocks of one language


def _walkthroughs() -> list[tuple[Path, str]]:
    """(page, language) for every page that has blocks of that language to run."""
    found = []
    for path in documents():
        languages = {block.language for block in blocks(path) if block.executable and block.directive is None}
        for language, names in (("shell", SHELL), ("python", PYTHON)):
            if languages & names:
                found.append((path, language))
    return found


def test_directives_are_known_and_skips_are_few() -> None:
    """A misspelt directive would silently run (or not run) a block; a skip is allowed only where it must be."""
    for path in documents():
        for block in blocks(path):
            if block.directive is None:
                continue
            assert block.directive in DIRECTIVES, f"{block.where}: unknown directive {block.directive!r}"
            if block.directive == "config":
                assert block.language == "toml", f"{block.where}: config directive on a {block.language} block"
            if block.directive == "skip":
                assert block.reason, f"{block.where}: a skip must say why"
                assert SKIPPABLE.search(block.text), f"{block.where}: only install, test or --follow commands skip"


def test_every_page_with_examples_is_run() -> None:
    """The walkthrough list is not empty and includes the README's quick start."""
    pages = {path.name for path, _ in _walkthroughs()}
    assert "README.md" in pages


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "language"),
    _walkthroughs(),
    ids=[f"{path.relative_to(ROOT)}-{language}" for path, language in _walkthroughs()],
)
def test_examples_run(path: Path, language: str, tmp_path: Path) -> None:
    """The page's blocks of one language run in order without an error against a fresh development server."""
    page = blocks(path)
    names = SHELL if language == "shell" else PYTHON
    runnable = [block for block in page if block.language in names and block.directive is None]
    config = "".join(block.text for block in page if block.directive == "config")
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    port = free_port()
    env = _reader_environment(home)
    server = _start_server(work, env, config, port)
    try:
        script, command = _program(runnable, language, port, work)
        result = subprocess.run(
            command, cwd=work, env=env, capture_output=True, text=True, timeout=PAGE_TIMEOUT, check=False
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    if result.returncode != 0:
        last = [line for line in result.stderr.splitlines() if line.startswith("### block ")]
        where = last[-1][len("### block ") :] if last else "before the first block"
        log = (work / "server.log").read_text()[-3000:]
        pytest.fail(
            f"{language} example at {where} failed (exit {result.returncode})\n--- stdout\n{result.stdout[-3000:]}"
            f"\n--- stderr\n{result.stderr[-3000:]}\n--- server log\n{log}\n--- script\n{script}"
        )


def _reader_environment(home: Path) -> dict[str, str]:
    """What a reader's shell has: the venv first on PATH, the development key, their own HOME; no INCIDENTD_*."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INCIDENTD_", "AWS_", "XDG_")) and key not in ("HOME", "PYTHONPATH")
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(home),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_PAGER="",
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_server(work: Path, env: dict[str, str], config: str, port: int) -> subprocess.Popen[bytes]:
    """`incidentd serve` as the README starts it, on the given port, with the page's config if it has one."""
    command = [str(BIN / "incidentd"), "serve", "--port", str(port)]
    if config:
        (work / "incidentd.toml").write_text(config)
        command += ["--config", str(work / "incidentd.toml")]
    with open(work / "server.log", "wb") as log:
        process = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, process)
    return process


def _program(runnable: list[Block], language: str, port: int, work: Path) -> tuple[str, list[str]]:
    """The page's blocks as one script, each preceded by a marker naming it; the command that runs it."""
    parts = []
    for block in runnable:
        text = block.text.replace(DEFAULT_ADDRESS, f"127.0.0.1:{port}")
        if language == "shell":
            parts.append(f"echo '### block {block.where}' >&2\n{text}")
        else:
            parts.append(f"print('### block {block.where}', file=__import__('sys').stderr, flush=True)\n{text}")
    if language == "shell":
        script = "set -euo pipefail\n" + "\n".join(parts)
        (work / "page.sh").write_text(script)
        return script, ["bash", str(work / "page.sh")]
    script = "\n".join(parts)
    (work / "page.py").write_text(script)
    return script, [str(BIN / "python"), str(work / "page.py")]
