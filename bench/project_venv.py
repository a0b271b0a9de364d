"""Rerun a `python bench/<name>.py` command under .venv when its interpreter lacks botocore or incidentd."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

VENV_PYTHON = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"


def use() -> None:
    """Replace this process with the same command under .venv's Python, unless everything is importable here."""
    if all(importlib.util.find_spec(name) is not None for name in ("botocore", "incidentd")):
        return
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    raise SystemExit("botocore and incidentd are not installed: run ./scripts/test or pip install '.[test]' first")
