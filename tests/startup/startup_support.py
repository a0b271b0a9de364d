"""Running the `incidentd` console script as a user would, and checking that a refusal is one line that helps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# The console script the package installs beside the interpreter, as a user runs it.
INCIDENTD = str(Path(sys.executable).parent / "incidentd")
# The PostgreSQL cases run where the suite runs PostgreSQL (INCIDENTD_TEST_DATABASES, as in conftest.py).
needs_postgres = pytest.mark.skipif(
    "postgresql" not in os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(","),
    reason="INCIDENTD_TEST_DATABASES leaves PostgreSQL out",
)
# A log line: "2026-12-06 19:35:02,681 ERROR incidentd: ..." in the default text format.
LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose home is `home`: no INCIDENTD_* or XDG_* settings inherited from the runner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTD_", "XDG_", "AWS_"))}
    env["HOME"] = str(home)
    env.update(extra)
    return env


def incidentd(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `incidentd ARGS` to its end."""
    return subprocess.run([INCIDENTD, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=90)


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command printed, without the log prefix; fails unless it is exactly that."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "serving on" not in done.stderr
    return LOG_PREFIX.sub("", lines[0])


def says(line: str, *words: str) -> None:
    """The line names each of words (a setting, a path, the thing to do)."""
    missing = [word for word in words if word not in line]
    assert not missing, f"{line!r} lacks {missing}"
