"""The sandbox's configurable limits and grants, run directly with settings other than the defaults."""

from __future__ import annotations

import dataclasses
import socket
import threading

import pytest

from incidentd.config import ConfigError
from incidentd.config.sections import RunbookSettings
from incidentd.runbooks import sandbox

DEFAULTS = RunbookSettings(allow_scripts=True)

SPIN = """
def handler(events, context):
    while True:
        pass
"""


def test_a_script_stops_at_its_cpu_time():
    settings = dataclasses.replace(DEFAULTS, script_cpu_seconds=1)

    result = sandbox.run(SPIN, "handler", {}, {}, timeout=60, settings=settings)

    assert not result.ok and "1 seconds of CPU time" in result.error


CONNECT = """
import socket

def handler(events, context):
    with socket.create_connection(("127.0.0.1", events["port"]), timeout=5) as connection:
        return connection.recv(10).decode()
"""


def test_the_network_is_there_only_when_granted():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(10)
        port = listener.getsockname()[1]
        closed = sandbox.run(CONNECT, "handler", {"port": port}, {}, timeout=30, settings=DEFAULTS)
        granted = dataclasses.replace(DEFAULTS, script_network=True)

        def answer() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"hello")

        server = threading.Thread(target=answer)
        server.start()
        opened = sandbox.run(CONNECT, "handler", {"port": port}, {}, timeout=30, settings=granted)
        server.join()

    assert not closed.ok and "Connection refused" in closed.error
    assert opened.ok and opened.value == "hello", opened


def test_the_limits_follow_the_settings():
    small = dataclasses.replace(DEFAULTS, script_memory_mib=64, script_output_kib=1, script_file_size_mib=1)
    allocate = "def handler(e, c):\n    return len(bytearray(100 * 1024 * 1024))\n"
    write = "def handler(e, c):\n    open('f', 'wb').write(b'x' * 2 * 1024 * 1024)\n"
    shout = "def handler(e, c):\n    print('z' * 2000)\n"
    big_result = "def handler(e, c):\n    return 'r' * 2000\n"

    assert "MemoryError" in sandbox.run(allocate, "handler", {}, {}, timeout=30, settings=small).error
    assert "File too large" in sandbox.run(write, "handler", {}, {}, timeout=30, settings=small).error
    assert "output went over 1 KiB" in sandbox.run(shout, "handler", {}, {}, timeout=30, settings=small).error
    assert "larger than 1 KiB" in sandbox.run(big_result, "handler", {}, {}, timeout=30, settings=small).error


def test_a_garbled_result_fails_the_step_rather_than_the_job():
    forge = "import os\ndef handler(e, c):\n    for fd in range(3, 64):\n        try:\n            os.write(fd, b'{')\n"
    forge += "        except OSError:\n            pass\n    return 1\n"

    result = sandbox.run(forge, "handler", {}, {}, timeout=30)

    assert not result.ok and "could not be read" in result.error


@pytest.mark.parametrize(
    "raw",
    [{"script_memory_mib": 0}, {"script_processes": "many"}, {"script_network": "maybe"}, {"bwrap_path": ""}],
)
def test_bad_sandbox_settings_are_refused(raw: dict[str, object]):
    with pytest.raises(ConfigError):
        RunbookSettings.read({"runbooks": raw})


def test_the_sandbox_settings_have_safe_defaults():
    settings = RunbookSettings.read({"runbooks": {"allow_scripts": True}})

    assert settings.script_network is False
    assert settings.script_memory_mib <= 1024 and settings.script_processes <= 64
    assert settings.script_output_kib <= 1024 and settings.script_file_size_mib <= 64
