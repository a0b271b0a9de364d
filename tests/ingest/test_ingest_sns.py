"""CloudWatch alarms through an SNS HTTP(S) subscription: real signatures, confirmation, ALARM and OK."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from ingest_support import TOKEN, incidents_of, payload, post, triggers
from sns_signer import TOPIC, SnsSigner, alarm_message

from support import Server

SNS_HEADERS = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"}


def new_plan(incidents) -> str:  # type: ignore[no-untyped-def]
    name = f"alarms-{uuid.uuid4().hex[:10]}"
    incidents.create_response_plan(name=name, incidentTemplate={"title": "AWS", "impact": 2})
    return name


def sns_post(server: Server, plan: str, message: dict, token: str | None = TOKEN):  # type: ignore[no-untyped-def,type-arg]
    """POST a message as SNS does: text/plain JSON, credentials of the subscription URL as Basic."""
    headers = dict(SNS_HEADERS, **{"x-amz-sns-message-type": message["Type"], "x-amz-sns-topic-arn": TOPIC})
    return post(server, f"/ingest/sns/{plan}", json.dumps(message).encode(), token, "Basic", headers)


def test_a_subscription_is_confirmed_only_when_signed(ingest_server: Server, incidents, signer: SnsSigner) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    before = len(signer.confirmations)
    forged = dict(signer.confirmation(), Token="another-token")

    assert sns_post(ingest_server, plan, forged)[0] == 403
    assert len(signer.confirmations) == before

    status, answer, _ = sns_post(ingest_server, plan, signer.confirmation(version="2"))
    assert status == 200 and answer == {"confirmed": True, "topicArn": TOPIC}
    assert signer.confirmations[-1]["Action"] == ["ConfirmSubscription"]
    assert len(signer.confirmations) == before + 1


def test_an_unauthenticated_first_attempt_hears_the_basic_challenge(ingest_server: Server, incidents, signer) -> None:  # type: ignore[no-untyped-def]
    status, _, headers = sns_post(ingest_server, new_plan(incidents), signer.confirmation(), token=None)
    assert status == 401
    assert headers.get_all("www-authenticate") == ['Bearer realm="incidentd"', 'Basic realm="incidentd"']


@pytest.mark.parametrize("version", ["1", "2"])
def test_an_alarm_opens_and_ok_resolves(ingest_server: Server, incidents, signer: SnsSigner, version: str) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    sample = payload("cloudwatch_alarm")
    alarm = f"checkout-5xx-{uuid.uuid4().hex[:8]}"

    status, answer, _ = sns_post(
        ingest_server, plan, signer.notification(alarm_message(sample, "ALARM", alarm), version=version)
    )

    assert status == 201, answer
    (arn,) = answer["incidentRecordArns"]
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    alarm_arn = f"arn:aws:cloudwatch:us-east-1:111122223333:alarm:{alarm}"
    assert record["title"] == f"AWS: {alarm}" and record["impact"] == 2
    assert record["incidentRecordSource"]["source"] == "aws.cloudwatch"
    assert record["incidentRecordSource"]["resourceArn"] == alarm_arn
    assert record["summary"].startswith("More than 5% of checkout requests fail")
    (trigger,) = triggers(incidents, arn)
    assert trigger["triggerArn"] == alarm_arn and json.loads(trigger["rawData"])["AlarmName"] == alarm
    assert trigger["timestamp"] == 1714644972.345  # the alarm's StateChangeTime

    again = sns_post(ingest_server, plan, signer.notification(alarm_message(sample, "ALARM", alarm), version=version))
    assert again[:2] == (200, {"action": "deduplicated", "incidentRecordArns": [arn]})

    ok = sns_post(ingest_server, plan, signer.notification(alarm_message(sample, "OK", alarm), subject=None))
    assert ok[:2] == (200, {"action": "resolved", "incidentRecordArns": [arn]})
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"


def test_a_tampered_notification_is_refused(ingest_server: Server, incidents, signer: SnsSigner) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    signed = signer.notification(alarm_message(payload("cloudwatch_alarm"), "ALARM", "checkout-tampered"))
    tampered = dict(signed, Message=signed["Message"].replace("checkout-tampered", "checkout-other"))

    status, answer, _ = sns_post(ingest_server, plan, tampered)

    assert status == 403 and "signature" in answer["message"]
    assert sns_post(ingest_server, plan, dict(signed, Subject="OK"))[0] == 403
    assert incidents_of(incidents, plan) == []


def test_a_certificate_from_elsewhere_is_not_fetched(ingest_server: Server, incidents, signer: SnsSigner) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    message = alarm_message(payload("cloudwatch_alarm"), "ALARM", "checkout-elsewhere")
    for url in (
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "http://sns.us-east-1.amazonaws.com/x.pem",
    ):
        forged = signer.sign(dict(signer.notification(message), SigningCertURL=url))
        status, answer, _ = sns_post(ingest_server, plan, forged)
        assert status == 403 and "SigningCertURL" in answer["message"]
    assert incidents_of(incidents, plan) == []


def test_insufficient_data_changes_nothing(ingest_server: Server, incidents, signer: SnsSigner) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    message = alarm_message(payload("cloudwatch_alarm"), "INSUFFICIENT_DATA", "checkout-quiet")
    status, answer, _ = sns_post(ingest_server, plan, signer.notification(message))
    assert (status, answer) == (200, {"action": "ignored", "incidentRecordArns": []})
    assert incidents_of(incidents, plan) == []


def _sent(signer: SnsSigner, message: str, seconds_ago: float) -> dict:  # type: ignore[type-arg]
    """A notification signed as SNS would have signed it when it was sent seconds_ago."""
    when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds_ago)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return signer.sign(dict(signer.notification(message), Timestamp=stamp))


def test_a_replay_is_refused_and_a_retry_is_not(ingest_server: Server, incidents, signer: SnsSigner) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    sample = payload("cloudwatch_alarm")

    for seconds_ago, what in ((2 * 3600, "longer ago than SNS retries"), (-3600, "in the future")):
        message = alarm_message(sample, "ALARM", f"replayed-{uuid.uuid4().hex[:8]}")
        status, answer, _ = sns_post(ingest_server, plan, _sent(signer, message, seconds_ago))
        assert status == 403 and what in answer["message"], answer
    assert incidents_of(incidents, plan) == []

    # SNS retries a failed delivery for up to an hour, with the Timestamp of the first attempt.
    retried = alarm_message(sample, "ALARM", f"retried-{uuid.uuid4().hex[:8]}")
    status, answer, _ = sns_post(ingest_server, plan, _sent(signer, retried, 50 * 60))
    assert status == 201, answer
    assert len(incidents_of(incidents, plan)) == 1
