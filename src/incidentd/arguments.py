"""Types of command-line values: each refuses a wrong value in one line that says what is expected."""

from __future__ import annotations

import argparse
from typing import NoReturn

from incidentd.config import ConfigError
from incidentd.config.values import account_id as checked_account_id


class Parser(argparse.ArgumentParser):
    """argparse's parser, saying a mistake in one line that points at --help instead of the usage and the mistake."""

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 after one line on stderr."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def port(text: str) -> int:
    """A TCP port number: 1 to 65535."""
    number = _whole(text)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text}")
    return number


def count(text: str) -> int:
    """A whole number of 1 or more."""
    number = _whole(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return number


def account_id(text: str) -> str:
    """An AWS account id: exactly 12 digits."""
    try:
        return checked_account_id(text, "the account")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
