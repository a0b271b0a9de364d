"""A separate worker process exposes its own metrics; logging settings resolve command line > env > config file."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from incidentd.config import ConfigError, LogSettings
from support import free_port, wait_for_port


def test_a_worker_serves_its_metrics_on_its_own_port(own_database: str, tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "incidentd.cli", "worker", "--database", own_database, "--metrics-port", str(port)]
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, worker)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
            connection.close()
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    samples = {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples["incidentd_database_up"] == 1


def test_the_command_line_beats_the_environment_which_beats_the_config_file() -> None:
    raw = {"logging": {"format": "json", "level": "debug", "access": True}}
    assert LogSettings.read(raw, {}) == LogSettings("json", "debug", True)
    environ = {"INCIDENTD_LOG_FORMAT": "text", "INCIDENTD_ACCESS_LOG": "false"}
    assert LogSettings.read(raw, environ) == LogSettings("text", "debug", False)
    flags = LogSettings.read(raw, environ).overridden(format="json", level="warning", access=None)
    assert flags == LogSettings("json", "warning", False)
    assert LogSettings.read({}, {}) == LogSettings("text", "info", False)


@pytest.mark.parametrize("environ", [{"INCIDENTD_LOG_FORMAT": "xml"}, {"INCIDENTD_ACCESS_LOG": "maybe"}])
def test_a_bad_logging_setting_stops_the_command_with_status_2(environ: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        LogSettings.read({}, environ)
    database = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "incidentd.cli", "migrate", "--database", database],
        env=dict(os.environ, **environ),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"must be" in done.stderr
