"""Attacks from inside an aws:executeScript step against the server that runs it: every one must come away empty."""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runbook_support import create, reaches, start

from support import Account, Server, wait_until

ISOLATION_CONFIG = """
[replication]
settle_seconds = 0.2

[runbooks]
allow_scripts = true
"""
SECRET_NAME = "INCIDENTD_ISOLATION_SECRET"
SECRET = "s3cr3t-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def isolated_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that runs scripts, with a secret in its environment, on a database of its own."""
    running = Server(
        own_database, tmp_path_factory.mktemp("isolation"), ISOLATION_CONFIG, extra_env={SECRET_NAME: SECRET}
    ).start()
    yield running
    running.stop()


def run_script(server: Server, account: Account, script: str, payload: dict[str, Any] | None = None, **step: Any):  # type: ignore[no-untyped-def]
    """Run a one-step document whose script is `script`; the ended execution and its step."""
    ssm = server.client(account, "ssm")
    name = "attack-" + uuid.uuid4().hex[:8]
    inputs = {"Runtime": "python3.11", "Handler": "handler", "Script": script, "InputPayload": payload or {}}
    create(ssm, name, [{"name": "Attack", "action": "aws:executeScript", "inputs": inputs, **step}])
    done = reaches(ssm, start(ssm, name), timeout=60)
    return done, done["StepExecutions"][0]


def payload_of(step: dict[str, Any]) -> Any:
    """The value the step's handler returned."""
    assert step["StepStatus"] == "Success", step.get("FailureMessage")
    return json.loads(step["Outputs"]["Payload"][0])


def host_processes_with(marker: str) -> list[int]:
    """Pids of the host's processes whose command line carries the marker."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in command:
            found.append(int(entry))
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    """A unique word for a script's children to carry; any left at the end of the test are killed."""
    word = "isolation-marker-" + uuid.uuid4().hex
    yield word
    for pid in host_processes_with(word):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


READ_ENVIRONMENTS = """
import os

def handler(events, context):
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/environ", "rb") as source:
                if events["secret"].encode() in source.read():
                    found.append(entry)
        except OSError:
            pass
    return {"found": found, "mine": events["secret"] in str(os.environ)}
"""


def test_a_script_cannot_read_the_servers_environment(isolated_server: Server, account: Account):
    _, step = run_script(isolated_server, account, READ_ENVIRONMENTS, {"secret": SECRET})

    assert payload_of(step) == {"found": [], "mine": False}


READ_FILES = """
import os

def handler(events, context):
    paths = list(events["paths"])
    for entry in os.listdir("/proc"):
        paths.append(f"/proc/{entry}/cwd/incidentd.toml")
    read = {}
    for path in paths:
        try:
            with open(path, "rb") as source:
                read[path] = source.read(200).decode(errors="replace")
        except OSError:
            pass
    return {"read": read, "root": sorted(os.listdir("/"))}
"""


def test_a_script_cannot_read_the_config_file_or_the_database(isolated_server: Server, account: Account):
    config_path = isolated_server.workdir / "incidentd.toml"
    paths = [str(config_path), str(isolated_server.workdir)]
    if isolated_server.database_url.startswith("sqlite:///"):
        database = isolated_server.database_url.removeprefix("sqlite:///")
        paths += [database, database + "-wal"]

    _, step = run_script(isolated_server, account, READ_FILES, {"paths": paths})

    payload = payload_of(step)
    assert payload["read"] == {}
    assert "work" not in payload["root"] and "etc" not in payload["root"]


LIST_PROCESSES = """
import os

def handler(events, context):
    seen = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as source:
                    seen[entry] = source.read().replace(b"\\0", b" ").decode(errors="replace")
            except OSError:
                seen[entry] = ""
    return {"pid": os.getpid(), "seen": seen, "uid": os.getuid()}
"""


def test_a_script_sees_only_its_own_processes(isolated_server: Server, account: Account):
    _, step = run_script(isolated_server, account, LIST_PROCESSES)

    payload = payload_of(step)
    assert set(payload["seen"]) == {"1", str(payload["pid"])}  # the sandbox's init and the script, no other
    assert not any("incidentd.cli" in command for command in payload["seen"].values())
    assert payload["uid"] != 0


CONNECT = """
import socket

def handler(events, context):
    try:
        socket.create_connection(("127.0.0.1", events["port"]), timeout=5).close()
    except OSError as error:
        return {"connected": False, "error": str(error)}
    return {"connected": True}
"""


def test_a_script_cannot_reach_the_network(isolated_server: Server, account: Account):
    _, step = run_script(isolated_server, account, CONNECT, {"port": isolated_server.port})

    assert payload_of(step)["connected"] is False


# The child leaves the script's session and process group, then double-forks so that nothing waits for it.
ESCAPE = """
import os, subprocess, sys, time

def handler(events, context):
    if os.fork() == 0:
        os.setsid()
        sleeper = [sys.executable, "-c", "import time; time.sleep(600)", events["marker"]]
        subprocess.Popen(sleeper, start_new_session=True)
        os._exit(0)
    os.wait()
    time.sleep(0.5)
    while events["linger"]:
        pass
    return "left a child behind"
"""


def test_a_child_that_left_the_session_ends_with_the_step(isolated_server: Server, account: Account, marker: str):
    done, step = run_script(isolated_server, account, ESCAPE, {"marker": marker, "linger": False})

    assert step["StepStatus"] == "Success", step.get("FailureMessage")
    wait_until(lambda: not host_processes_with(marker), timeout=10)


def test_a_child_that_left_the_session_ends_when_the_step_times_out(
    isolated_server: Server, account: Account, marker: str
):
    done, step = run_script(isolated_server, account, ESCAPE, {"marker": marker, "linger": True}, timeoutSeconds=3)

    assert "within 3 seconds" in step["FailureMessage"]
    wait_until(lambda: not host_processes_with(marker), timeout=10)


ALLOCATE = """
def handler(events, context):
    try:
        block = bytearray(2 * 1024 ** 3)
    except MemoryError:
        return {"allocated": False}
    return {"allocated": len(block)}
"""


def test_a_script_cannot_take_2_gb_of_memory(isolated_server: Server, account: Account):
    _, step = run_script(isolated_server, account, ALLOCATE)

    assert payload_of(step) == {"allocated": False}


FORK_BOMB = """
import os, time

def handler(events, context):
    started = 0
    try:
        for _ in range(300):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            started += 1
    except OSError as error:
        return {"started": started, "error": str(error)}
    return {"started": started}
"""


def test_a_fork_bomb_is_bounded(isolated_server: Server, account: Account):
    _, step = run_script(isolated_server, account, FORK_BOMB)

    payload = payload_of(step)
    assert payload["started"] < 300 and "error" in payload


FILES = """
import os

def handler(events, context):
    result = {}
    try:
        with open("big", "wb") as out:
            for _ in range(200):
                out.write(b"x" * 1024 * 1024)
        result["written_mib"] = 200
    except OSError as error:
        result["write_error"] = str(error)
    finally:
        os.remove("big")
    opened = []
    try:
        for number in range(5000):
            opened.append(open(f"f{number}", "w"))
    except OSError as error:
        result["open_error"] = str(error)
    result["opened"] = len(opened)
    return result
"""


def test_a_script_cannot_write_huge_files_or_open_thousands(isolated_server: Server, account: Account):
    _, step = run_script(isolated_server, account, FILES)

    payload = payload_of(step)
    assert "write_error" in payload and "written_mib" not in payload
    assert "open_error" in payload and payload["opened"] < 5000


SHOUT = """
import sys

def handler(events, context):
    for _ in range(100):
        sys.stdout.write("y" * 100_000 + "\\n")
    return "shouted"
"""


def test_output_beyond_the_cap_fails_the_step(isolated_server: Server, account: Account):
    done, step = run_script(isolated_server, account, SHOUT)

    assert step["StepStatus"] == "Failed"
    assert "output" in step["FailureMessage"]
    assert len(step.get("Response", "")) <= 4000
