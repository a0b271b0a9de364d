"""Access keys: `[[credentials]]` in the file and INCIDENTD_CREDENTIALS, each key tied to one account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.config.values import ConfigError, account_id, no_unknown, strings, tables, text
from incidentd.protocol.sigv4 import Credential

# With no credentials configured, a server on a loopback address accepts this key pair (the same
# "test"/"test" pair that LocalStack and moto accept) for account 000000000000, and says so at start.
DEV_CREDENTIAL = Credential("test", "test", "000000000000")

# The keys of a [[credentials]] entry.
CREDENTIAL_KEYS = frozenset({"access_key_id", "secret_access_key", "account_id", "user", "policies"})


@dataclass(frozen=True)
class Keys:
    """The configured keys: each key's account, the IAM user it signs as, and the policies it names."""

    credentials: dict[str, Credential] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # access key id -> IAM user name, where one is given
    # access key id -> (where the entry is, its policy references), for keys that name policies
    policies: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def parse_credentials(text: str) -> list[tuple[Credential, str | None]]:
    """`KEY:SECRET:ACCOUNT` entries separated by commas, each optionally followed by `:POLICY` (a built-in's name)."""
    found = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        parts = entry.split(":")
        if len(parts) not in (3, 4) or not all(parts) or not (parts[2].isdigit() and len(parts[2]) == 12):
            raise ConfigError(
                f"INCIDENTD_CREDENTIALS entry '{parts[0]}:…' must be KEY:SECRET:ACCOUNT_ID (12 digits), "
                "optionally followed by :POLICY"
            )
        found.append((Credential(*parts[:3]), parts[3] if len(parts) == 4 else None))
    return found


def read_credentials(raw: Mapping[str, Any], env: Mapping[str, str]) -> Keys:
    """The keys by access key id, the environment's over the file's."""
    keys = Keys()
    for number, entry in enumerate(tables(raw, "credentials"), 1):
        place = f"[[credentials]] entry {number}"
        no_unknown(entry, CREDENTIAL_KEYS, place)
        for required in ("access_key_id", "secret_access_key", "account_id"):
            if required not in entry:
                raise ConfigError(f"a [[credentials]] entry lacks '{required}' ({place}): add {required} = \"…\"")
        credential = Credential(
            text(entry["access_key_id"], f"{place} access_key_id"),
            text(entry["secret_access_key"], f"{place} secret_access_key"),
            account_id(entry["account_id"], f"{place} account_id"),
        )
        key = credential.access_key_id
        keys.credentials[key] = credential
        if "user" in entry:
            keys.users[key] = text(entry["user"], f"{place} user")
        if "policies" in entry:
            where = f"{place} ({key})"
            keys.policies[key] = (where, strings(entry["policies"], f"{where} policies"))
    for credential, policy in parse_credentials(env.get("INCIDENTD_CREDENTIALS", "")):
        key = credential.access_key_id
        keys.credentials[key] = credential
        keys.policies.pop(key, None)
        if policy is not None:
            keys.policies[key] = (f"INCIDENTD_CREDENTIALS entry {key}", (policy,))
    return keys
