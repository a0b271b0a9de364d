"""The pieces of ingestion that need no server: tokens, times, raw data, SNS's string to sign."""

from __future__ import annotations

import base64
import json

import pytest

from incidentd.config import ConfigError
from incidentd.config.sections import IngestSettings, IngestToken
from incidentd.ingest.auth import authenticate, presented_token
from incidentd.ingest.common import MAX_RAW_DATA, Refused, epoch, full_title, raw_data
from incidentd.ingest.sns import SnsVerifier, check_fresh, string_to_sign

TOKENS = [IngestToken("a" * 20, "111122223333"), IngestToken("b" * 20, "444455556666", frozenset({"p"}))]


def test_a_token_is_presented_as_bearer_or_basic_password() -> None:
    assert presented_token("Bearer tok") == "tok"
    assert presented_token("Basic " + base64.b64encode(b"sns:tok").decode()) == "tok"
    assert presented_token("Basic " + base64.b64encode(b"no-colon").decode()) is None
    assert presented_token("Token tok") is None and presented_token("") is None
    assert authenticate(TOKENS, "Bearer " + "b" * 20) == TOKENS[1]
    assert authenticate(TOKENS, "Bearer " + "b" * 19) is None
    assert not TOKENS[1].allows("q") and TOKENS[0].allows("q")


@pytest.mark.parametrize(
    "entries",
    [
        [{"token": "short", "account": "111122223333"}],
        [{"token": "x" * 20, "account": "1234"}],
        [{"token": "x" * 20, "account": "111122223333", "plans": "p"}],
        {"token": "x" * 20},
    ],
)
def test_unusable_token_entries_are_refused(entries: object) -> None:
    with pytest.raises(ConfigError):
        IngestSettings.read({"ingest_tokens": entries})


def test_times_and_titles() -> None:
    assert epoch("2024-05-02T10:15:30.123456789Z", 0) == 1714644930.123456
    assert epoch("2021-10-12T09:51:03.157076+02:00", 0) == 1634025063.157076
    assert epoch("0001-01-01T00:00:00Z", 7.0) == 7.0 and epoch("yesterday", 7.0) == 7.0
    assert full_title("Prod", "Disk") == "Prod: Disk" and full_title("", "Disk") == "Disk"
    assert len(full_title("P" * 150, "x" * 100)) == 200


def test_raw_data_drops_alerts_then_cuts_keeping_json() -> None:
    alerts = [{"n": i, "text": "y" * 500} for i in range(50)]
    value = {"groupKey": "k", "alerts": alerts}
    text = raw_data(value, shrink=alerts)
    assert len(text) <= MAX_RAW_DATA and json.loads(text)["alerts"][0]["n"] == 0
    cut = raw_data({"huge": '"\\' * 20000})
    assert len(cut) <= MAX_RAW_DATA and json.loads(cut)["truncated"] is True


def test_the_string_to_sign_follows_the_message_type() -> None:
    note = {"Type": "Notification", "MessageId": "m", "Message": "x", "Timestamp": "t", "TopicArn": "a"}
    assert string_to_sign(note) == b"Message\nx\nMessageId\nm\nTimestamp\nt\nTopicArn\na\nType\nNotification\n"
    assert b"Subject\ns\n" in string_to_sign(dict(note, Subject="s"))


def test_only_sns_hosts_serve_certificates_unless_configured() -> None:
    verifier = SnsVerifier(["http://127.0.0.1:8081/certs/"])
    assert verifier.allowed("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem", pem=True)
    assert verifier.allowed("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", pem=True)
    assert not verifier.allowed("https://sns.eu-west-1.amazonaws.com/other", pem=True)
    assert not verifier.allowed("http://sns.eu-west-1.amazonaws.com/a.pem", pem=True)
    assert not verifier.allowed("https://sns.eu-west-1.amazonaws.com.attacker.net/a.pem", pem=True)
    assert not verifier.allowed("https://sns.eu-west-1.amazonaws.com:8443/a.pem", pem=True)
    assert verifier.allowed("http://127.0.0.1:8081/certs/x.pem", pem=True)
    assert not verifier.allowed("http://127.0.0.1:8081/other/x.pem", pem=True)
    assert not verifier.allowed("http://127.0.0.1:8082/certs/x.pem", pem=True)


def test_a_notification_is_fresh_for_the_hour_sns_retries_plus_clock_slack() -> None:
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z

    def age(stamp: str) -> int | None:
        try:
            check_fresh({"Timestamp": stamp}, now)
        except Refused as refused:
            return refused.status
        return None

    assert age("2027-01-15T08:00:00.000Z") is None
    assert age("2027-01-15T06:45:01.000Z") is None  # 74 min 59 s old
    assert age("2027-01-15T06:44:59.000Z") == 403  # 75 min 1 s old
    assert age("2027-01-15T08:14:59Z") is None and age("2027-01-15T08:15:01Z") == 403  # 15 minutes ahead at most
    assert age("2027-01-15T08:00:00") is None  # no zone: taken as UTC
    assert age("yesterday") == 403
