"""[console] and [console.oidc]: the web console, its sessions, and single sign-on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentd.auth.roles import ROLES
from incidentd.config.values import (
    ConfigError,
    account_id,
    boolean,
    no_unknown,
    positive,
    strings,
    table,
    text,
    url,
)

# The keys of [console], [console.oidc] and each [[console.oidc.mappings]] entry ([console] oidc and
# [console.oidc] mappings are the nested tables, not settings of their own).
CONSOLE_KEYS = frozenset({"enabled", "public_url", "idle_minutes", "lifetime_hours"})
OIDC_KEYS = frozenset({"issuer", "client_id", "client_secret", "scopes", "claim", "name_claim", "contact_claim"})
MAPPING_KEYS = frozenset({"value", "account_id", "role"})


@dataclass(frozen=True)
class ClaimMapping:
    """People whose claim holds `value` sign in to `account_id` with `role`."""

    value: str
    account_id: str
    role: str


@dataclass(frozen=True)
class OidcSettings:
    """[console.oidc]: an OpenID provider the console signs people in with (authorization code flow, PKCE)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False, default="")
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    claim: str = "groups"  # whose values the mappings match
    name_claim: str = "preferred_username"  # the user name shown and used in createdBy ARNs
    contact_claim: str = ""  # whose value is the alias of the person's own contact ("my shifts"); "" for none
    mappings: tuple[ClaimMapping, ...] = ()

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> OidcSettings:
        """The section from the file."""
        where = "[console.oidc]"
        no_unknown(raw, OIDC_KEYS | {"mappings"}, where)
        for required in ("issuer", "client_id"):
            if required not in raw:
                raise ConfigError(f"{where} needs {required}")
        scopes = strings(raw.get("scopes", list(cls.scopes)), f"{where} scopes")
        if "openid" not in scopes:
            raise ConfigError(f"{where} scopes must include openid")
        return cls(
            issuer=url(raw["issuer"], f"{where} issuer").rstrip("/"),
            client_id=text(raw["client_id"], f"{where} client_id"),
            # A public client (PKCE alone) has no secret.
            client_secret=text(raw["client_secret"], f"{where} client_secret") if "client_secret" in raw else "",
            scopes=scopes,
            claim=text(raw.get("claim", cls.claim), f"{where} claim"),
            name_claim=text(raw.get("name_claim", cls.name_claim), f"{where} name_claim"),
            contact_claim=text(raw["contact_claim"], f"{where} contact_claim") if "contact_claim" in raw else "",
            mappings=_mappings(raw.get("mappings", []), where),
        )

    def grant(self, claims: Mapping[str, Any]) -> ClaimMapping | None:
        """The first mapping whose value the person's claim holds (a list of values or one), or None."""
        held = claims.get(self.claim)
        values = set(held) if isinstance(held, list) else {held} if isinstance(held, str) else set()
        return next((mapping for mapping in self.mappings if mapping.value in values), None)

    def contact_alias(self, claims: Mapping[str, Any]) -> str | None:
        """The alias of the person's own contact, from contact_claim (a string), or None."""
        if not self.contact_claim:
            return None
        held = claims.get(self.contact_claim)
        return (held.strip()[:255] or None) if isinstance(held, str) else None


def _mappings(raw: Any, where: str) -> tuple[ClaimMapping, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where} mappings must be an array of tables: [[console.oidc.mappings]]")
    found = []
    for number, entry in enumerate(raw, 1):
        place = f"[[console.oidc.mappings]] entry {number}"
        entry = table(entry, place)
        no_unknown(entry, MAPPING_KEYS, place)
        account = account_id(entry.get("account_id", ""), f"{place} account_id")
        role = text(entry.get("role", ""), f"{place} role")
        if role not in ROLES:
            raise ConfigError(f"{place} role must be one of {', '.join(ROLES)}")
        found.append(ClaimMapping(text(entry.get("value", ""), f"{place} value"), account, role))
    return tuple(found)


@dataclass(frozen=True)
class ConsoleSettings:
    """[console]: whether the console is served, where people reach it, and how long a session lasts."""

    enabled: bool = True
    public_url: str = ""  # e.g. https://incidents.example.com; cookies are Secure when it is https
    idle_minutes: float = 60.0  # a session nobody used for this long signs out
    lifetime_hours: float = 12.0  # and every session ends this long after sign-in
    oidc: OidcSettings | None = None

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie is sent over https only."""
        return self.public_url.startswith("https://")

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> ConsoleSettings:
        """The section from the file."""
        found = table(raw.get("console", {}), "[console] in the config file")
        no_unknown(found, CONSOLE_KEYS | {"oidc"}, "[console]")
        oidc = found.get("oidc")
        return cls(
            enabled=boolean(found.get("enabled", cls.enabled), "[console] enabled"),
            public_url=url(found["public_url"], "[console] public_url").rstrip("/") if "public_url" in found else "",
            idle_minutes=positive(found.get("idle_minutes", cls.idle_minutes), "[console] idle_minutes"),
            lifetime_hours=positive(found.get("lifetime_hours", cls.lifetime_hours), "[console] lifetime_hours"),
            oidc=None if oidc is None else OidcSettings.read(table(oidc, "[console.oidc]")),
        )
