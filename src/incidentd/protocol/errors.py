"""Errors that handlers raise and the protocols turn into AWS-shaped responses."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A modelled AWS error: its code, message and extra members keyed by model name."""

    def __init__(self, code: str, message: str, **members: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.members = members


class RefusalAfterWrites(ServiceError):
    """A modelled error whose operation's writes still commit: a wrong code is counted although the call fails."""


def validation_error(message: str, **members: Any) -> ServiceError:
    """A ValidationException with the given message."""
    return ServiceError("ValidationException", message, **members)


def validation_failures(failures: list[str]) -> ServiceError:
    """A ValidationException in Coral's style: 'N validation errors detected: a; b'."""
    count = len(failures)
    noun = "error" if count == 1 else "errors"
    return validation_error(f"{count} validation {noun} detected: " + "; ".join(failures))
