"""Runs an aws:executeScript handler in a separate Python process: empty environment, temp directory, time limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The child reads {script, handler, events, context} on stdin and writes {"ok": value} or {"error": text} to
# result.json in its working directory, so that whatever the script prints can't be taken for its result.
_DRIVER = r"""
import json, sys, traceback
request = json.load(sys.stdin)
try:
    namespace = {"__name__": "automation_script"}
    exec(compile(request["script"], "<script>", "exec"), namespace)
    handler = namespace.get(request["handler"])
    if not callable(handler):
        raise NameError("the script defines no function named " + request["handler"])
    result = {"ok": handler(request["events"], request["context"])}
    text = json.dumps(result)
except BaseException as exc:
    lines = traceback.format_exception_only(type(exc), exc)
    text = json.dumps({"error": "".join(lines).strip()})
with open("result.json", "w") as out:
    out.write(text)
"""
OUTPUT_LIMIT = 4000  # characters of the script's own output kept in the step's outputs
POLL_SECONDS = 0.1


@dataclass
class ScriptResult:
    """What a script came to: its return value, or why it failed; its printed output."""

    ok: bool
    value: Any = None
    error: str = ""
    output: str = ""


def run(
    script: str,
    handler: str,
    events: Any,
    context: dict[str, Any],
    timeout: float,
    keep_going: Callable[[], bool] = lambda: True,
    check_every: float = 10.0,
) -> ScriptResult:
    """Run the handler and wait at most `timeout` seconds; keep_going() is asked now and then (False kills it)."""
    with tempfile.TemporaryDirectory(prefix="incidentd-script-") as workdir:
        driver = Path(workdir) / "driver.py"
        driver.write_text(_DRIVER)
        request = json.dumps({"script": script, "handler": handler, "events": events, "context": context})
        log_path = Path(workdir) / "output.log"
        with open(log_path, "wb") as log:
            # -I: isolated mode (no user site, no PYTHON* variables); env={}: none of the server's secrets.
            process = subprocess.Popen(
                [sys.executable, "-I", str(driver)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env={},
                start_new_session=True,  # its own process group, so a timeout kills what it started too
            )
            assert process.stdin is not None
            try:
                process.stdin.write(request.encode())
                process.stdin.close()
            except BrokenPipeError:
                pass
            stopped = _wait(process, timeout, keep_going, check_every)
        output = log_path.read_text(errors="replace")[-OUTPUT_LIMIT:]
        if stopped:
            return ScriptResult(False, error=stopped, output=output)
        result_path = Path(workdir) / "result.json"
        if not result_path.exists():
            return ScriptResult(False, error=f"The script ended with exit code {process.returncode}.", output=output)
        result = json.loads(result_path.read_text())
    if "error" in result:
        return ScriptResult(False, error=result["error"], output=output)
    return ScriptResult(True, value=result["ok"], output=output)


def _wait(process: subprocess.Popen[bytes], timeout: float, keep_going: Callable[[], bool], every: float) -> str:
    """Wait for the process; kill it and say why when time runs out or keep_going() says stop."""
    deadline = time.monotonic() + timeout
    next_check = time.monotonic() + every
    while process.poll() is None:
        now = time.monotonic()
        if now >= deadline:
            _kill(process)
            return f"The script did not finish within {timeout:g} seconds and was stopped."
        if now >= next_check:
            next_check = now + every
            if not keep_going():
                _kill(process)
                return "The execution was stopped while the script ran."
        time.sleep(POLL_SECONDS)
    return ""


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
