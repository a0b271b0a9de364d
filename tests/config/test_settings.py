"""Typed settings: every section read once, with its defaults, the environment over the file, and clear refusals."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from incidentd import config
from incidentd.config import ConfigError, Settings

FILE = """
database_url = "postgresql://incidentd@db.internal/incidentd"
region = "eu-west-1"

[[credentials]]
access_key_id = "AKIDFILE0000000001"
secret_access_key = "file-secret"
account_id = "111122223333"
user = "ops"

[replication]
settle_seconds = 0.5

[worker]
lease_seconds = 30
poll_seconds = 0.25

[server]
read_cache_mib = 2

[runbooks]
allow_scripts = true

[pagerduty]
base_url = "http://127.0.0.1:9/"
auto_resolve = false

[smtp]
url = "smtp://mail.internal:2525"
from = "incidentd@example.com"

[[ingest_tokens]]
token = "a-token-of-sixteen-or-more"
account = "111122223333"
plans = ["checkout"]

[logging]
format = "json"
"""


def test_nothing_configured_is_the_documented_defaults() -> None:
    """With no file and no environment every section has the defaults the README's reference gives."""
    settings = config.load(None, environ={})
    assert settings == Settings()
    assert settings.database_url == f"sqlite:///{config.default_database_path()}" and settings.region == "us-east-1"
    assert (settings.worker.lease_seconds, settings.worker.poll_seconds, settings.worker.keep_done_jobs_days) == (
        60.0,
        0.5,
        7.0,
    )
    assert (settings.replication.settle_seconds, settings.replication.region_min_age_hours) == (2.0, 24.0)
    assert settings.server.read_cache_mib == 8.0 and not settings.runbooks.allow_scripts
    assert settings.pagerduty.auto_resolve and settings.pagerduty.base_url is None
    assert settings.pagerduty.secrets is None  # no [secrets] table: plans may name secrets not configured yet
    assert settings.delivery.smtp is None and settings.delivery.twilio is None and settings.ingest.tokens == ()
    assert settings.notifications.public_url == "http://127.0.0.1:4570"
    assert (settings.logging.format, settings.logging.level, settings.logging.access) == ("text", "info", False)


def test_every_section_of_a_file_is_read(tmp_path: Path) -> None:
    """A file's values reach the typed sections they belong to."""
    path = tmp_path / "incidentd.toml"
    path.write_text(FILE)
    settings = config.load(str(path), environ={})
    assert settings.database_url == "postgresql://incidentd@db.internal/incidentd" and settings.region == "eu-west-1"
    assert settings.credentials["AKIDFILE0000000001"].account_id == "111122223333"
    assert settings.caller_name("AKIDFILE0000000001") == "ops" and settings.caller_name("OTHER") == "OTHER"
    assert settings.replication.settle_seconds == 0.5
    assert (settings.worker.lease_ms, settings.worker.poll_seconds) == (30_000, 0.25)
    assert settings.server.read_cache_mib == 2 and settings.runbooks.allow_scripts
    assert (settings.pagerduty.base_url, settings.pagerduty.auto_resolve) == ("http://127.0.0.1:9", False)
    assert settings.delivery.smtp is not None and settings.delivery.smtp.sender == "incidentd@example.com"
    [token] = settings.ingest.tokens
    assert token.account == "111122223333" and token.allows("checkout") and not token.allows("other")
    assert "a-token-of-sixteen" not in repr(settings)  # secrets stay out of logs and tracebacks
    assert settings.logging.format == "json"


def test_the_environment_wins_over_the_file_key_by_key() -> None:
    """Each INCIDENTD_* variable replaces its twin in the file; the rest of the file still counts."""
    environ = {
        "INCIDENTD_DATABASE_URL": "sqlite:///elsewhere.db",
        "INCIDENTD_REGION": "ap-southeast-2",
        "INCIDENTD_CREDENTIALS": "AKIDENV0000000000001:env-secret:444455556666",
        "INCIDENTD_READ_CACHE_MIB": "0",
        "INCIDENTD_EMAIL_FROM": "env@example.com",
        "INCIDENTD_LOG_LEVEL": "debug",
    }
    settings = config.from_toml(tomllib.loads(FILE), environ)
    assert settings.database_url == "sqlite:///elsewhere.db" and settings.region == "ap-southeast-2"
    assert set(settings.credentials) == {"AKIDFILE0000000001", "AKIDENV0000000000001"}
    assert settings.server.read_cache_mib == 0
    assert settings.delivery.smtp is not None
    assert (settings.delivery.smtp.url, settings.delivery.smtp.sender) == (
        "smtp://mail.internal:2525",
        "env@example.com",
    )
    assert (settings.logging.format, settings.logging.level) == ("json", "debug")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[worker]\nlease_seconds = "sixty"\n', "[worker] lease_seconds must be a number"),
        ("[worker]\npoll_seconds = 0\n", "[worker] poll_seconds must be more than 0"),
        ("[worker]\nkeep_done_jobs_days = true\n", "[worker] keep_done_jobs_days must be a number"),
        ('[replication]\nsettle_seconds = "soon"\n', "[replication] settle_seconds must be a number"),
        ("[server]\nread_cache_mib = -1\n", "[server] read_cache_mib (INCIDENTD_READ_CACHE_MIB) must be 0 or more"),
        ('[pagerduty]\nauto_resolve = "no way"\n', "[pagerduty] auto_resolve must be true or false"),
        ('[pagerduty]\nbase_url = "api.pagerduty.com"\n', "[pagerduty] base_url"),
        ('[ingest]\nsns_cert_url_prefixes = "http://x/"\n', "[ingest] sns_cert_url_prefixes must be a list"),
        ("worker = 3\n", "[worker] in the config file must be a table"),
        ("region = 5\n", "region must be a non-empty string"),
        ("[[credentials]]\naccess_key_id = 'AKID'\n", "a [[credentials]] entry lacks 'secret_access_key'"),
        ('[smtp]\nurl = "smtp://mail.internal"\n', "INCIDENTD_SMTP_URL set but not INCIDENTD_EMAIL_FROM ([smtp] from)"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(text: str, named: str) -> None:
    """A value of the wrong type or out of range stops the start with the setting's name, never a traceback."""
    with pytest.raises(ConfigError) as refused:
        config.from_toml(tomllib.loads(text))
    assert named in str(refused.value)


def test_an_unreadable_file_is_refused_naming_it(tmp_path: Path) -> None:
    """A missing or broken file is a ConfigError that names the file."""
    with pytest.raises(ConfigError, match="can't read config file .*missing.toml"):
        config.load(str(tmp_path / "missing.toml"), environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[worker\n")
    with pytest.raises(ConfigError, match="broken.toml"):
        config.load(None, environ={"INCIDENTD_CONFIG": str(broken)})
