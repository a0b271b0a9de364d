"""Who may post alerts: `[[ingest_tokens]]` from the config, each tied to one account and optionally some plans."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class TokenConfigError(ValueError):
    """An `[[ingest_tokens]]` entry that can't be used."""


@dataclass(frozen=True)
class IngestToken:
    """One bearer token: the account whose plans it may use, and which of them (None: all)."""

    token: str
    account: str
    plans: frozenset[str] | None = None
    name: str | None = None

    def allows(self, plan_name: str) -> bool:
        """Whether the token may open incidents with this plan."""
        return self.plans is None or plan_name in self.plans


def tokens_from_config(raw_config: Mapping[str, Any]) -> list[IngestToken]:
    """The tokens of the config file, checked: a short or malformed token would be a hole, not a typo."""
    entries = raw_config.get("ingest_tokens", [])
    if not isinstance(entries, list):
        raise TokenConfigError("ingest_tokens must be an array of tables ([[ingest_tokens]])")
    tokens = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise TokenConfigError("each [[ingest_tokens]] entry must be a table")
        token, account = str(entry.get("token") or ""), str(entry.get("account") or "")
        if len(token) < 16:
            raise TokenConfigError("an [[ingest_tokens]] token must be at least 16 characters")
        if not (account.isdigit() and len(account) == 12):
            raise TokenConfigError("an [[ingest_tokens]] account must be a 12-digit account id")
        plans = entry.get("plans")
        if plans is not None and not (isinstance(plans, list) and all(isinstance(p, str) for p in plans)):
            raise TokenConfigError("[[ingest_tokens]] plans must be a list of response plan names")
        tokens.append(IngestToken(token, account, frozenset(plans) if plans is not None else None, entry.get("name")))
    return tokens


def presented_token(authorization: str) -> str | None:
    """The token in an Authorization header: `Bearer <token>`, or the password of `Basic` credentials.

    SNS can't send a bearer token; it sends the user and password of the subscription URL
    (https://user:token@host/…) as Basic credentials after a 401 (SNS developer guide, HTTP(S) endpoints).
    """
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


def authenticate(tokens: list[IngestToken], authorization: str) -> IngestToken | None:
    """The configured token the header presents, or None; every token is compared, in constant time each."""
    presented = presented_token(authorization)
    if presented is None:
        return None
    found = None
    wanted = presented.encode()
    for candidate in tokens:
        # No early exit: how long the check takes must not tell which token a guess came close to.
        if hmac.compare_digest(candidate.token.encode(), wanted) and found is None:
            found = candidate
    return found
