"""The config file's smaller sections, each a typed value with its defaults: [worker], [server], [replication],
[runbooks], [pagerduty] with [secrets], and [[ingest_tokens]] with [ingest]."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.config.values import (
    ConfigError,
    account_id,
    boolean,
    no_unknown,
    number,
    positive,
    section,
    strings,
    tables,
    text,
    url,
)
from incidentd.domain import arns

# The keys each place of these sections accepts; reading refuses any other (config/reference.py lists them all).
REPLICATION_KEYS = frozenset({"settle_seconds", "region_min_age_hours"})
WORKER_KEYS = frozenset({"lease_seconds", "poll_seconds", "keep_done_jobs_days"})
SERVER_KEYS = frozenset({"read_cache_mib", "request_timeout_seconds", "max_connections"})
RUNBOOK_KEYS = frozenset(
    {
        "allow_scripts",
        "bwrap_path",
        "script_user",
        "script_network",
        "script_cpu_seconds",
        "script_memory_mib",
        "script_processes",
        "script_file_size_mib",
        "script_tmp_mib",
        "script_open_files",
        "script_output_kib",
    }
)
PAGERDUTY_KEYS = frozenset({"base_url", "auto_resolve"})
# A [secrets.NAME] table: what Secrets Manager's PagerDuty secret holds, and the accounts that may use it.
SECRET_KEYS = frozenset({"pagerDutyToken", "pagerDutyFromEmail", "pagerDutyServiceRegion", "accounts"})
INGEST_KEYS = frozenset({"sns_cert_url_prefixes"})
INGEST_TOKEN_KEYS = frozenset({"token", "account", "plans", "name", "rate_per_minute", "topics"})


@dataclass(frozen=True)
class ReplicationSettings:
    """[replication]: how fast replication sets settle, and when a region may be deleted."""

    settle_seconds: float = 2.0  # CREATING/UPDATING -> ACTIVE after this
    region_min_age_hours: float = 24.0  # AWS refuses to delete a region younger than a day

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> ReplicationSettings:
        """The section from the file."""
        found = section(raw, "replication")
        no_unknown(found, REPLICATION_KEYS, "[replication]")
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
        no_unknown(found, WORKER_KEYS, "[worker]")
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
    """[server]: the read cache's memory (server/read_cache.py; 0 turns it off), and how long a request may take to
    arrive and how many connections a process keeps (server/slow_clients.py)."""

    read_cache_mib: float = 8.0
    # From a connection's start, or a request's first byte, to the end of its body; then the connection is closed.
    request_timeout_seconds: float = 30.0
    max_connections: int = 1000  # per serving process; new connections beyond it are answered 503 and closed

    @classmethod
    def read(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> ServerSettings:
        """The section from the file, INCIDENTD_READ_CACHE_MIB over it."""
        found = section(raw, "server")
        no_unknown(found, SERVER_KEYS, "[server]")
        value = env.get("INCIDENTD_READ_CACHE_MIB") or found.get("read_cache_mib", cls.read_cache_mib)
        connections = number(found.get("max_connections", cls.max_connections), "[server] max_connections", minimum=1)
        if not connections.is_integer():
            raise ConfigError(f"[server] max_connections must be a whole number, not {found['max_connections']!r}")
        return cls(
            read_cache_mib=number(value, "[server] read_cache_mib (INCIDENTD_READ_CACHE_MIB)", minimum=0),
            request_timeout_seconds=positive(
                found.get("request_timeout_seconds", cls.request_timeout_seconds), "[server] request_timeout_seconds"
            ),
            max_connections=int(connections),
        )


@dataclass(frozen=True)
class RunbookSettings:
    """[runbooks]: whether aws:executeScript steps may run (off unless the operator says so), and their sandbox."""

    allow_scripts: bool = False
    bwrap_path: str = "bwrap"  # bubblewrap, looked up on PATH unless a path is given
    script_user: str = "nobody"  # whom scripts run as on the host when the server runs as root
    script_network: bool = False  # scripts get a network namespace of their own, with only a loopback, unless true
    script_cpu_seconds: int = 300  # CPU time of each of the script's processes
    script_memory_mib: int = 1024  # address space of each of the script's processes
    script_processes: int = 64  # processes and threads of the script's user at once
    script_file_size_mib: int = 64  # the largest file a script may write
    script_tmp_mib: int = 64  # the script's /tmp (an in-memory file system) holds at most this much
    script_open_files: int = 256  # file descriptors of each process
    script_output_kib: int = 1024  # what it prints, and what it returns: beyond this the step fails

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> RunbookSettings:
        """The section from the file."""
        found = section(raw, "runbooks")
        no_unknown(found, RUNBOOK_KEYS, "[runbooks]")
        allow_scripts = found.get("allow_scripts", False)
        if not isinstance(allow_scripts, bool):
            # Only a real true turns scripts on: a string must not open a sandboxed shell by accident, nor be ignored.
            raise ConfigError(f"[runbooks] allow_scripts must be true or false, not {allow_scripts!r}")

        def limit(name: str) -> int:
            return int(number(found.get(name, getattr(cls, name)), f"[runbooks] {name}", minimum=1))

        return cls(
            allow_scripts=allow_scripts,
            bwrap_path=text(found.get("bwrap_path", cls.bwrap_path), "[runbooks] bwrap_path"),
            script_user=text(found.get("script_user", cls.script_user), "[runbooks] script_user"),
            script_network=boolean(found.get("script_network", False), "[runbooks] script_network"),
            script_cpu_seconds=limit("script_cpu_seconds"),
            script_memory_mib=limit("script_memory_mib"),
            script_processes=limit("script_processes"),
            script_file_size_mib=limit("script_file_size_mib"),
            script_tmp_mib=limit("script_tmp_mib"),
            script_open_files=limit("script_open_files"),
            script_output_kib=limit("script_output_kib"),
        )


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
        no_unknown(found, PAGERDUTY_KEYS, "[pagerduty]")
        base_url = found.get("base_url")
        return cls(
            base_url=url(base_url, "[pagerduty] base_url").rstrip("/") if base_url else None,
            auto_resolve=boolean(found.get("auto_resolve", True), "[pagerduty] auto_resolve"),
            secrets=_owned_secrets(section(raw, "secrets")) if "secrets" in raw else None,
        )


def _owned_secrets(found: Mapping[str, Any]) -> dict[str, Any]:
    """The [secrets] table, each secret bound to its accounts: a secret ARN's own, or those `accounts` lists.

    A plain name without `accounts` would be usable by every tenant of the server, with the operator's token.
    """
    for key, entry in found.items():
        listed = _secret_accounts(key, entry)
        owner = arns.parse(key)
        if not listed and not (owner is not None and owner.service == "secretsmanager" and owner.account):
            raise ConfigError(
                f"[secrets] {key!r} names no account, so every account could use it: "
                f'add accounts = ["<12-digit account id>", ...] to it, or key it by its secret ARN'
            )
    return dict(found)


def _secret_accounts(key: str, entry: Any) -> list[str]:
    """The `accounts` a secret lists, in either form ([secrets.KEY] table or a JSON string), checked."""
    if isinstance(entry, str):
        try:
            entry = json.loads(entry)
        except ValueError:
            return []  # unusable anyway: the plan's PagerDuty job says why (channels/pagerduty.find_secret)
    if isinstance(entry, Mapping):
        no_unknown(entry, SECRET_KEYS, f"[secrets] {key!r}")
    listed = entry.get("accounts") if isinstance(entry, Mapping) else None
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise ConfigError(f'[secrets] {key!r}: accounts must be a list of 12-digit account ids, e.g. ["111122223333"]')
    return [account_id(item, f"[secrets] {key!r}: each of accounts") for item in listed]


# Generous for any Alertmanager or Grafana (a notification per group per group_interval), small for a storm.
DEFAULT_INGEST_RATE_PER_MINUTE = 600
# An SNS topic's ARN: a name of letters, digits, - and _ (a FIFO topic's ends in .fifo); no subscription suffix.
_SNS_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


@dataclass(frozen=True)
class IngestToken:
    """One bearer token: the account whose plans it may use, and which of them (None: all)."""

    token: str = field(repr=False)
    account: str
    plans: frozenset[str] | None = None
    name: str | None = None
    # Requests a minute this token may make (per process): beyond it 429 with Retry-After.
    rate_per_minute: int = DEFAULT_INGEST_RATE_PER_MINUTE
    topics: frozenset[str] | None = None  # the SNS topic ARNs it takes messages from (None: any)

    def allows(self, plan_name: str) -> bool:
        """Whether the token may open incidents with this plan."""
        return self.plans is None or plan_name in self.plans

    def accepts_topic(self, topic_arn: str) -> bool:
        """Whether the token takes SNS messages from this topic."""
        return self.topics is None or topic_arn in self.topics


@dataclass(frozen=True)
class IngestSettings:
    """[[ingest_tokens]] and [ingest]: who may post alerts, and which SNS certificate URLs are trusted."""

    tokens: tuple[IngestToken, ...] = ()
    # Only for air-gapped installs and tests: SNS certificates from these URL prefixes are trusted too.
    sns_cert_url_prefixes: tuple[str, ...] = ()

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> IngestSettings:
        """The sections from the file, checked: a short or malformed token would be a hole, not a typo."""
        tokens = tuple(_ingest_token(entry, number) for number, entry in enumerate(tables(raw, "ingest_tokens"), 1))
        found = section(raw, "ingest")
        no_unknown(found, INGEST_KEYS, "[ingest]")
        prefixes = found.get("sns_cert_url_prefixes", [])
        return cls(tokens, strings(prefixes, "[ingest] sns_cert_url_prefixes"))


def _ingest_token(entry: Mapping[str, Any], number: int) -> IngestToken:
    """One [[ingest_tokens]] entry, checked."""
    no_unknown(entry, INGEST_TOKEN_KEYS, f"[[ingest_tokens]] entry {number}")
    token = entry.get("token")
    if not isinstance(token, str) or len(token) < 16:
        raise ConfigError("an [[ingest_tokens]] token must be at least 16 characters")
    account = account_id(entry.get("account"), f"[[ingest_tokens]] entry {number} account")
    plans = entry.get("plans")
    if plans is not None and not (isinstance(plans, list) and all(isinstance(p, str) for p in plans)):
        raise ConfigError("[[ingest_tokens]] plans must be a list of response plan names")
    rate = entry.get("rate_per_minute", DEFAULT_INGEST_RATE_PER_MINUTE)
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        raise ConfigError(f"[[ingest_tokens]] rate_per_minute must be a whole number of 1 or more, not {rate!r}")
    topics = entry.get("topics")
    if topics is not None and not (
        isinstance(topics, list) and topics and all(isinstance(t, str) and _SNS_TOPIC.match(t) for t in topics)
    ):
        raise ConfigError("[[ingest_tokens]] topics must be a non-empty list of SNS topic ARNs (arn:aws:sns:…)")
    name = entry.get("name")
    return IngestToken(
        token,
        account,
        frozenset(plans) if plans is not None else None,
        text(name, "[[ingest_tokens]] name") if name else None,
        rate_per_minute=rate,
        topics=frozenset(topics) if topics is not None else None,
    )
