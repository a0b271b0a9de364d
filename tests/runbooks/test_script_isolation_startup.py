"""At start: allow_scripts without working isolation refuses to run, and the server's /proc entries are closed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import free_port, wait_for_port

SECRET = "undumpable-secret-value"

# Here the tests run as root, and root's CAP_SYS_PTRACE opens every process's /proc entries whatever it set. A root
# process without capabilities is an ordinary process of the same uid: it may read a dumpable root process's
# environ, and an undumpable one's only with CAP_SYS_PTRACE. So the server and the prober both run without any.
WITHOUT_CAPABILITIES = (
    ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"] if os.geteuid() == 0 else []
)


def incidentd(*args: str) -> list[str]:
    """The command line of `incidentd ARGS`."""
    return [sys.executable, "-m", "incidentd.cli", *args]


def refusal(tmp_path: Path, config: str, command: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run serve or worker with the config; its exit status and stderr (it must end by itself)."""
    config_path = tmp_path / "incidentd.toml"
    config_path.write_text(config)
    database = f"sqlite:///{tmp_path / 'incidentd.db'}"
    extra = ["--port", str(free_port())] if command == "serve" else []
    done = subprocess.run(
        incidentd(command, "--config", str(config_path), "--database", database, *extra),
        cwd=tmp_path,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_allow_scripts_without_bubblewrap_refuses_to_start(tmp_path: Path, command: str):
    config = f'[runbooks]\nallow_scripts = true\nbwrap_path = "{tmp_path / "no-such-bwrap"}"\n'

    status, stderr = refusal(tmp_path, config, command)

    assert status == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "bubblewrap" in stderr and "allow_scripts" in stderr


def test_allow_scripts_without_bwrap_on_the_path_refuses_to_start(tmp_path: Path):
    env = dict(os.environ, PATH=str(tmp_path))

    status, stderr = refusal(tmp_path, "[runbooks]\nallow_scripts = true\n", "serve", env)

    assert status == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "bubblewrap" in stderr


def test_allow_scripts_where_namespaces_fail_refuses_to_start_and_says_why(tmp_path: Path):
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not "
        "allow non-privileged user namespaces.' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    config = f'[runbooks]\nallow_scripts = true\nbwrap_path = "{fake}"\n'

    status, stderr = refusal(tmp_path, config, "serve")

    assert status == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "user namespaces" in stderr


@pytest.fixture(params=["serve", "worker"])
def capless_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[int]:
    """A running `incidentd serve` or `worker` with a secret in its environment, started without capabilities."""
    (tmp_path / "incidentd.toml").write_text("[worker]\npoll_seconds = 0.05\n")
    port = free_port()
    extra = ["--host", "127.0.0.1", "--port", str(port)] if request.param == "serve" else []
    command = incidentd(
        request.param, "--config", "incidentd.toml", "--database", f"sqlite:///{tmp_path / 'incidentd.db'}", *extra
    )
    log = open(tmp_path / "server.log", "wb")
    process = subprocess.Popen(
        WITHOUT_CAPABILITIES + command,
        cwd=tmp_path,
        env=dict(os.environ, INCIDENTD_UNDUMPABLE_PROBE=SECRET),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if request.param == "serve":
            wait_for_port(port, process)
        else:
            _wait_for_line(tmp_path / "server.log", "worker", process)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_for_line(path: Path, word: str, process: subprocess.Popen[bytes]) -> None:
    from support import wait_until

    def ready() -> bool:
        assert process.poll() is None, path.read_text()
        return word in path.read_text()

    wait_until(ready, timeout=30)


PROBE = """
import os, sys
pid = sys.argv[1]
got = []
for name in ("environ", "mem"):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as source:
            got.append((name, source.read(4096 if name == "environ" else 0)))
    except PermissionError:
        pass
for name in ("cwd", "root", "exe"):
    try:
        got.append((name, os.readlink(f"/proc/{pid}/{name}")))
    except PermissionError:
        pass
print(got)
"""


def test_the_server_and_the_worker_are_undumpable(capless_process: int):
    probe = subprocess.run(
        WITHOUT_CAPABILITIES + [sys.executable, "-I", "-c", PROBE, str(capless_process)],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"
