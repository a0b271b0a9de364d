"""Settings: the whole config file and the INCIDENTD_* environment, read once into typed values."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidentd.auth.principals import Principal
from incidentd.config.access import AccessSettings
from incidentd.config.automation import AutomationSettings
from incidentd.config.console import ConsoleSettings
from incidentd.config.credentials import read_credentials
from incidentd.config.delivery import DeliverySettings
from incidentd.config.logs import LogSettings
from incidentd.config.metrics import MetricsSettings
from incidentd.config.notifications import NotifySettings
from incidentd.config.paging import PagingLimits
from incidentd.config.sections import (
    IngestSettings,
    PagerDutySettings,
    ReplicationSettings,
    RunbookSettings,
    ServerSettings,
    WorkerSettings,
)
from incidentd.config.values import DEFAULT_REGION, ConfigError, no_unknown, text
from incidentd.domain import arns
from incidentd.protocol.sigv4 import Credential

# The config file's top level: its own settings, its [sections] and its [[arrays]] of tables.
TOP_LEVEL_KEYS = frozenset({"database_url", "region"})
SECTIONS = frozenset(
    {
        "auth",
        "replication",
        "worker",
        "server",
        "metrics",
        "runbooks",
        "automation",
        "pagerduty",
        "secrets",
        "ingest",
        "smtp",
        "twilio",
        "sms_webhook",
        "notifications",
        "paging",
        "logging",
        "console",
    }
)
ARRAYS = frozenset({"credentials", "roles", "ingest_tokens", "sns_topics"})


def default_database_path() -> Path:
    """Where the database lives unless configured: the user's data folder (XDG), wherever incidentd is started from."""
    data_home = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec ignores a relative XDG_DATA_HOME: it would move with the working directory again.
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return base / "incidentd" / "incidentd.db"


def default_database_url() -> str:
    """The database URL unless --database, INCIDENTD_DATABASE_URL or database_url says otherwise."""
    return f"sqlite:///{default_database_path()}"


@dataclass(frozen=True)
class Settings:
    """Everything a node needs to know to run, each section with its defaults."""

    database_url: str = field(default_factory=default_database_url)
    region: str = DEFAULT_REGION
    credentials: Mapping[str, Credential] = field(default_factory=dict, repr=False)
    users: Mapping[str, str] = field(default_factory=dict)  # access key id -> IAM user name in caller ARNs
    access: AccessSettings = AccessSettings()
    replication: ReplicationSettings = ReplicationSettings()
    worker: WorkerSettings = WorkerSettings()
    server: ServerSettings = ServerSettings()
    metrics: MetricsSettings = MetricsSettings()
    runbooks: RunbookSettings = RunbookSettings()
    automation: AutomationSettings = AutomationSettings()
    pagerduty: PagerDutySettings = PagerDutySettings()
    ingest: IngestSettings = IngestSettings()
    delivery: DeliverySettings = DeliverySettings()
    notifications: NotifySettings = NotifySettings()
    paging: PagingLimits = PagingLimits()
    logging: LogSettings = LogSettings()
    console: ConsoleSettings = ConsoleSettings()

    @property
    def development(self) -> bool:
        """Whether no credentials are configured, so that the server runs with the development key pair."""
        return not self.credentials

    def caller_name(self, access_key_id: str) -> str:
        """The user name that createdBy/lastModifiedBy ARNs show for a key."""
        return self.users.get(access_key_id, access_key_id)

    def principal(self, access_key_id: str, account_id: str) -> Principal:
        """Who a key signs as: its account's IAM user, with that user's policies."""
        arn = arns.caller(account_id, self.caller_name(access_key_id))
        return Principal(account_id, arn, self.access.for_user(arn))


def load(config_path: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (--config, else INCIDENTD_CONFIG, if any), then apply the environment over it."""
    env = os.environ if environ is None else environ
    path = config_path or env.get("INCIDENTD_CONFIG")
    raw: dict[str, Any] = {}
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"can't read config file {path}: {exc}") from None
    return from_toml(raw, env, Path(path).parent if path else None)


def from_toml(raw: Mapping[str, Any], environ: Mapping[str, str] | None = None, base: Path | None = None) -> Settings:
    """The settings a parsed config file describes, with the environment (none by default) over it.

    base is the config file's folder, against which relative `file:` policy paths are read.
    """
    env: Mapping[str, str] = {} if environ is None else environ
    no_unknown(raw, TOP_LEVEL_KEYS | SECTIONS | ARRAYS, "the config file's top level")
    database_url = env.get("INCIDENTD_DATABASE_URL") or (
        text(raw["database_url"], "database_url") if "database_url" in raw else default_database_url()
    )
    region = env.get("INCIDENTD_REGION") or text(raw.get("region", DEFAULT_REGION), "region")
    keys = read_credentials(raw, env)
    credentials = keys.credentials
    return Settings(
        database_url=database_url,
        region=region,
        credentials=credentials,
        users=keys.users,
        access=AccessSettings.read(raw, keys, base),
        replication=ReplicationSettings.read(raw),
        worker=WorkerSettings.read(raw),
        server=ServerSettings.read(raw, env),
        metrics=MetricsSettings.read(raw, env),
        runbooks=RunbookSettings.read(raw),
        automation=AutomationSettings.read(raw),
        pagerduty=PagerDutySettings.read(raw),
        ingest=IngestSettings.read(raw),
        delivery=DeliverySettings.read(raw, env),
        notifications=NotifySettings.read(raw, env, credentials),
        paging=PagingLimits.read(raw),
        logging=LogSettings.read(raw, env),
        console=ConsoleSettings.read(raw),
    )
