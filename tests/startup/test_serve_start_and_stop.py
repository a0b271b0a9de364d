"""serve and worker: the port is checked before the database is touched, and a stop says so in the log."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import pytest
from startup_support import INCIDENTD, LOG_PREFIX, incidentd, refusal, says, user_env

from support import free_port, wait_until


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_refused(tmp_path: Path, port: str) -> None:
    done = incidentd("serve", "--port", port, cwd=tmp_path, env=user_env(tmp_path / "home"))
    says(refusal(done), "--port", port)
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_port_in_use_is_refused_before_the_database_is_created(tmp_path: Path, processes: str) -> None:
    database = tmp_path / "incidentd.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = incidentd(
            "serve",
            "--port",
            port,
            "--processes",
            processes,
            "--database",
            f"sqlite:///{database}",
            cwd=tmp_path,
            env=user_env(tmp_path / "home"),
        )
    says(refusal(done), f"port {port} on 127.0.0.1 is in use", "choose another --port")
    assert list(tmp_path.iterdir()) == []  # no database, no migration


def test_a_worker_metrics_port_in_use_is_refused_before_the_database_is_created(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        database = f"sqlite:///{tmp_path}/x.db"
        done = incidentd("worker", "--metrics-port", port, "--database", database, cwd=tmp_path, env=user_env(tmp_path))
    says(refusal(done), f"port {port}", "--metrics-port")
    assert not (tmp_path / "x.db").exists()


def _log_lines(path: Path) -> list[str]:
    return [LOG_PREFIX.sub("", line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(
    ("args", "ready", "signum"),
    [
        (["serve"], "incidentd serving on", signal.SIGTERM),
        (["serve"], "incidentd serving on", signal.SIGINT),
        (["serve", "--processes", "2"], "incidentd serving on", signal.SIGTERM),
        (["worker"], "incidentd worker", signal.SIGTERM),
    ],
)
def test_a_stop_is_logged(tmp_path: Path, args: list[str], ready: str, signum: signal.Signals) -> None:
    log = tmp_path / "incidentd.log"
    command = [INCIDENTD, *args, "--database", f"sqlite:///{tmp_path}/incidentd.db"]
    if args[0] == "serve":
        command += ["--port", str(free_port())]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=tmp_path, env=user_env(tmp_path / "home"), stderr=output)
        try:
            wait_until(lambda: any(line.startswith(ready) for line in _log_lines(log)), timeout=60)
            process.send_signal(signum)
            assert process.wait(timeout=60) == 0
        finally:
            process.kill()
            process.wait()
    lines = _log_lines(log)
    assert lines[-2:] == [f"incidentd stopping ({signum.name})", "incidentd stopped"], lines
