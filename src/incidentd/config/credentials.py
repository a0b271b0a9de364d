"""Access keys: `[[credentials]]` in the file and INCIDENTD_CREDENTIALS, each key tied to one account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidentd.config.values import ConfigError, tables
from incidentd.protocol.sigv4 import Credential

# With no credentials configured, a server on a loopback address accepts this key pair (the same
# "test"/"test" pair that LocalStack and moto accept) for account 000000000000, and says so at start.
DEV_CREDENTIAL = Credential("test", "test", "000000000000")


def parse_credentials(text: str) -> list[Credential]:
    """`KEY:SECRET:ACCOUNT` entries separated by commas."""
    found = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        parts = entry.split(":")
        if len(parts) != 3 or not all(parts) or not (parts[2].isdigit() and len(parts[2]) == 12):
            raise ConfigError(f"INCIDENTD_CREDENTIALS entry '{parts[0]}:…' must be KEY:SECRET:ACCOUNT_ID (12 digits)")
        found.append(Credential(*parts))
    return found


def read_credentials(raw: Mapping[str, Any], env: Mapping[str, str]) -> tuple[dict[str, Credential], dict[str, str]]:
    """The keys by access key id (the environment's over the file's), and the IAM user name of those that have one."""
    credentials: dict[str, Credential] = {}
    users: dict[str, str] = {}
    for entry in tables(raw, "credentials"):
        try:
            credential = Credential(entry["access_key_id"], entry["secret_access_key"], str(entry["account_id"]))
        except KeyError as exc:
            raise ConfigError(f"a [[credentials]] entry lacks {exc}") from None
        credentials[credential.access_key_id] = credential
        if "user" in entry:
            users[credential.access_key_id] = str(entry["user"])
    for credential in parse_credentials(env.get("INCIDENTD_CREDENTIALS", "")):
        credentials[credential.access_key_id] = credential
    return credentials, users
