"""Who may post alerts: the bearer (or Basic) token of a request, matched against `[[ingest_tokens]]`."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable

from incidentd.config.sections import IngestToken


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


def authenticate(tokens: Iterable[IngestToken], authorization: str) -> IngestToken | None:
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
