"""Several incidentd processes on one PostgreSQL database: API nodes without workers, and workers on their own."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from mailsink import MailSink
from support import Server, credentials_toml

# A short lease, so that a killed worker's job is taken over within seconds instead of the default minute.
CLUSTER_CONFIG = """
[replication]
settle_seconds = 0.2

[worker]
lease_seconds = 4
poll_seconds = 0.2
"""


def smtp_env(sink: MailSink) -> dict[str, str]:
    """The environment that sends e-mail pages to the sink."""
    return {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}


def api_node(database_url: str, workdir: Path, sink: MailSink) -> Server:
    """An `incidentd serve --no-worker` node (not started)."""
    return Server(database_url, workdir, CLUSTER_CONFIG, extra_env=smtp_env(sink), worker=False)


@dataclass
class WorkerProcess:
    """A running `incidentd worker` process."""

    database_url: str
    workdir: Path
    sink: MailSink
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> WorkerProcess:
        """Start the worker; it claims jobs from the shared database at once."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "worker.toml"
        config.write_text(CLUSTER_CONFIG + credentials_toml())
        command = [sys.executable, "-m", "incidentd.cli", "worker", "--database", self.database_url]
        command += ["--config", str(config)]
        log = open(self.workdir / "worker.log", "ab")
        env = dict(os.environ, **smtp_env(self.sink))
        self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    @property
    def pid(self) -> int:
        """The process id, which the worker's lease owner names."""
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up, its leases stay until they expire."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """SIGTERM and wait (a no-op when already killed)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def lease_owner_pids(database_url: str, kind: str | None, states: tuple[str, ...]) -> list[int]:
    """The pids of the workers that hold or held jobs (of a kind, or any) in these states (owner: host:pid:nonce)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT lease_owner FROM jobs WHERE (%s::text IS NULL OR kind = %s) AND state = ANY(%s)"
            " AND lease_owner IS NOT NULL",
            (kind, kind, list(states)),
        ).fetchall()
    return [int(owner.split(":")[1]) for (owner,) in rows]
