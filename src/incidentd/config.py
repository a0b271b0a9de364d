"""Settings from the TOML config file and INCIDENTD_* environment variables (the environment wins)."""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidentd.protocol.sigv4 import Credential
from incidentd.store.db import default_url

# With no credentials configured, a server on a loopback address accepts this key pair (the same
# "test"/"test" pair that LocalStack and moto accept) for account 000000000000, and says so at start.
DEV_CREDENTIAL = Credential("test", "test", "000000000000")


class ConfigError(ValueError):
    """A setting that can't be used."""


@dataclass
class Settings:
    """Everything a node needs to know to run."""

    database_url: str = field(default_factory=default_url)
    credentials: dict[str, Credential] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # access key id -> IAM user name in caller ARNs
    region: str = "us-east-1"
    replication_settle_seconds: float = 2.0
    region_min_age_hours: float = 24.0
    # How long a claimed job is a worker's alone; after that another worker may take it over (a crashed one's).
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    # Done jobs are history nobody reads; the worker deletes them this long after they finished.
    keep_done_jobs_days: float = 7.0
    # Memory for answers to repeated reads on SQLite (server/read_cache.py); 0 turns the cache off.
    read_cache_mib: float = 8.0
    raw: dict[str, Any] = field(default_factory=dict)  # the whole config file, for later sections

    def caller_name(self, access_key_id: str) -> str:
        """The user name that createdBy/lastModifiedBy ARNs show for a key."""
        return self.users.get(access_key_id, access_key_id)


def parse_credentials(text: str) -> list[Credential]:
    """`KEY:SECRET:ACCOUNT` entries separated by commas."""
    found = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        parts = entry.split(":")
        if len(parts) != 3 or not all(parts) or not (parts[2].isdigit() and len(parts[2]) == 12):
            raise ConfigError(f"INCIDENTD_CREDENTIALS entry '{parts[0]}:…' must be KEY:SECRET:ACCOUNT_ID (12 digits)")
        found.append(Credential(*parts))
    return found


def load(config_path: str | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the config file (if any) then apply the environment over it."""
    env = dict(os.environ if environ is None else environ)
    path = config_path or env.get("INCIDENTD_CONFIG")
    raw: dict[str, Any] = {}
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"can't read config file {path}: {exc}") from None
    settings = Settings(raw=raw)
    if "database_url" in raw:
        settings.database_url = raw["database_url"]
    settings.region = raw.get("region", settings.region)
    replication = raw.get("replication", {})
    settings.replication_settle_seconds = float(replication.get("settle_seconds", settings.replication_settle_seconds))
    settings.region_min_age_hours = float(replication.get("region_min_age_hours", settings.region_min_age_hours))
    worker = raw.get("worker", {})
    settings.lease_seconds = float(worker.get("lease_seconds", settings.lease_seconds))
    settings.poll_seconds = float(worker.get("poll_seconds", settings.poll_seconds))
    settings.keep_done_jobs_days = float(worker.get("keep_done_jobs_days", settings.keep_done_jobs_days))
    if settings.lease_seconds <= 0 or settings.poll_seconds <= 0 or settings.keep_done_jobs_days <= 0:
        raise ConfigError("[worker] lease_seconds, poll_seconds and keep_done_jobs_days must be positive")
    server = raw.get("server", {})
    settings.read_cache_mib = _non_negative(
        env.get("INCIDENTD_READ_CACHE_MIB") or server.get("read_cache_mib", settings.read_cache_mib),
        "[server] read_cache_mib (INCIDENTD_READ_CACHE_MIB)",
    )
    for entry in raw.get("credentials", []):
        try:
            credential = Credential(entry["access_key_id"], entry["secret_access_key"], str(entry["account_id"]))
        except KeyError as exc:
            raise ConfigError(f"a [[credentials]] entry lacks {exc}") from None
        settings.credentials[credential.access_key_id] = credential
        if "user" in entry:
            settings.users[credential.access_key_id] = entry["user"]
    if env.get("INCIDENTD_DATABASE_URL"):
        settings.database_url = env["INCIDENTD_DATABASE_URL"]
    if env.get("INCIDENTD_REGION"):
        settings.region = env["INCIDENTD_REGION"]
    for credential in parse_credentials(env.get("INCIDENTD_CREDENTIALS", "")):
        settings.credentials[credential.access_key_id] = credential
    return settings


def _non_negative(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not (math.isfinite(number) and number >= 0):
        raise ConfigError(f"{name} must be 0 or more, not {value!r}")
    return number
