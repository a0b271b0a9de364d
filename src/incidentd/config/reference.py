"""Every setting the config file accepts, named as the configuration reference names them."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from incidentd.config.access import AUTH_KEYS, ROLE_KEYS
from incidentd.config.automation import AUTOMATION_KEYS
from incidentd.config.console import CONSOLE_KEYS, MAPPING_KEYS, OIDC_KEYS
from incidentd.config.credentials import CREDENTIAL_KEYS
from incidentd.config.delivery import section_keys
from incidentd.config.logs import LOGGING_KEYS
from incidentd.config.metrics import METRICS_KEYS
from incidentd.config.notifications import NOTIFICATION_KEYS, TOPIC_KEYS
from incidentd.config.paging import PAGING_KEYS
from incidentd.config.sections import (
    INGEST_KEYS,
    INGEST_TOKEN_KEYS,
    PAGERDUTY_KEYS,
    REPLICATION_KEYS,
    RUNBOOK_KEYS,
    SECRET_KEYS,
    SERVER_KEYS,
    WORKER_KEYS,
)
from incidentd.config.settings import TOP_LEVEL_KEYS


def places() -> dict[str, frozenset[str]]:
    """Each place of the file ("[worker]", "[[credentials]]", ...) and the settings it holds; the readers' own sets."""
    found: dict[str, AbstractSet[str]] = {
        "[auth]": AUTH_KEYS,
        "[[roles]]": ROLE_KEYS,
        "[[credentials]]": CREDENTIAL_KEYS,
        "[replication]": REPLICATION_KEYS,
        "[worker]": WORKER_KEYS,
        "[server]": SERVER_KEYS,
        "[metrics]": METRICS_KEYS,
        "[runbooks]": RUNBOOK_KEYS,
        "[automation]": AUTOMATION_KEYS,
        "[pagerduty]": PAGERDUTY_KEYS,
        # [secrets] is keyed by secret id: each [secrets."ID"] table (or JSON string) holds these.
        '[secrets."ID"]': SECRET_KEYS,
        "[ingest]": INGEST_KEYS,
        "[[ingest_tokens]]": INGEST_TOKEN_KEYS,
        "[notifications]": NOTIFICATION_KEYS,
        # Its subscribers are one setting, a list of tables (usually inline) each with SUBSCRIBER_KEYS.
        "[[sns_topics]]": TOPIC_KEYS | {"subscribers"},
        "[paging]": PAGING_KEYS,
        "[logging]": LOGGING_KEYS,
        "[console]": CONSOLE_KEYS,
        "[console.oidc]": OIDC_KEYS,
        "[[console.oidc.mappings]]": MAPPING_KEYS,
    }
    found.update({f"[{name}]": keys for name, keys in section_keys().items()})
    return {place: frozenset(keys) for place, keys in found.items()}


def setting_names() -> list[str]:
    """Every setting: `key` at the top level, `[section] key`, `[[array]] key`, sorted, as docs/configuration.md
    names them."""
    names = set(TOP_LEVEL_KEYS)
    for place, keys in places().items():
        names.update(f"{place} {key}" for key in keys)
    return sorted(names)
