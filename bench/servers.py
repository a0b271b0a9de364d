"""Starting and stopping the processes under test: the hello-world ceiling and `incidentd serve`."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
REPOSITORY = BENCH_DIR.parent
DEFAULT_PG_ADMIN = os.environ.get("INCIDENTD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class BenchAccount:
    """The one tenant the benchmark uses."""

    access_key: str = "AKIDBENCH0000000000"
    secret_key: str = "bench-secret"
    account_id: str = "123456789012"

    @property
    def credentials(self) -> str:
        """INCIDENTD_CREDENTIALS for it."""
        return f"{self.access_key}:{self.secret_key}:{self.account_id}"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A server process on a loopback port, logging to a file in the work directory."""

    def __init__(self, name: str, command: list[str], port: int, workdir: Path, env: dict[str, str]) -> None:
        self.name, self.port = name, port
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(command, cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_listening()

    def __enter__(self) -> Process:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Where it answers."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """For py-spy."""
        return self.popen.pid

    def _wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.name} did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        """Terminate this process only (never by name) and wait for it."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def start_hello(workdir: Path, processes: int = 1) -> Process:
    """The raw ASGI hello-world under incidentd's uvicorn settings, from as many processes as incidentd."""
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "hello.py"), "--port", str(port), "--processes", str(processes)]
    return Process("hello", command, port, workdir, dict(os.environ))


def start_incidentd(
    workdir: Path,
    database_url: str,
    account: BenchAccount,
    extra_env: dict[str, str] | None = None,
    processes: int = 1,
    src: Path | None = None,
    settings: str = "",
) -> Process:
    """`incidentd serve` as an operator runs it (embedded worker on, default durability), with src's code if given.

    settings is the config file's text: none by default, so that the shipped defaults are what is measured.
    """
    port = free_port()
    config = workdir / "incidentd.toml"
    config.write_text(settings)
    env = incidentd_env(account, src)
    env.update(extra_env or {})
    command = [
        sys.executable,
        "-m",
        "incidentd.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database",
        database_url,
        "--config",
        str(config),
        "--processes",
        str(processes),
    ]
    return Process("incidentd", command, port, workdir, env)


def incidentd_env(account: BenchAccount, src: Path | None = None) -> dict[str, str]:
    """The environment of an incidentd under measurement: the account's key, nothing of the caller's settings."""
    env = dict(os.environ, INCIDENTD_CREDENTIALS=account.credentials)
    # A caller's environment must not quietly change what is measured (e.g. synchronous=OFF).
    for name in (
        "INCIDENTD_SQLITE_SYNCHRONOUS",
        "INCIDENTD_DATABASE_URL",
        "INCIDENTD_CONFIG",
        "INCIDENTD_READ_CACHE_MIB",
    ):
        env.pop(name, None)
    if src is not None:
        # PYTHONPATH comes before the editable install's entry on sys.path, so src's incidentd is the one imported:
        # a git ref's code runs with the same Python, dependencies and settings as the working tree's.
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    return env


class PostgresDatabase:
    """A throwaway database on a PostgreSQL server, dropped when the benchmark ends."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"incidentd_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name

    def drop(self) -> None:
        """Remove it, even with connections still open."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@contextlib.contextmanager
def bench_database(choice: str, workdir: Path) -> Iterator[str]:
    """--database's choice as a URL: a SQLite file in workdir, or a throwaway PostgreSQL database dropped after."""
    if choice == "sqlite":
        yield f"sqlite:///{workdir / 'incidentd.db'}"
        return
    postgres = PostgresDatabase(DEFAULT_PG_ADMIN if choice == "postgresql" else choice)
    try:
        yield postgres.url
    finally:
        postgres.drop()


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPOSITORY), *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


@contextlib.contextmanager
def worktree(ref: str, path: Path) -> Iterator[tuple[Path, str]]:
    """A detached checkout of a git ref of this repository at path, removed after; its src folder and commit."""
    commit = _git("rev-parse", "--verify", "--short", f"{ref}^{{commit}}")
    _git("worktree", "add", "--detach", str(path), commit)
    try:
        yield path / "src", commit
    finally:
        _git("worktree", "remove", "--force", str(path))
