"""[[sns_topics]] and [notifications]: what is accepted, what is refused at start, and how links are signed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from incidentd import config
from incidentd.config import ConfigError
from incidentd.config.notifications import NotifySettings, Subscriber, link_key
from incidentd.notify import links, page
from incidentd.protocol.sigv4 import Credential

TOPIC = "arn:aws:sns:us-east-1:111122223333:incident-chat"
GOOD = f"""
[notifications]
public_url = "https://incidents.example.com/"
retry_seconds = 0.5

[[sns_topics]]
arn = "{TOPIC}"
subscribers = [
  {{ protocol = "slack", endpoint = "https://hooks.slack.com/services/T0/B0/x" }},
  {{ protocol = "msteams", endpoint = "https://example.webhook.office.com/webhookb2/x" }},
  {{ protocol = "mattermost", endpoint = "http://mattermost.internal/hooks/x" }},
  {{ protocol = "https", endpoint = "https://example.com/hook", secret = "s3cret" }},
  {{ protocol = "email", endpoint = "team@example.com" }},
]
"""


def load(text: str, env: dict[str, str] | None = None) -> NotifySettings:
    """The notification settings config.load makes from a file with this text and this environment."""
    return config.from_toml(tomllib.loads(text), env or {}).notifications


def test_a_good_section_is_read() -> None:
    found = load(GOOD)
    assert [s.protocol for s in found.subscribers(TOPIC)] == ["slack", "msteams", "mattermost", "https", "email"]
    assert found.subscribers("arn:aws:sns:us-east-1:111122223333:other") == ()
    assert found.public_url == "https://incidents.example.com"
    assert found.retry_seconds == 0.5 and found.timeout_seconds == 10.0 and found.retry_for_seconds == 3600.0
    https = found.subscribers(TOPIC)[3]
    assert found.subscriber(TOPIC, https.key) == https and "s3cret" not in repr(https)
    assert [found.retry_delay_ms(n) for n in (1, 2, 3)] == [500, 1000, 2000]
    assert NotifySettings(retry_seconds=60).retry_delay_ms(10) == 300_000


def test_the_environment_wins() -> None:
    env = {"INCIDENTD_PUBLIC_URL": "http://10.0.0.5:4570", "INCIDENTD_LINK_SECRET": "from-env"}
    found = load(GOOD, env)
    assert found.public_url == "http://10.0.0.5:4570" and found.link_key == b"from-env"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[[sns_topics]]\narn = "x"\n', "arn must be an SNS topic ARN"),
        ('[[sns_topics]]\narn = "arn:aws:sqs:us-east-1:111122223333:q"\n', "arn must be an SNS topic ARN"),
        (f'[[sns_topics]]\narn = "{TOPIC}"\nsubscribers = [{{protocol = "sms", endpoint = "+1"}}]', "protocol must"),
        (f'[[sns_topics]]\narn = "{TOPIC}"\nsubscribers = [{{protocol = "slack"}}]', "endpoint is missing"),
        (
            f'[[sns_topics]]\narn = "{TOPIC}"\nsubscribers = [{{protocol = "slack", endpoint = "ftp://x/y"}}]',
            "is not an http(s)://host[:port] URL",
        ),
        (f'[[sns_topics]]\narn = "{TOPIC}"\nsubscribers = [{{protocol = "email", endpoint = "x"}}]', "e-mail address"),
        (
            f'[[sns_topics]]\narn = "{TOPIC}"\nsubscribers = [{{protocol = "slack", endpont = "https://x"}}]',
            "unknown key endpont",
        ),
        (f'[[sns_topics]]\narn = "{TOPIC}"\n[[sns_topics]]\narn = "{TOPIC}"\n', "configured twice"),
        ('[notifications]\npublic_url = "incidents.example.com"\n', "public_url"),
        ('[notifications]\nincident_url = "https://tool/{incident}"\n', "uses incident"),
        ("[notifications]\nretry_seconds = 0\n", "[notifications] retry_seconds must be more than 0"),
    ],
)
def test_a_bad_section_is_refused_with_a_clear_message(text: str, complaint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(text)
    assert complaint in str(caught.value)


def test_serve_reports_a_bad_section_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "incidentd.toml"
    config.write_text(f'[[sns_topics]]\narn = "{TOPIC}"\nsubscribers = [{{protocol = "telegram", endpoint = "x"}}]\n')
    command = [sys.executable, "-m", "incidentd.cli", "serve", "--port", "1", "--config", str(config)]
    command += ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "protocol must be one of slack, msteams, mattermost, https, email, not 'telegram'" in done.stderr


def test_a_worker_says_at_start_where_each_topic_delivers_and_no_secret(tmp_path: Path) -> None:
    config = tmp_path / "incidentd.toml"
    config.write_text(GOOD)
    command = [sys.executable, "-m", "incidentd.cli", "worker", "--config", str(config)]
    command += ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path) as worker:
        assert worker.stderr is not None
        lines = []
        try:
            for line in worker.stderr:
                lines.append(line)
                if "incidentd worker" in line and "running" in line:
                    break
        finally:
            worker.terminate()
    [announced] = [line for line in lines if f"SNS topic {TOPIC} delivers to" in line]
    assert (
        "slack https://hooks.slack.com" in announced
        and "email t***@example.com" in announced
        and "team@" not in announced
    )
    assert "/services/" not in announced and "s3cret" not in announced  # a webhook's path is its secret


def test_a_bad_config_is_reported_in_the_log_format_the_environment_asks_for(tmp_path: Path) -> None:
    config = tmp_path / "incidentd.toml"
    config.write_text("[worker]\nlease_seconds = -1\n")
    command = [sys.executable, "-m", "incidentd.cli", "migrate", "--config", str(config)]
    command += ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    environ = dict(os.environ, INCIDENTD_LOG_FORMAT="json")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path, env=environ)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert json.loads(line)["message"] == "[worker] lease_seconds must be more than 0, not -1"


def test_the_link_key_comes_from_the_secret_or_else_from_every_credential() -> None:
    a, b = Credential("AKIDA", "secret-a", "111122223333"), Credential("AKIDB", "secret-b", "444455556666")
    assert link_key("configured", {"AKIDA": a}) == b"configured"
    assert link_key(None, {"AKIDA": a, "AKIDB": b}) == link_key(None, {"AKIDB": b, "AKIDA": a})
    rotated = Credential("AKIDA", "secret-a2", "111122223333")
    assert link_key(None, {"AKIDA": rotated, "AKIDB": b}) != link_key(None, {"AKIDA": a, "AKIDB": b})


def test_a_link_verifies_only_with_its_own_signature_and_arn() -> None:
    settings = NotifySettings(public_url="https://im.example.com", link_key=b"k")
    arn = "arn:aws:ssm-incidents::111122223333:incident-record/db-plan/abc-123"
    link = links.link(settings, arn, "us-east-1")
    path, _, query = link.removeprefix("https://im.example.com").partition("?")
    assert path == "/incidents/111122223333/db-plan/abc-123"
    assert links.verified_arn(path.encode(), query.encode(), b"k") == arn
    assert links.verified_arn(path.encode(), query.encode(), b"other key") is None
    assert links.verified_arn(path.encode(), query[:-2].encode() + b"AA", b"k") is None
    assert links.verified_arn(path.replace("111122223333", "444455556666").encode(), query.encode(), b"k") is None
    assert links.verified_arn(path.encode(), b"", b"k") is None
    assert links.verified_arn(b"/incidents/111122223333/db-plan", query.encode(), b"k") is None


def test_an_incident_url_template_points_links_at_the_teams_own_tool() -> None:
    text = '[notifications]\nincident_url = "https://tool.example.com/{region}/{account}/{plan}/{id}?arn={arn}"\n'
    settings = load(text)
    arn = "arn:aws:ssm-incidents::111122223333:incident-record/db-plan/abc-123"
    assert links.link(settings, arn, "eu-west-1") == (
        "https://tool.example.com/eu-west-1/111122223333/db-plan/abc-123"
        "?arn=arn%3Aaws%3Assm-incidents%3A%3A111122223333%3Aincident-record%2Fdb-plan%2Fabc-123"
    )


def test_the_page_escapes_everything_it_shows() -> None:
    record = {
        "arn": "arn:aws:ssm-incidents::111122223333:incident-record/p/i",
        "title": "<script>alert(1)</script>",
        "impact": 1,
        "status": "OPEN",
        "summary": "a & b <i>",
        "creationTime": 1_800_000_000.0,
        "lastModifiedTime": 1_800_000_000.0,
    }
    event = {"eventTime": 1_800_000_010.0, "eventType": "Note", "eventData": '"<img src=x onerror=alert(2)>"'}
    html = page.render(record, [event])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "a &amp; b &lt;i&gt;" in html and "1 (Critical)" in html


def test_subscribers_are_named_in_logs_without_their_secret_path() -> None:
    hook = Subscriber("slack", "https://hooks.slack.com/services/T0/B0/secretpart")
    assert hook.describe() == "slack https://hooks.slack.com"
