"""The config file's smaller sections, each a typed value with its defaults: [worker], [server], [replication],
[runbooks], [pagerduty] with [secrets], and [[ingest_tokens]] with [ingest]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.config.values import (
    ConfigError,
    boolean,
    number,
    positive,
    section,
    strings,
    tables,
    text,
    url,
)


@dataclass(frozen=True)
class ReplicationSettings:
    """[replication]: how fast replication sets settle, and when a region may be deleted."""

    settle_seconds: float = 2.0  # CREATING/UPDATING -> ACTIVE after this
    region_min_age_hours: float = 24.0  # AWS refuses to delete a region younger than a day

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> ReplicationSettings:
        """The section from the file."""
        found = section(raw, "replication")
        return cls(
            settle_seconds=number(found.get("settle_seconds", cls.settle_seconds), "[replication] settle_seconds"),
            region_min_age_hours=number(
                found.get("region_min_age_hours", cls.region_min_age_hours), "[replication] region_min_age_hours"
            ),
        )


@dataclass(frozen=True)
class WorkerSettings:
    """[worker]: how the job engine claims and keeps jobs."""

    # How long a claimed job is a worker's alone; after that another worker may take it over (a crashed one's).
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    # Done jobs are history nobody reads; the worker deletes them this long after they finished.
    keep_done_jobs_days: float = 7.0

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> WorkerSettings:
        """The section from the file; every value must be positive."""
        found = section(raw, "worker")
        return cls(
            lease_seconds=positive(found.get("lease_seconds", cls.lease_seconds), "[worker] lease_seconds"),
            poll_seconds=positive(found.get("poll_seconds", cls.poll_seconds), "[worker] poll_seconds"),
            keep_done_jobs_days=positive(
                found.get("keep_done_jobs_days", cls.keep_done_jobs_days), "[worker] keep_done_jobs_days"
            ),
        )

    @property
    def lease_ms(self) -> int:
        """The lease in milliseconds."""
        return int(self.lease_seconds * 1000)


@dataclass(frozen=True)
class ServerSettings:
    """[server]: memory for answers to repeated reads on SQLite (server/read_cache.py); 0 turns the cache off."""

    read_cache_mib: float = 8.0

    @classmethod
    def read(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> ServerSettings:
        """The section from the file, INCIDENTD_READ_CACHE_MIB over it."""
        value = env.get("INCIDENTD_READ_CACHE_MIB") or section(raw, "server").get("read_cache_mib", cls.read_cache_mib)
        return cls(number(value, "[server] read_cache_mib (INCIDENTD_READ_CACHE_MIB)", minimum=0))


@dataclass(frozen=True)
class RunbookSettings:
    """[runbooks]: whether aws:executeScript steps may run (off unless the operator says so)."""

    allow_scripts: bool = False

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> RunbookSettings:
        """The section from the file."""
        found = section(raw, "runbooks")
        # Only a real true turns scripts on: a typo or a string must not open a sandboxed shell by accident.
        return cls(allow_scripts=found.get("allow_scripts") is True)


@dataclass(frozen=True)
class PagerDutySettings:
    """[pagerduty] and [secrets]: where PagerDuty's API is, and the secrets response plans name by id."""

    base_url: str | None = None  # a stand-in or a proxy; else the API host of the secret's service region
    # The model keeps autoResolve on the related item only (PagerDutyIncidentDetail), not on the plan; the AWS
    # console offers it as a choice when the plan is made. Removing the item and adding it back with autoResolve
    # false through UpdateRelatedItems opts one incident out.
    auto_resolve: bool = True
    # Secret id (a name or a Secrets Manager ARN) -> what the secret holds, read when a plan uses it
    # (channels/pagerduty.find_secret): a plan naming a broken secret fails its own PagerDuty job, loudly.
    # None when the file has no [secrets] table at all: plans may then name secrets not configured yet.
    secrets: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> PagerDutySettings:
        """The sections from the file."""
        found = section(raw, "pagerduty")
        base_url = found.get("base_url")
        return cls(
            base_url=url(base_url, "[pagerduty] base_url").rstrip("/") if base_url else None,
            auto_resolve=boolean(found.get("auto_resolve", True), "[pagerduty] auto_resolve"),
            secrets=dict(section(raw, "secrets")) if "secrets" in raw else None,
        )


@dataclass(frozen=True)
class IngestToken:
    """One bearer token: the account whose plans it may use, and which of them (None: all)."""

    token: str = field(repr=False)
    account: str
    plans: frozenset[str] | None = None
    name: str | None = None

    def allows(self, plan_name: str) -> bool:
        """Whether the token may open incidents with this plan."""
        return self.plans is None or plan_name in self.plans


@dataclass(frozen=True)
class IngestSettings:
    """[[ingest_tokens]] and [ingest]: who may post alerts, and which SNS certificate URLs are trusted."""

    tokens: tuple[IngestToken, ...] = ()
    # Only for air-gapped installs and tests: SNS certificates from these URL prefixes are trusted too.
    sns_cert_url_prefixes: tuple[str, ...] = ()

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> IngestSettings:
        """The sections from the file, checked: a short or malformed token would be a hole, not a typo."""
        tokens = []
        for entry in tables(raw, "ingest_tokens"):
            token, account = str(entry.get("token") or ""), str(entry.get("account") or "")
            if len(token) < 16:
                raise ConfigError("an [[ingest_tokens]] token must be at least 16 characters")
            if not (account.isdigit() and len(account) == 12):
                raise ConfigError("an [[ingest_tokens]] account must be a 12-digit account id")
            plans = entry.get("plans")
            if plans is not None and not (isinstance(plans, list) and all(isinstance(p, str) for p in plans)):
                raise ConfigError("[[ingest_tokens]] plans must be a list of response plan names")
            chosen = frozenset(plans) if plans is not None else None
            name = entry.get("name")
            tokens.append(IngestToken(token, account, chosen, text(name, "[[ingest_tokens]] name") if name else None))
        prefixes = section(raw, "ingest").get("sns_cert_url_prefixes", [])
        return cls(tuple(tokens), strings(prefixes, "[ingest] sns_cert_url_prefixes"))
