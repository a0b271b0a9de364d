"""A PagerDuty secret must say whose it is: a plain name without `accounts` would be every tenant's (issue 17)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from incidentd import config
from incidentd.config import ConfigError

ENTRY = 'pagerDutyToken = "y_NbAkKc66ryYEXAMPLE"\npagerDutyFromEmail = "oncall@example.com"\n'
ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:pagerduty-AbC123"


def load(text: str) -> config.Settings:
    return config.from_toml(tomllib.loads(text))


def test_serve_refuses_a_plain_named_secret_without_accounts(tmp_path: Path) -> None:
    """The attack's precondition: any tenant could name this secret in a plan and use the operator's token."""
    path = tmp_path / "incidentd.toml"
    path.write_text(f'[secrets."pagerduty-shared"]\n{ENTRY}')
    command = [sys.executable, "-m", "incidentd.cli", "serve", "--port", "1", "--config", str(path)]
    command += ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    complaint = [line for line in done.stderr.splitlines() if "pagerduty-shared" in line]
    assert len(complaint) == 1 and "accounts = [" in complaint[0], done.stderr


@pytest.mark.parametrize(
    "text",
    [
        f'[secrets."pd"]\n{ENTRY}',
        '[secrets]\n"pd" = \'{"pagerDutyToken": "t", "pagerDutyFromEmail": "a@example.com"}\'\n',
        f'[secrets."pd"]\n{ENTRY}accounts = []\n',
    ],
)
def test_every_form_of_an_ownerless_secret_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"\[secrets\] 'pd'.*accounts = \["):
        load(text)


@pytest.mark.parametrize(
    "text",
    [
        f'[secrets."{ARN}"]\n{ENTRY}',
        f'[secrets."pd"]\n{ENTRY}accounts = ["111122223333", "444455556666"]\n',
        '[secrets]\n"pd" = \'{"pagerDutyToken": "t", "pagerDutyFromEmail": "a@b.c", "accounts": ["111122223333"]}\'\n',
    ],
)
def test_secrets_that_name_their_accounts_still_load(text: str) -> None:
    assert load(text).pagerduty.secrets is not None


def test_accounts_must_be_account_ids() -> None:
    with pytest.raises(ConfigError, match="12-digit"):
        load(f'[secrets."pd"]\n{ENTRY}accounts = ["prod"]\n')
