"""Engagements on the engine's clock: stages in time, acknowledgement stops them, nothing is sent twice."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
from harness import START_MS, Harness

from incidentd.protocol import model
from incidentd.store.db import Database
from incidentd.store.tables import jobs

_accounts = itertools.count(900_000_000_001)


@pytest.fixture
def h(own_database):  # type: ignore[no-untyped-def]
    """An onboarded account on a fake clock with in-memory transports."""
    db = Database(own_database)
    with db.write() as conn:  # other tests' queued jobs would run on this harness's worker
        conn.execute(sa.delete(jobs))
    harness = Harness(db, str(next(_accounts)))
    harness.onboard()
    yield harness
    db.dispose()


def _plan(*stages: tuple[int, list[dict]]) -> dict:  # type: ignore[type-arg]
    return {"Stages": [{"DurationInMinutes": minutes, "Targets": targets} for minutes, targets in stages]}


def _channel(arn: str, retry: int | None = None) -> dict:  # type: ignore[type-arg]
    info = {"ContactChannelId": arn}
    if retry is not None:
        info["RetryIntervalInMinutes"] = retry
    return {"ChannelTargetInfo": info}


def _contact(arn: str, essential: bool = True) -> dict:  # type: ignore[type-arg]
    return {"ContactTargetInfo": {"ContactId": arn, "IsEssential": essential}}


def _engage(h: Harness, contact_arn: str, **extra: str) -> str:
    return h.call(
        "StartEngagement",
        ContactId=contact_arn,
        Sender="cli",
        Subject="Disk full",
        Content="db1 is out of disk",
        **extra,
    )["EngagementArn"]


def _pages(h: Harness, engagement: str) -> list[dict]:  # type: ignore[type-arg]
    return h.call("ListPagesByEngagement", EngagementId=engagement)["Pages"]


def test_a_personal_engagement_plan_pages_its_channels_stage_by_stage(h: Harness) -> None:
    alice, (email, sms) = h.person("alice", ("EMAIL", "alice@example.com"), ("SMS", "+15550100001"))
    h.call("UpdateContact", ContactId=alice, Plan=_plan((5, [_channel(email)]), (0, [_channel(sms)])))
    engagement = _engage(h, alice, PublicSubject="Page", PublicContent="Disk")
    h.run()
    assert h.pages_to(h.email) == ["alice@example.com"]
    assert h.pages_to(h.sms) == []
    h.run(minutes=4.9)
    assert h.pages_to(h.sms) == []
    h.run(minutes=0.1)
    assert h.pages_to(h.sms) == ["+15550100001"]
    (message,) = h.sms.sent
    assert (message.public_subject, message.public_content) == ("Page", "Disk")
    assert h.email.sent[0].code == message.code  # one page, one accept code, whatever the channel
    (page,) = _pages(h, engagement)
    assert page["SentTime"] * 1000 == START_MS


def test_reading_a_page_stops_its_later_channels(h: Harness) -> None:
    alice, (email, sms) = h.person("alice", ("EMAIL", "alice@example.com"), ("SMS", "+15550100001"))
    h.call("UpdateContact", ContactId=alice, Plan=_plan((5, [_channel(email)]), (0, [_channel(sms)])))
    engagement = _engage(h, alice)
    h.run()
    (page,) = _pages(h, engagement)
    h.call("AcceptPage", PageId=page["PageArn"], AcceptType="READ", AcceptCode=h.email.sent[0].code)
    h.run(minutes=30)
    assert h.pages_to(h.sms) == []
    receipts = h.call("ListPageReceipts", PageId=page["PageArn"])["Receipts"]
    assert [r["ReceiptType"] for r in receipts] == ["SENT", "READ"]
    assert receipts[0]["ContactChannelArn"] == email
    assert h.call("DescribeEngagement", EngagementId=engagement)["StopTime"]


def test_an_escalation_plan_moves_to_the_next_stage_until_an_essential_contact_reads(h: Harness) -> None:
    _, (alice_email,) = h.person("alice", ("EMAIL", "alice@example.com"))
    _, (bob_email,) = h.person("bob", ("EMAIL", "bob@example.com"))
    _, (carol_email,) = h.person("carol", ("EMAIL", "carol@example.com"))
    alice, bob, carol = (
        f"arn:aws:ssm-contacts:us-east-1:{h.account_id}:contact/{a}" for a in ("alice", "bob", "carol")
    )
    plan = _plan((10, [_contact(alice)]), (10, [_contact(bob)]), (0, [_contact(carol)]))
    escalation = h.call("CreateContact", Alias="db-oncall", Type="ESCALATION", Plan=plan)["ContactArn"]
    engagement = _engage(h, escalation)
    h.run()
    assert h.pages_to(h.email) == ["alice@example.com"]
    h.run(minutes=10)
    assert h.pages_to(h.email) == ["alice@example.com", "bob@example.com"]
    bob_page = next(p for p in _pages(h, engagement) if p["ContactArn"] == bob)
    h.call(
        "AcceptPage", PageId=bob_page["PageArn"], AcceptType="READ", AcceptCode="000000", AcceptCodeValidation="IGNORE"
    )
    h.run(minutes=60)
    assert h.pages_to(h.email) == ["alice@example.com", "bob@example.com"]  # carol is never paged
    resolution = h.call("ListPageResolutions", PageId=bob_page["PageArn"])["PageResolutions"]
    assert resolution == [
        {"ContactArn": escalation, "Type": "ESCALATION", "StageIndex": 1},
        {"ContactArn": bob, "Type": "PERSONAL"},
    ]
    del alice_email, bob_email, carol_email


def test_a_non_essential_acknowledgement_does_not_stop_the_escalation(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    bob, _ = h.person("bob", ("EMAIL", "bob@example.com"))
    plan = _plan((5, [_contact(alice, essential=False)]), (0, [_contact(bob)]))
    escalation = h.call("CreateContact", Alias="team", Type="ESCALATION", Plan=plan)["ContactArn"]
    engagement = _engage(h, escalation)
    h.run()
    (page,) = _pages(h, engagement)
    h.call("AcceptPage", PageId=page["PageArn"], AcceptType="READ", AcceptCode=h.email.sent[0].code)
    h.run(minutes=5)
    assert h.pages_to(h.email) == ["alice@example.com", "bob@example.com"]
    assert "StopTime" not in h.call("DescribeEngagement", EngagementId=engagement)


def test_a_wrong_accept_code_is_refused_when_enforced(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    engagement = _engage(h, alice)
    h.run()
    (page,) = _pages(h, engagement)
    wrong = "999999" if h.email.sent[0].code != "999999" else "999998"
    error = h.refused("AcceptPage", PageId=page["PageArn"], AcceptType="READ", AcceptCode=wrong)
    assert (error.code, error.message) == (
        "ValidationException",
        "Invalid value provided - AcceptCode does not match the code sent with the page",
    )
    assert "ReadTime" not in h.call("DescribePage", PageId=page["PageArn"])


def test_stop_engagement_stops_later_stages(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    bob, _ = h.person("bob", ("EMAIL", "bob@example.com"))
    escalation = h.call(
        "CreateContact", Alias="team", Type="ESCALATION", Plan=_plan((5, [_contact(alice)]), (0, [_contact(bob)]))
    )["ContactArn"]
    engagement = _engage(h, escalation)
    h.run()
    h.call("StopEngagement", EngagementId=engagement, Reason="false alarm")
    h.run(minutes=10)
    assert h.pages_to(h.email) == ["alice@example.com"]
    (page,) = _pages(h, engagement)
    receipts = h.call("ListPageReceipts", PageId=page["PageArn"])["Receipts"]
    assert [(r["ReceiptType"], r.get("ReceiptInfo")) for r in receipts][-1] == ("STOP", "stopped: false alarm")
    assert h.call("DescribeEngagement", EngagementId=engagement)["StopTime"] * 1000 == START_MS


def test_a_failed_delivery_is_retried_at_the_retry_interval_and_recorded(h: Harness) -> None:
    alice, (email,) = h.person("alice", ("EMAIL", "alice@example.com"))
    h.call("UpdateContact", ContactId=alice, Plan=_plan((0, [_channel(email, retry=3)])))
    h.email.fail_next(2, reason="mail server down")
    engagement = _engage(h, alice)
    h.run()
    assert h.pages_to(h.email) == []
    h.run(minutes=2.9)
    assert len(h.email.attempts) == 1
    h.run(minutes=0.1)
    h.run(minutes=3)
    assert h.pages_to(h.email) == ["alice@example.com"]
    assert len(h.email.attempts) == 3
    (page,) = _pages(h, engagement)
    receipts = h.call("ListPageReceipts", PageId=page["PageArn"])["Receipts"]
    assert [r["ReceiptType"] for r in receipts] == ["ERROR", "ERROR", "SENT"]
    assert receipts[0]["ReceiptInfo"] == "mail server down"


def test_a_permanent_delivery_failure_is_not_retried(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    h.email.fail_next(1, permanent=True, reason="no such mailbox")
    engagement = _engage(h, alice)
    h.run()
    h.run(minutes=120)
    assert len(h.email.attempts) == 1
    (page,) = _pages(h, engagement)
    assert [r["ReceiptType"] for r in h.call("ListPageReceipts", PageId=page["PageArn"])["Receipts"]] == ["ERROR"]


def test_a_channel_that_is_not_activated_is_never_paged(h: Harness) -> None:
    alice, (email,) = h.person("alice", ("EMAIL", "alice@example.com"))
    sms = h.call(
        "CreateContactChannel",
        ContactId=alice,
        Name="alice sms",
        Type="SMS",
        DeliveryAddress={"SimpleAddress": "+15550100001"},
        DeferActivation=True,
    )["ContactChannelArn"]
    h.call("UpdateContact", ContactId=alice, Plan=_plan((0, [_channel(email), _channel(sms)])))
    _engage(h, alice)
    h.run()
    assert h.pages_to(h.email) == ["alice@example.com"]
    assert h.sms.attempts == []


def test_an_on_call_schedule_pages_whoever_is_on_shift(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    bob, _ = h.person("bob", ("EMAIL", "bob@example.com"))
    rotation = h.call(
        "CreateRotation",
        Name="primary",
        ContactIds=[alice, bob],
        StartTime=START_MS / 1000 - 3600,  # alice's first shift began at 07:00 UTC; bob takes over at 09:00
        TimeZoneId="UTC",
        Recurrence={
            "NumberOfOnCalls": 1,
            "RecurrenceMultiplier": 1,
            "DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}],
        },
    )["RotationArn"]
    schedule = h.call(
        "CreateContact", Alias="primary-oncall", Type="ONCALL_SCHEDULE", Plan={"RotationIds": [rotation]}
    )["ContactArn"]
    first = _engage(h, schedule)
    h.run()
    assert h.pages_to(h.email) == ["alice@example.com"]
    h.run(minutes=120)
    second = _engage(h, schedule)
    h.run()
    assert h.pages_to(h.email) == ["alice@example.com", "bob@example.com"]
    (page,) = _pages(h, second)
    path = h.call("ListPageResolutions", PageId=page["PageArn"])["PageResolutions"]
    assert path == [{"ContactArn": schedule, "Type": "ONCALL_SCHEDULE"}, {"ContactArn": bob, "Type": "PERSONAL"}]
    del first


def test_a_new_worker_resumes_an_escalation_without_repeating_a_stage(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    bob, _ = h.person("bob", ("EMAIL", "bob@example.com"))
    escalation = h.call(
        "CreateContact", Alias="team", Type="ESCALATION", Plan=_plan((5, [_contact(alice)]), (0, [_contact(bob)]))
    )["ContactArn"]
    _engage(h, escalation)
    h.run()
    h.worker = h.new_worker()  # the process that ran stage 0 is gone; only the database remains
    h.run(minutes=5)
    h.run(minutes=60)
    assert h.pages_to(h.email) == ["alice@example.com", "bob@example.com"]


def test_start_incident_engages_the_plan_and_the_timeline_shows_pages_and_acknowledgements(h: Harness) -> None:
    alice, _ = h.person("alice", ("EMAIL", "alice@example.com"))
    h.call(
        "CreateResponsePlan",
        service=model.INCIDENTS,
        name="db",
        incidentTemplate={"title": "Database down", "impact": 1, "summary": "Primary is unreachable"},
        engagements=[alice],
    )
    incident = h.call(
        "StartIncident",
        service=model.INCIDENTS,
        responsePlanArn=f"arn:aws:ssm-incidents::{h.account_id}:response-plan/db",
    )["incidentRecordArn"]
    h.run()
    h.run()
    (message,) = h.email.sent
    assert "Database down" in message.subject
    assert "Primary is unreachable" in message.content
    (engagement,) = h.call("ListEngagements", IncidentId=incident)["Engagements"]
    assert engagement["ContactArn"] == alice
    (page,) = _pages(h, engagement["EngagementArn"])
    h.call("AcceptPage", PageId=page["PageArn"], AcceptType="READ", AcceptCode=message.code)
    events = h.call("ListTimelineEvents", service=model.INCIDENTS, incidentRecordArn=incident)["eventSummaries"]
    types = [e["eventType"] for e in events]
    assert "SSM Contacts Page for Incident" in types
    assert "SSM Contacts Page Acknowledgement for Incident" in types
