"""Console passwords, hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended setting)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing a megabyte of "password" is work an attacker could hand the server for free

# Checked when a name is unknown, so that a wrong name costs as long as a wrong password and says nothing.
_UNKNOWN = _HASHER.hash("a password nobody has")


def hash_password(password: str) -> str:
    """The hash to store for a new password."""
    return _HASHER.hash(password)


def problem(password: str) -> str | None:
    """Why a new password can't be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    return None


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches the stored hash; with no hash (no such user), False after the same work."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _UNKNOWN, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
