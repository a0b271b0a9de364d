"""Who may do what: the policies of keys and roles, `[auth]` and `[[roles]]`, read and checked at start."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidentd.auth import builtin
from incidentd.auth.policy import Policy, PolicyError, parse
from incidentd.config.credentials import Keys
from incidentd.config.values import ConfigError, boolean, no_unknown, section, strings, tables, text
from incidentd.domain import arns

Policies = tuple[Policy, ...]
AUTH_KEYS = frozenset({"default_policies", "secure_transport"})
ROLE_KEYS = frozenset({"arn", "policies"})


@dataclass(frozen=True)
class AccessSettings:
    """The identity policies of each user and role; None stands for full access to the principal's own account."""

    users: Mapping[str, Policies] = field(default_factory=dict)  # IAM user ARN -> the policies its keys name
    default: Policies | None = None  # [auth] default_policies, for users whose keys name none
    roles: Mapping[str, Policies] = field(default_factory=dict)  # IAM role ARN -> its policies
    secure_transport: bool = False  # [auth] secure_transport: every request reaches incidentd over TLS
    unrestricted_keys: tuple[str, ...] = ()  # keys that name no policies, for the warning at start

    def for_user(self, user_arn: str) -> Policies | None:
        """A user's policies: its keys', else the default."""
        return self.users.get(user_arn, self.default)

    def for_role(self, role_arn: str) -> Policies | None:
        """A role's policies: none for an undeclared role once any role is declared, else full access."""
        if not self.roles:
            return None
        return self.roles.get(role_arn, ())

    def for_identity(self, arn: str) -> Policies | None:
        """The policies of whatever an ARN names: a role, else a user."""
        if ":role/" in arn:
            return self.for_role(arn)
        return self.for_user(arn)

    def unrestricted_warning(self) -> str | None:
        """What the server says once at start when keys without policies keep full access."""
        keys = self.unrestricted_keys
        if not keys or self.default is not None:
            return None
        named = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        return (
            f"access keys without policies have full access to their account: {named} "
            "(name policies for each key, or set [auth] default_policies)"
        )

    def roles_note(self) -> str | None:
        """What the server says once at start when no role is declared."""
        if self.roles:
            return None
        return "no [[roles]] are declared: runbook steps act with full access to their account"

    @classmethod
    def read(cls, raw: Mapping[str, Any], keys: Keys, base: Path | None = None) -> AccessSettings:
        """[auth], [[roles]] and the keys' policies, each policy parsed and checked."""
        found = section(raw, "auth")
        no_unknown(found, AUTH_KEYS, "[auth]")
        default = None
        if "default_policies" in found:
            default = _policies(strings(found["default_policies"], "[auth] default_policies"), "[auth]", base)
        users: dict[str, Policies] = {}
        owners: dict[str, str] = {}
        for key, (where, references) in keys.policies.items():
            credential = keys.credentials[key]
            user = arns.caller(credential.account_id, keys.users.get(key, key))
            policies = _policies(references, where, base)
            if user in users and [p.document for p in users[user]] != [p.document for p in policies]:
                # IAM attaches policies to the user, not to one of its keys: two keys of one user can't differ.
                raise ConfigError(f"{where} and {owners[user]} sign as the same user {user} with different policies")
            users[user] = policies
            owners[user] = where
        roles: dict[str, Policies] = {}
        for number, entry in enumerate(tables(raw, "roles"), 1):
            where = f"[[roles]] entry {number}"
            no_unknown(entry, ROLE_KEYS, where)
            arn = text(entry.get("arn"), f"{where} arn")
            if arns.parse(arn) is None or ":role/" not in arn:
                raise ConfigError(f"{where} arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), not {arn!r}")
            roles[arn] = _policies(strings(entry.get("policies", []), f"{where} policies"), f"{where} ({arn})", base)
        unrestricted = tuple(sorted(key for key in keys.credentials if key not in keys.policies))
        return cls(
            users=users,
            default=default,
            roles=roles,
            secure_transport=boolean(found.get("secure_transport", False), "[auth] secure_transport"),
            unrestricted_keys=unrestricted,
        )


def _policies(references: tuple[str, ...], where: str, base: Path | None) -> Policies:
    """The policies a list names: built-in names, inline JSON documents, or file:PATH."""
    return tuple(_policy(reference, f"{where} policies[{index}]", base) for index, reference in enumerate(references))


def _policy(reference: str, where: str, base: Path | None) -> Policy:
    """One policy reference, parsed; a ConfigError that names the place of anything incidentd won't evaluate."""
    name = reference.strip()
    if name.startswith("{"):
        document: str | dict[str, Any] = name
        label = f"{where} (inline)"
    elif name.startswith("file:"):
        path = Path(name.removeprefix("file:"))
        if not path.is_absolute() and base is not None:
            path = base / path  # relative to the config file, wherever incidentd is started from
        label = str(path)
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{where}: can't read policy file {path}: {exc}") from None
    elif name in builtin.DOCUMENTS:
        return builtin.policy(name)
    else:
        known = ", ".join(builtin.names())
        raise ConfigError(f"{where}: {name!r} is neither a built-in policy ({known}), a JSON document, nor file:PATH")
    try:
        return parse(document, label)
    except PolicyError as exc:
        raise ConfigError(f"{where}: {exc}") from None
