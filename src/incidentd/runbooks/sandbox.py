"""Runs an aws:executeScript handler in a bubblewrap sandbox (sandbox_isolation) with resource limits and a deadline."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from incidentd.config.sections import RunbookSettings
from incidentd.runbooks import sandbox_isolation
from incidentd.runbooks.sandbox_isolation import IsolationError

# The child reads {script, handler, events, context, limits, result_fd} on stdin and writes {"ok": value} or
# {"error": text} to the result pipe, so that whatever the script prints can't be taken for its result. The limits
# are set before any of the script's code runs; an unprivileged process can lower them but never raise them again.
_DRIVER = r"""
import json, os, resource, sys, traceback
request = json.load(sys.stdin)
os.environ.pop("PWD", None)  # bwrap sets it after --clearenv; the script's environment stays empty
for name, (soft, hard) in request["limits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
result_fd = request["result_fd"]
os.set_inheritable(result_fd, False)
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
sys.stdout.flush()
with os.fdopen(result_fd, "w") as out:
    out.write(text)
"""
OUTPUT_LIMIT = 4000  # characters of the script's own output kept in the step's Response
POLL_SECONDS = 0.1
READ_BYTES = 65536
DRAIN_SECONDS = 2.0  # after the sandbox ended, how long its pipes may take to give their last bytes
CPU_EXHAUSTED = 128 + signal.SIGXCPU  # bwrap's exit status when the script died of its CPU limit
DEFAULT_SETTINGS = RunbookSettings()


@dataclass
class ScriptResult:
    """What a script came to: its return value, or why it failed; its printed output."""

    ok: bool
    value: Any = None
    error: str = ""
    output: str = ""


def limits(settings: RunbookSettings) -> dict[str, tuple[int, int]]:
    """The rlimits (soft, hard) of the script's processes."""
    mib = 1024 * 1024
    cpu = settings.script_cpu_seconds
    return {
        "RLIMIT_CPU": (cpu, cpu + 1),  # SIGXCPU at the soft limit says why; SIGKILL a second later if caught
        "RLIMIT_AS": (settings.script_memory_mib * mib,) * 2,
        "RLIMIT_NPROC": (settings.script_processes,) * 2,
        "RLIMIT_FSIZE": (settings.script_file_size_mib * mib,) * 2,
        "RLIMIT_NOFILE": (settings.script_open_files,) * 2,
        "RLIMIT_CORE": (0, 0),
    }


def run(
    script: str,
    handler: str,
    events: Any,
    context: dict[str, Any],
    timeout: float,
    keep_going: Callable[[], bool] = lambda: True,
    check_every: float = 10.0,
    *,
    settings: RunbookSettings = DEFAULT_SETTINGS,
) -> ScriptResult:
    """Run the handler and wait at most `timeout` seconds; keep_going() is asked now and then (False kills it)."""
    try:
        argv = sandbox_isolation.command(settings, [sandbox_isolation.interpreter(), "-I", "-c", _DRIVER])
    except IsolationError as error:
        return ScriptResult(False, error=f"Scripts can't run isolated on this server: {error}.")
    result_read, result_write = os.pipe()
    request = {
        "script": script,
        "handler": handler,
        "events": events,
        "context": context,
        "limits": limits(settings),
        "result_fd": result_write,
    }
    try:
        # env={} and cwd="/": bwrap itself, outside the sandbox, holds none of the server's secrets or files either.
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(result_write,),
            cwd="/",
            env={},
            start_new_session=True,  # killing bwrap's group kills bwrap, and its init takes the pid namespace along
        )
    finally:
        os.close(result_write)
    assert process.stdin is not None and process.stdout is not None
    pipes = _Pipes(process.stdout, result_read, settings.script_output_kib)
    try:
        try:
            process.stdin.write(json.dumps(request).encode())
            process.stdin.close()
        except BrokenPipeError:
            pass
        stopped = _wait(process, pipes, timeout, keep_going, check_every)
    finally:
        _kill(process)
        pipes.close()
    output = pipes.output()
    if stopped:
        return ScriptResult(False, error=stopped, output=output)
    if not pipes.result:
        return ScriptResult(False, error=_exit_reason(process.returncode, settings), output=output)
    try:
        result = json.loads(pipes.result)
    except ValueError:  # the script wrote to the result pipe itself, or a forked copy of the driver did too
        result = None
    if not isinstance(result, dict) or not ("ok" in result or isinstance(result.get("error"), str)):
        return ScriptResult(False, error="The script's result could not be read.", output=output)
    if "error" in result:
        return ScriptResult(False, error=result["error"], output=output)
    return ScriptResult(True, value=result["ok"], output=output)


def _exit_reason(status: int, settings: RunbookSettings) -> str:
    if status == CPU_EXHAUSTED:
        return f"The script used up its {settings.script_cpu_seconds} seconds of CPU time and was stopped."
    return f"The script ended with exit code {status}."


class _Pipes:
    """The script's printed output (its tail kept) and its result, each read up to the output limit."""

    def __init__(self, output: IO[bytes], result_fd: int, limit_kib: int) -> None:
        self.limit_kib = limit_kib
        self.limit = limit_kib * 1024
        self.output_fd, self.result_fd = output.fileno(), result_fd
        self._output_file = output
        self.printed = 0
        self.tail = bytearray()
        self.result = bytearray()
        self.selector = selectors.DefaultSelector()
        for fd in (self.output_fd, self.result_fd):
            self.selector.register(fd, selectors.EVENT_READ)

    def read(self, wait: float) -> bool:
        """Read what is there, waiting at most `wait` seconds; False once both pipes are at their end."""
        if not self.selector.get_map():
            return False
        for key, _ in self.selector.select(wait):
            chunk = os.read(key.fd, READ_BYTES)
            if not chunk:
                self.selector.unregister(key.fd)
            elif key.fd == self.output_fd:
                self.printed += len(chunk)
                self.tail += chunk
                del self.tail[: -OUTPUT_LIMIT * 4]  # enough bytes for OUTPUT_LIMIT characters of any UTF-8
            elif len(self.result) <= self.limit:
                self.result += chunk
        return True

    def overflow(self) -> str:
        """Why the script must stop for what it wrote, or ''."""
        if self.printed > self.limit:
            return (
                f"The script's output went over {self.limit_kib} KiB ([runbooks] script_output_kib) and it was stopped."
            )
        if len(self.result) > self.limit:
            return f"The script's return value is larger than {self.limit_kib} KiB ([runbooks] script_output_kib)."
        return ""

    def output(self) -> str:
        """The last characters the script printed."""
        return self.tail.decode(errors="replace")[-OUTPUT_LIMIT:]

    def close(self) -> None:
        """Close both read ends."""
        self.selector.close()
        self._output_file.close()
        os.close(self.result_fd)


def _wait(
    process: subprocess.Popen[bytes], pipes: _Pipes, timeout: float, keep_going: Callable[[], bool], every: float
) -> str:
    """Wait for the sandbox, reading its pipes; say why when it had to be stopped."""
    deadline = time.monotonic() + timeout
    next_check = time.monotonic() + every
    while process.poll() is None:
        if not pipes.read(POLL_SECONDS):
            time.sleep(POLL_SECONDS)
        now = time.monotonic()
        if pipes.overflow():
            return pipes.overflow()
        if now >= deadline:
            return f"The script did not finish within {timeout:g} seconds and was stopped."
        if now >= next_check:
            next_check = now + every
            if not keep_going():
                return "The execution was stopped while the script ran."
    # bwrap's init has ended, and the kernel with it every process of the sandbox: the pipes end soon.
    drain_until = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < drain_until and pipes.read(POLL_SECONDS):
        pass
    return pipes.overflow()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill bwrap (its init dies with it, and the pid namespace with its init) and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
