"""The PagerDuty client and the `[secrets]` look-up, without a server."""

from __future__ import annotations

import pytest
from standin import FROM, TOKEN, PagerDutyStandIn

from incidentd import config
from incidentd.channels.message import DeliveryError
from incidentd.channels.pagerduty import (
    PagerDutyClient,
    PagerDutySecret,
    SecretError,
    base_url_for,
    find_secret,
    incident_key,
)

ACCOUNT = "111122223333"
ENTRY = {"pagerDutyToken": TOKEN, "pagerDutyServiceRegion": "EU", "pagerDutyFromEmail": FROM}
ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:pagerduty-AbC123"


def test_a_secret_is_found_by_name_or_by_arn() -> None:
    config = {ARN: ENTRY}
    assert find_secret(config, ARN, ACCOUNT) == PagerDutySecret(TOKEN, FROM, "EU")
    assert find_secret(config, "pagerduty", ACCOUNT).region == "EU"
    assert find_secret({"pagerduty": ENTRY}, ARN, ACCOUNT).token == TOKEN


def test_a_secret_string_is_read_as_json() -> None:
    config = {"pd": '{"pagerDutyToken": "t", "pagerDutyFromEmail": "a@example.com"}'}
    assert find_secret(config, "pd", ACCOUNT) == PagerDutySecret("t", "a@example.com", "US")


def test_a_secret_of_another_account_is_refused() -> None:
    with pytest.raises(SecretError, match="does not belong"):
        find_secret({ARN: ENTRY}, ARN, "444455556666")
    shared = {"pd": dict(ENTRY, accounts=["444455556666"])}
    assert find_secret(shared, "pd", "444455556666").token == TOKEN
    with pytest.raises(SecretError):
        find_secret(shared, "pd", ACCOUNT)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"pagerDutyFromEmail": FROM}, "lacks pagerDutyToken"),
        (dict(ENTRY, pagerDutyServiceRegion="APAC"), "must be US or EU"),
        ("not json", "not a JSON object"),
    ],
)
def test_unusable_secrets_say_why(entry: object, message: str) -> None:
    with pytest.raises(SecretError, match=message):
        find_secret({"pd": entry}, "pd", ACCOUNT)
    with pytest.raises(SecretError, match="no secret"):
        find_secret({"pd": ENTRY}, "other", ACCOUNT)


def test_the_base_url_follows_the_region_unless_configured() -> None:
    secret = find_secret({"pd": ENTRY}, "pd", ACCOUNT)
    assert base_url_for(None, secret) == "https://api.eu.pagerduty.com"
    configured = config.from_toml({"pagerduty": {"base_url": "http://127.0.0.1:9/"}}).pagerduty.base_url
    assert base_url_for(configured, secret) == "http://127.0.0.1:9"
    assert len(incident_key("arn:" + "x" * 400)) < 255


def test_create_find_and_resolve_against_the_standin() -> None:
    with_standin = PagerDutyStandIn().start()
    try:
        client = PagerDutyClient(with_standin.url, PagerDutySecret(TOKEN, FROM, "US"))
        first = client.create_incident("PSVC1", "Disk full", "key-1", "details")
        # The same key again while open: PagerDuty refuses it, the client finds the first one.
        assert client.create_incident("PSVC1", "Disk full", "key-1", "details") == first
        assert client.find_open_incident("PSVC1", "key-2") is None
        client.resolve_incident(first)
        client.resolve_incident(first)  # twice is fine
        assert with_standin.incidents[first].status == "resolved"
        with pytest.raises(DeliveryError) as caught:
            PagerDutyClient(with_standin.url, PagerDutySecret("wrong", FROM, "US")).create_incident("P", "t", "k", "")
        assert caught.value.permanent and "HTTP 401" in str(caught.value)
    finally:
        with_standin.stop()


def test_an_unreachable_pagerduty_is_a_passing_failure() -> None:
    client = PagerDutyClient("http://127.0.0.1:9", PagerDutySecret(TOKEN, FROM, "US"), timeout=2)
    with pytest.raises(DeliveryError) as caught:
        client.create_incident("PSVC1", "t", "k", "")
    assert not caught.value.permanent
