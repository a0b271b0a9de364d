"""StartEngagement, StopEngagement, the engagement and page lists, AcceptPage and their tenancy (§4.4).

The shared test server has neither SMTP nor Twilio configured: pages are recorded, and each delivery to an
activated channel fails with an ERROR receipt that names the setting to set, and is queued again.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from incidentd.store import queue
from support import refused, status_of, wait_until

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOT_ONBOARDED = "Invalid value provided - Account not found for the request"
MESSAGE = {
    "Sender": "ops-bot",
    "Subject": "Checkout is failing",
    "Content": "Error rate 37% on checkout-api since 03:12 UTC",
    "PublicSubject": "Sev 2 incident",
    "PublicContent": "See the Incident Manager console",
}
DAILY = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}


def stage(duration: int, *targets: dict[str, Any]) -> dict[str, Any]:
    return {"DurationInMinutes": duration, "Targets": list(targets)}


def contact_target(arn: str, essential: bool = True) -> dict[str, Any]:
    return {"ContactTargetInfo": {"ContactId": arn, "IsEssential": essential}}


def engagement_pattern(account_id: str, alias: str) -> str:
    return rf"arn:aws:ssm-contacts:us-east-1:{account_id}:engagement/{alias}/{UUID}"


def page_pattern(account_id: str, alias: str) -> str:
    return rf"arn:aws:ssm-contacts:us-east-1:{account_id}:page/{alias}/{UUID}"


def engage(contacts, contact_arn: str, **extra: Any) -> str:  # type: ignore[no-untyped-def]
    return str(contacts.start_engagement(ContactId=contact_arn, **{**MESSAGE, **extra})["EngagementArn"])


def pages_of(contacts, engagement: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return contacts.list_pages_by_engagement(EngagementId=engagement)["Pages"]  # type: ignore[no-any-return]


def only_page(contacts, engagement: str) -> str:  # type: ignore[no-untyped-def]
    (page,) = pages_of(contacts, engagement)
    return str(page["PageArn"])


def receipts_of(contacts, page: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return contacts.list_page_receipts(PageId=page)["Receipts"]  # type: ignore[no-any-return]


def engagement_arns(contacts, **filters: Any) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["EngagementArn"] for e in contacts.list_engagements(**filters)["Engagements"]]


def seconds(moment: datetime.datetime) -> float:
    return moment.timestamp()


@pytest.fixture
def accept_code(rows) -> Callable[[str], str]:  # type: ignore[no-untyped-def]
    """The accept code the server sent with a page (the API never shows it)."""

    def read(page: str) -> str:
        (row,) = rows("SELECT accept_code FROM pages WHERE arn = :arn", arn=page)
        return str(row["accept_code"])

    return read


def another_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def activated_channel(onboarded_contacts, rows) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """A channel activated the way a user does it, with the code it was sent (read from the database here)."""

    def make(contact: str, name: str, channel_type: str = "EMAIL", address: str = "oncall@example.com") -> str:
        channel = onboarded_contacts.create_contact_channel(
            ContactId=contact, Name=name, Type=channel_type, DeliveryAddress={"SimpleAddress": address}
        )["ContactChannelArn"]
        (row,) = rows("SELECT activation_code FROM contact_channels WHERE arn = :arn", arn=channel)
        onboarded_contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=row["activation_code"])
        return str(channel)

    return make


@pytest.fixture
def on_call(new_contact, new_rotation) -> Callable[[str, str], str]:  # type: ignore[no-untyped-def]
    """An on-call schedule whose one rotation has only this person, who is therefore on shift now."""

    def make(alias: str, person: str) -> str:
        rotation = new_rotation([person], name=f"{alias}-rotation", Recurrence=DAILY)
        return new_contact(alias, "ONCALL_SCHEDULE", {"RotationIds": [rotation]})  # type: ignore[no-any-return]

    return make


# --- StartEngagement and DescribeEngagement -----------------------------------------------------------------


def test_engaging_a_personal_contact_records_the_message_and_pages_that_contact(
    onboarded_contacts, new_contact, account
):
    person = new_contact("akuam")
    incident = f"arn:aws:ssm-incidents::{account.account_id}:incident-record/checkout/1a2b3c"
    before = time.time()

    engagement = engage(onboarded_contacts, person, IncidentId=incident)

    after = time.time()
    assert re.fullmatch(engagement_pattern(account.account_id, "akuam"), engagement)
    described = onboarded_contacts.describe_engagement(EngagementId=engagement)
    assert {k: v for k, v in described.items() if k not in ("ResponseMetadata", "StartTime")} == {
        "EngagementArn": engagement,
        "ContactArn": person,
        **MESSAGE,
        "IncidentId": incident,
    }
    assert before - 1 <= seconds(described["StartTime"]) <= after + 1
    (page,) = pages_of(onboarded_contacts, engagement)
    assert re.fullmatch(page_pattern(account.account_id, "akuam"), page["PageArn"])
    assert (page["EngagementArn"], page["ContactArn"]) == (engagement, person)


def test_engaging_an_escalation_plan_pages_the_people_of_its_first_stage_only(onboarded_contacts, new_contact, account):
    first, second, later = new_contact("akuam"), new_contact("alejr"), new_contact("anasi")
    plan = {"Stages": [stage(5, contact_target(first), contact_target(second)), stage(5, contact_target(later))]}
    escalation = new_contact("db-escalation", "ESCALATION", plan)

    engagement = engage(onboarded_contacts, escalation)

    assert re.fullmatch(engagement_pattern(account.account_id, "db-escalation"), engagement)
    described = onboarded_contacts.describe_engagement(EngagementId=engagement)
    assert (described["ContactArn"], described["Subject"]) == (escalation, MESSAGE["Subject"])
    pages = pages_of(onboarded_contacts, engagement)
    assert sorted(p["ContactArn"] for p in pages) == sorted([first, second])
    for page in pages:
        alias = "akuam" if page["ContactArn"] == first else "alejr"
        assert re.fullmatch(page_pattern(account.account_id, alias), page["PageArn"])


def test_engaging_an_on_call_schedule_pages_the_person_on_shift(onboarded_contacts, new_contact, on_call, account):
    person = new_contact("akuam")
    schedule = on_call("primary-schedule", person)

    engagement = engage(onboarded_contacts, schedule)

    assert re.fullmatch(engagement_pattern(account.account_id, "primary-schedule"), engagement)
    assert onboarded_contacts.describe_engagement(EngagementId=engagement)["ContactArn"] == schedule
    page = only_page(onboarded_contacts, engagement)
    assert re.fullmatch(page_pattern(account.account_id, "akuam"), page)
    assert onboarded_contacts.describe_page(PageId=page)["ContactArn"] == person


def test_engaging_a_missing_contact_is_not_found(onboarded_contacts, account):
    missing = f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:contact/nobody"

    error = refused(onboarded_contacts.start_engagement, ContactId=missing, Sender="ops", Subject="s", Content="c")

    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert status_of(error) == 400
    assert (error["ResourceId"], error["ResourceType"]) == (missing, "CONTACT")
    assert engagement_arns(onboarded_contacts) == []


def test_describing_a_missing_engagement_is_not_found(onboarded_contacts, new_contact):
    engagement = engage(onboarded_contacts, new_contact("akuam"))
    missing = engagement[: -len("00000000-0000-0000-0000-000000000000")] + "00000000-0000-4000-8000-000000000000"

    error = refused(onboarded_contacts.describe_engagement, EngagementId=missing)

    assert (error["Error"]["Code"], status_of(error)) == ("ResourceNotFoundException", 400)
    assert (error["ResourceId"], error["ResourceType"]) == (missing, "ENGAGEMENT")


# --- Idempotency ------------------------------------------------------------------------------------------


def test_a_retried_start_engagement_returns_the_first_engagement_and_pages_once(onboarded_contacts, new_contact):
    person = new_contact("akuam")

    first = engage(onboarded_contacts, person, IdempotencyToken="retry-1")
    second = engage(onboarded_contacts, person, IdempotencyToken="retry-1")

    assert second == first
    assert engagement_arns(onboarded_contacts) == [first]
    assert len(onboarded_contacts.list_pages_by_contact(ContactId=person)["Pages"]) == 1


def test_a_reused_idempotency_token_with_other_parameters_is_a_conflict(onboarded_contacts, new_contact):
    person = new_contact("akuam")
    first = engage(onboarded_contacts, person, IdempotencyToken="retry-1")

    error = refused(
        onboarded_contacts.start_engagement,
        ContactId=person,
        **{**MESSAGE, "Subject": "Something else"},
        IdempotencyToken="retry-1",
    )

    assert error["Error"]["Code"] == "ConflictException"
    assert status_of(error) == 400
    assert engagement_arns(onboarded_contacts) == [first]


def test_a_start_that_failed_leaves_its_idempotency_token_free(onboarded_contacts, new_contact, account):
    person = f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:contact/akuam"
    refused(onboarded_contacts.start_engagement, ContactId=person, **MESSAGE, IdempotencyToken="retry-1")
    new_contact("akuam")

    engagement = engage(onboarded_contacts, person, IdempotencyToken="retry-1")

    assert engagement_arns(onboarded_contacts) == [engagement]


# --- StopEngagement ---------------------------------------------------------------------------------------


def test_stop_engagement_sets_the_stop_time_and_stopping_again_changes_nothing(onboarded_contacts, new_contact):
    engagement = engage(onboarded_contacts, new_contact("akuam"))
    assert "StopTime" not in onboarded_contacts.describe_engagement(EngagementId=engagement)
    before = time.time()

    onboarded_contacts.stop_engagement(EngagementId=engagement, Reason="false alarm")

    stopped = onboarded_contacts.describe_engagement(EngagementId=engagement)
    assert before - 1 <= seconds(stopped["StopTime"]) <= time.time() + 1
    assert stopped["StopTime"] >= stopped["StartTime"]
    time.sleep(0.01)
    response = onboarded_contacts.stop_engagement(EngagementId=engagement)
    assert status_of(response) == 200
    assert onboarded_contacts.describe_engagement(EngagementId=engagement)["StopTime"] == stopped["StopTime"]
    (summary,) = onboarded_contacts.list_engagements()["Engagements"]
    assert summary["StopTime"] == stopped["StopTime"]


def test_stopping_an_engagement_puts_a_stop_receipt_on_each_page_nobody_read(
    onboarded_contacts, new_contact, accept_code
):
    reader, other = new_contact("akuam"), new_contact("alejr")
    plan = {"Stages": [stage(5, contact_target(reader, essential=False), contact_target(other, essential=False))]}
    engagement = engage(onboarded_contacts, new_contact("db-escalation", "ESCALATION", plan))
    pages = {p["ContactArn"]: p["PageArn"] for p in pages_of(onboarded_contacts, engagement)}
    onboarded_contacts.accept_page(PageId=pages[reader], AcceptType="READ", AcceptCode=accept_code(pages[reader]))

    onboarded_contacts.stop_engagement(EngagementId=engagement, Reason="false alarm")
    onboarded_contacts.stop_engagement(EngagementId=engagement)

    assert [r["ReceiptType"] for r in receipts_of(onboarded_contacts, pages[reader])] == ["READ"]
    assert [r["ReceiptType"] for r in receipts_of(onboarded_contacts, pages[other])] == ["STOP"]


def test_stopping_a_missing_engagement_is_not_found(onboarded_contacts, account):
    missing = (
        f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:engagement/akuam/00000000-0000-4000-8000-000000000000"
    )

    error = refused(onboarded_contacts.stop_engagement, EngagementId=missing)

    assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "ENGAGEMENT")


# --- ListEngagements --------------------------------------------------------------------------------------


@pytest.fixture
def three_engagements(onboarded_contacts, new_contact) -> list[str]:  # type: ignore[no-untyped-def]
    """Three engagements, oldest first, started at least 20 ms apart; the first two for incident A, the last for B."""
    person = new_contact("akuam")
    made = []
    for incident in ("incident-a", "incident-a", "incident-b"):
        made.append(engage(onboarded_contacts, person, IncidentId=incident))
        time.sleep(0.02)
    return made


def test_list_engagements_shows_the_newest_first(onboarded_contacts, three_engagements):
    listed = onboarded_contacts.list_engagements()["Engagements"]

    assert [e["EngagementArn"] for e in listed] == three_engagements[::-1]
    newest = listed[0]
    assert (newest["Sender"], newest["IncidentId"]) == (MESSAGE["Sender"], "incident-b")
    assert listed[0]["StartTime"] > listed[1]["StartTime"] > listed[2]["StartTime"]
    assert "NextToken" not in onboarded_contacts.list_engagements()


def test_list_engagements_filters_by_incident(onboarded_contacts, three_engagements):
    assert engagement_arns(onboarded_contacts, IncidentId="incident-a") == three_engagements[1::-1]
    assert engagement_arns(onboarded_contacts, IncidentId="incident-b") == [three_engagements[2]]
    assert engagement_arns(onboarded_contacts, IncidentId="incident-c") == []


def test_list_engagements_filters_by_start_time_range(onboarded_contacts, three_engagements):
    starts = [onboarded_contacts.describe_engagement(EngagementId=e)["StartTime"] for e in three_engagements]
    ms = datetime.timedelta(milliseconds=1)

    middle = engagement_arns(
        onboarded_contacts, TimeRangeValue={"StartTime": starts[1] - ms, "EndTime": starts[2] - ms}
    )
    since = engagement_arns(onboarded_contacts, TimeRangeValue={"StartTime": starts[1] - ms})
    until = engagement_arns(onboarded_contacts, TimeRangeValue={"EndTime": starts[1] + ms})

    assert middle == [three_engagements[1]]
    assert since == three_engagements[:0:-1]
    assert until == three_engagements[1::-1]


def test_list_engagements_pages_one_at_a_time_through_every_engagement_once(onboarded_contacts, three_engagements):
    seen: list[str] = []
    tokens: list[str] = []
    params: dict[str, Any] = {"MaxResults": 1}
    while True:
        answer = onboarded_contacts.list_engagements(**params)
        assert len(answer["Engagements"]) == 1
        seen.append(answer["Engagements"][0]["EngagementArn"])
        if "NextToken" not in answer:
            break
        tokens.append(answer["NextToken"])
        params["NextToken"] = answer["NextToken"]
        assert len(seen) <= 3, seen

    assert seen == three_engagements[::-1]
    assert len(tokens) == 2 and len(set(tokens)) == 2
    paginated = [
        e["EngagementArn"]
        for page in onboarded_contacts.get_paginator("list_engagements").paginate(PaginationConfig={"PageSize": 1})
        for e in page["Engagements"]
    ]
    assert paginated == seen


def test_a_forged_engagement_list_token_is_refused(onboarded_contacts, three_engagements):
    error = refused(onboarded_contacts.list_engagements, NextToken="not-a-token-of-ours")

    assert error["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("position", [b'[1180591620717411303424,"x"]', b'["x","y"]', b'[true,"x"]'])
def test_a_token_of_our_shape_with_values_sql_cannot_take_is_refused(onboarded_contacts, three_engagements, position):
    # A start time past 64 bits, or of the wrong type, would otherwise reach PostgreSQL and fail there as a 500.
    token = base64.urlsafe_b64encode(position).decode().rstrip("=")
    error = refused(onboarded_contacts.list_engagements, NextToken=token)

    assert (status_of(error), error["Error"]["Code"]) == (400, "ValidationException")


# --- Pages ------------------------------------------------------------------------------------------------


def test_describe_page_shows_the_engagements_message_and_the_personal_contact(onboarded_contacts, new_contact, account):
    person = new_contact("akuam")
    escalation = new_contact("db-escalation", "ESCALATION", {"Stages": [stage(5, contact_target(person))]})
    engagement = engage(onboarded_contacts, escalation, IncidentId="incident-a")

    page = only_page(onboarded_contacts, engagement)
    described = onboarded_contacts.describe_page(PageId=page)

    assert re.fullmatch(page_pattern(account.account_id, "akuam"), page)
    assert {k: v for k, v in described.items() if k != "ResponseMetadata"} == {
        "PageArn": page,
        "EngagementArn": engagement,
        "ContactArn": person,
        **MESSAGE,
        "IncidentId": "incident-a",
    }


def test_list_pages_by_contact_shows_a_persons_pages_oldest_first(onboarded_contacts, new_contact):
    person, bystander = new_contact("akuam"), new_contact("alejr")
    first = engage(onboarded_contacts, person)
    time.sleep(0.01)
    engage(onboarded_contacts, bystander)
    second = engage(onboarded_contacts, person)

    pages = onboarded_contacts.list_pages_by_contact(ContactId=person)["Pages"]

    assert [(p["EngagementArn"], p["ContactArn"]) for p in pages] == [(first, person), (second, person)]
    assert pages[0]["PageArn"] == only_page(onboarded_contacts, first)
    one = onboarded_contacts.list_pages_by_contact(ContactId=person, MaxResults=1)
    rest = onboarded_contacts.list_pages_by_contact(ContactId=person, MaxResults=1, NextToken=one["NextToken"])
    assert [p["PageArn"] for p in one["Pages"] + rest["Pages"]] == [p["PageArn"] for p in pages]
    assert "NextToken" not in rest


def test_list_pages_by_contact_of_a_missing_contact_is_not_found(onboarded_contacts, account):
    missing = f"arn:aws:ssm-contacts:us-east-1:{account.account_id}:contact/nobody"

    error = refused(onboarded_contacts.list_pages_by_contact, ContactId=missing)

    assert (error["Error"]["Code"], error["ResourceType"]) == ("ResourceNotFoundException", "CONTACT")


def test_page_resolutions_show_the_path_from_escalation_plan_through_schedule_to_person(
    onboarded_contacts, new_contact, on_call
):
    direct, scheduled = new_contact("akuam"), new_contact("alejr")
    schedule = on_call("primary-schedule", scheduled)
    plan = {"Stages": [stage(0, contact_target(direct)), stage(5, contact_target(schedule))]}
    escalation = new_contact("db-escalation", "ESCALATION", plan)

    engagement = engage(onboarded_contacts, escalation)

    # The first stage lasts 0 minutes: the worker runs the second stage at once.
    pages = wait_until(lambda: len(found := pages_of(onboarded_contacts, engagement)) == 2 and found)
    by_person = {p["ContactArn"]: p["PageArn"] for p in pages}
    direct_path = onboarded_contacts.list_page_resolutions(PageId=by_person[direct])["PageResolutions"]
    scheduled_path = onboarded_contacts.list_page_resolutions(PageId=by_person[scheduled])["PageResolutions"]
    assert direct_path == [
        {"ContactArn": escalation, "Type": "ESCALATION", "StageIndex": 0},
        {"ContactArn": direct, "Type": "PERSONAL"},
    ]
    assert scheduled_path == [
        {"ContactArn": escalation, "Type": "ESCALATION", "StageIndex": 1},
        {"ContactArn": schedule, "Type": "ONCALL_SCHEDULE"},
        {"ContactArn": scheduled, "Type": "PERSONAL"},
    ]


def test_a_person_reached_directly_and_through_a_schedule_in_one_stage_gets_one_page(
    onboarded_contacts, new_contact, on_call
):
    person = new_contact("akuam")
    schedule = on_call("primary-schedule", person)
    escalation = new_contact(
        "db-escalation", "ESCALATION", {"Stages": [stage(5, contact_target(person), contact_target(schedule))]}
    )

    engagement = engage(onboarded_contacts, escalation)

    assert [p["ContactArn"] for p in pages_of(onboarded_contacts, engagement)] == [person]


# --- Deliveries on a server with no transports ------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel_type", "address", "setting"),
    [
        ("EMAIL", "akua@example.com", "INCIDENTD_SMTP_URL"),
        ("SMS", "+15005550199", "INCIDENTD_TWILIO_ACCOUNT_SID"),
        ("VOICE", "+15005550199", "INCIDENTD_TWILIO_ACCOUNT_SID"),
    ],
    ids=["EMAIL", "SMS", "VOICE"],
)
def test_a_page_to_a_channel_type_without_transport_is_an_error_receipt_naming_the_setting_and_is_retried(
    onboarded_contacts, new_contact, activated_channel, db, account, channel_type, address, setting
):
    person = new_contact("akuam")
    channel = activated_channel(person, "work", channel_type, address)

    page = only_page(onboarded_contacts, engage(onboarded_contacts, person))

    (receipt,) = wait_until(lambda: receipts_of(onboarded_contacts, page))
    assert (receipt["ReceiptType"], receipt["ContactChannelArn"]) == ("ERROR", channel)
    assert setting in receipt["ReceiptInfo"]
    assert "SentTime" not in onboarded_contacts.describe_page(PageId=page)
    with db.read() as conn:
        (retry,) = queue.pending(conn, account_id=account.account_id, kind="page.deliver")
    assert (retry["payload"]["channelArn"], retry["payload"]["attempt"]) == (channel, 2)


def test_a_deactivated_channel_is_not_paged(onboarded_contacts, new_contact, activated_channel, rows, account):
    person = new_contact("akuam")
    kept = activated_channel(person, "work", "EMAIL", "akua@example.com")
    deactivated = activated_channel(person, "home", "EMAIL", "akua@example.net")
    onboarded_contacts.deactivate_contact_channel(ContactChannelId=deactivated)

    page = only_page(onboarded_contacts, engage(onboarded_contacts, person))

    def first_attempts_done() -> bool:
        jobs = rows(
            "SELECT state, payload FROM jobs WHERE account_id = :a AND kind = 'page.deliver'", a=account.account_id
        )
        payloads = [
            (j["state"], json.loads(j["payload"]) if isinstance(j["payload"], str) else j["payload"]) for j in jobs
        ]
        firsts = {p["channelArn"]: state for state, p in payloads if p["attempt"] == 1}
        return firsts == {kept: "done", deactivated: "done"}

    # Both channels' first delivery jobs have run: one failed for want of SMTP, the other found its channel inactive.
    wait_until(first_attempts_done)
    receipts = receipts_of(onboarded_contacts, page)
    assert [(r["ReceiptType"], r["ContactChannelArn"]) for r in receipts] == [("ERROR", kept)]


# --- AcceptPage -------------------------------------------------------------------------------------------


@pytest.fixture
def engaged(onboarded_contacts, new_contact) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """A personal contact without channels engaged directly: (contact, engagement, its one page)."""
    person = new_contact("akuam")
    engagement = engage(onboarded_contacts, person)
    return person, engagement, only_page(onboarded_contacts, engagement)


def test_a_wrong_accept_code_is_refused_and_nothing_is_recorded(onboarded_contacts, engaged, accept_code):
    _, engagement, page = engaged

    error = refused(
        onboarded_contacts.accept_page, PageId=page, AcceptType="READ", AcceptCode=another_code(accept_code(page))
    )

    assert (error["Error"]["Code"], status_of(error)) == ("ValidationException", 400)
    described = onboarded_contacts.describe_page(PageId=page)
    assert "ReadTime" not in described and "DeliveryTime" not in described
    assert receipts_of(onboarded_contacts, page) == []
    assert "StopTime" not in onboarded_contacts.describe_engagement(EngagementId=engagement)


def test_an_explicitly_enforced_wrong_code_is_refused_too(onboarded_contacts, engaged, accept_code):
    _, _, page = engaged

    error = refused(
        onboarded_contacts.accept_page,
        PageId=page,
        AcceptType="DELIVERED",
        AcceptCode=another_code(accept_code(page)),
        AcceptCodeValidation="ENFORCE",
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert "DeliveryTime" not in onboarded_contacts.describe_page(PageId=page)


def test_ignoring_code_validation_accepts_any_code(onboarded_contacts, engaged, accept_code):
    _, engagement, page = engaged
    wrong = another_code(accept_code(page))

    onboarded_contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode=wrong, AcceptCodeValidation="IGNORE")

    assert "ReadTime" in onboarded_contacts.describe_page(PageId=page)
    assert [(r["ReceiptType"], r["ReceiptInfo"]) for r in receipts_of(onboarded_contacts, page)] == [("READ", wrong)]
    assert "StopTime" in onboarded_contacts.describe_engagement(EngagementId=engagement)


def test_delivered_records_the_delivery_time_only(onboarded_contacts, engaged, accept_code):
    _, engagement, page = engaged
    before = time.time()

    onboarded_contacts.accept_page(PageId=page, AcceptType="DELIVERED", AcceptCode=accept_code(page))

    described = onboarded_contacts.describe_page(PageId=page)
    assert before - 1 <= seconds(described["DeliveryTime"]) <= time.time() + 1
    assert "ReadTime" not in described
    assert [r["ReceiptType"] for r in receipts_of(onboarded_contacts, page)] == ["DELIVERED"]
    assert "StopTime" not in onboarded_contacts.describe_engagement(EngagementId=engagement)
    (summary,) = pages_of(onboarded_contacts, engagement)
    assert summary["DeliveryTime"] == described["DeliveryTime"] and "ReadTime" not in summary


def test_reading_an_essential_page_sets_its_read_time_and_stops_the_engagement(
    onboarded_contacts, engaged, accept_code
):
    _, engagement, page = engaged
    before = time.time()

    onboarded_contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode=accept_code(page), Note="on it")

    described = onboarded_contacts.describe_page(PageId=page)
    stopped = onboarded_contacts.describe_engagement(EngagementId=engagement)
    assert before - 1 <= seconds(described["ReadTime"]) <= time.time() + 1
    assert "StopTime" in stopped
    assert [(r["ReceiptType"], r["ReceiptInfo"]) for r in receipts_of(onboarded_contacts, page)] == [("READ", "on it")]


@pytest.mark.parametrize("essential", [True, False], ids=["essential", "not-essential"])
def test_reading_a_page_of_an_escalation_target_stops_the_engagement_only_when_the_target_is_essential(
    onboarded_contacts, new_contact, accept_code, essential
):
    person = new_contact("akuam")
    plan = {"Stages": [stage(5, contact_target(person, essential=essential))]}
    engagement = engage(onboarded_contacts, new_contact("db-escalation", "ESCALATION", plan))
    page = only_page(onboarded_contacts, engagement)

    onboarded_contacts.accept_page(PageId=page, AcceptType="READ", AcceptCode=accept_code(page))

    assert "ReadTime" in onboarded_contacts.describe_page(PageId=page)
    assert ("StopTime" in onboarded_contacts.describe_engagement(EngagementId=engagement)) is essential


def test_accepting_through_the_pages_own_channel_records_the_channel(
    onboarded_contacts, engaged, new_channel, accept_code
):
    person, _, page = engaged
    channel = new_channel(person)

    onboarded_contacts.accept_page(
        PageId=page, ContactChannelId=channel, AcceptType="DELIVERED", AcceptCode=accept_code(page)
    )

    assert [(r["ReceiptType"], r.get("ContactChannelArn")) for r in receipts_of(onboarded_contacts, page)] == [
        ("DELIVERED", channel)
    ]


def test_accepting_through_another_contacts_channel_is_not_found(
    onboarded_contacts, engaged, new_contact, new_channel, accept_code
):
    _, engagement, page = engaged
    foreign = new_channel(new_contact("alejr"))

    error = refused(
        onboarded_contacts.accept_page,
        PageId=page,
        ContactChannelId=foreign,
        AcceptType="READ",
        AcceptCode=accept_code(page),
    )

    assert (error["Error"]["Code"], status_of(error)) == ("ResourceNotFoundException", 400)
    assert (error["ResourceId"], error["ResourceType"]) == (foreign, "CONTACT_CHANNEL")
    assert "ReadTime" not in onboarded_contacts.describe_page(PageId=page)
    assert receipts_of(onboarded_contacts, page) == []
    assert "StopTime" not in onboarded_contacts.describe_engagement(EngagementId=engagement)


def test_accepting_a_missing_page_is_not_found(onboarded_contacts, engaged):
    _, _, page = engaged
    missing = page[: -len("00000000-0000-0000-0000-000000000000")] + "00000000-0000-4000-8000-000000000000"

    error = refused(onboarded_contacts.accept_page, PageId=missing, AcceptType="READ", AcceptCode="123456")

    assert (error["Error"]["Code"], error["ResourceId"], error["ResourceType"]) == (
        "ResourceNotFoundException",
        missing,
        "PAGE",
    )


# --- Tenancy ----------------------------------------------------------------------------------------------


def page_calls(person: str, engagement: str, page: str, code: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("describe_engagement", {"EngagementId": engagement}),
        ("stop_engagement", {"EngagementId": engagement}),
        ("list_pages_by_engagement", {"EngagementId": engagement}),
        ("list_pages_by_contact", {"ContactId": person}),
        ("describe_page", {"PageId": page}),
        ("list_page_receipts", {"PageId": page}),
        ("list_page_resolutions", {"PageId": page}),
        ("accept_page", {"PageId": page, "AcceptType": "READ", "AcceptCode": code}),
        ("start_engagement", {"ContactId": person, "Sender": "x", "Subject": "x", "Content": "x"}),
    ]


def assert_untouched(owner, engagement: str, page: str) -> None:  # type: ignore[no-untyped-def]
    assert "StopTime" not in owner.describe_engagement(EngagementId=engagement)
    assert "ReadTime" not in owner.describe_page(PageId=page)
    assert owner.list_page_receipts(PageId=page)["Receipts"] == []
    assert [e["EngagementArn"] for e in owner.list_engagements()["Engagements"]] == [engagement]


def test_another_account_cannot_reach_an_accounts_engagements_or_pages(
    onboarded_contacts, other_contacts, engaged, accept_code
):
    person, engagement, page = engaged

    for operation, params in page_calls(person, engagement, page, accept_code(page)):
        error = refused(getattr(other_contacts, operation), **params)
        assert error["Error"]["Code"] == "ResourceNotFoundException", (operation, error["Error"])

    assert other_contacts.list_engagements()["Engagements"] == []
    assert_untouched(onboarded_contacts, engagement, page)


def test_an_engagement_or_page_arn_of_another_region_is_not_found(
    onboarded_contacts, west_contacts, engaged, accept_code, account
):
    person, engagement, page = engaged

    for operation, params in page_calls(person, engagement, page, accept_code(page)):
        error = refused(getattr(west_contacts, operation), **params)
        assert error["Error"]["Code"] == "ResourceNotFoundException", (operation, error["Error"])

    assert_untouched(onboarded_contacts, engagement, page)
    # And the other way round: a us-west-2 engagement and page are unknown to a client of us-east-1.
    west_person = west_contacts.create_contact(Alias="akuam", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    west_engagement = engage(west_contacts, west_person)
    west_page = only_page(west_contacts, west_engagement)
    assert west_engagement.startswith(f"arn:aws:ssm-contacts:us-west-2:{account.account_id}:engagement/akuam/")
    assert west_page.startswith(f"arn:aws:ssm-contacts:us-west-2:{account.account_id}:page/akuam/")
    for call, params in (
        (onboarded_contacts.describe_engagement, {"EngagementId": west_engagement}),
        (onboarded_contacts.describe_page, {"PageId": west_page}),
    ):
        assert refused(call, **params)["Error"]["Code"] == "ResourceNotFoundException"


def test_list_engagements_shows_the_engagements_of_the_signing_region_only(onboarded_contacts, west_contacts, engaged):
    _, east_engagement, _ = engaged
    west_person = west_contacts.create_contact(Alias="akuam", Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    west_engagement = engage(west_contacts, west_person)

    # As ListContacts and ListRotations do: the region's engagements, which Describe finds.
    # (docs/aws-behaviour.md, "In short: ssm-contacts")
    assert engagement_arns(west_contacts) == [west_engagement]
    assert engagement_arns(onboarded_contacts) == [east_engagement]


def not_onboarded_calls(account_id: str) -> list[tuple[str, dict[str, Any]]]:
    prefix = f"arn:aws:ssm-contacts:us-east-1:{account_id}"
    engagement = f"{prefix}:engagement/akuam/00000000-0000-4000-8000-000000000000"
    page = f"{prefix}:page/akuam/00000000-0000-4000-8000-000000000000"
    return [
        ("list_engagements", {}),
        *page_calls(f"{prefix}:contact/akuam", engagement, page, "123456"),
    ]


def test_an_account_that_has_not_onboarded_is_told_so(contacts, account):
    for operation, params in not_onboarded_calls(account.account_id):
        error = refused(getattr(contacts, operation), **params)
        assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ValidationException", NOT_ONBOARDED), operation


def test_deleting_the_replication_set_deletes_the_accounts_contacts_and_engagements(
    onboarded_contacts, incidents, replication_set, engaged
):
    person, engagement, page = engaged

    incidents.delete_replication_set(arn=replication_set)

    error = refused(onboarded_contacts.describe_engagement, EngagementId=engagement)
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ValidationException", NOT_ONBOARDED)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    assert refused(onboarded_contacts.get_contact, ContactId=person)["Error"]["Code"] == "ResourceNotFoundException"
    assert onboarded_contacts.list_contacts()["Contacts"] == []
    assert onboarded_contacts.list_engagements()["Engagements"] == []
    for call, params in (
        (onboarded_contacts.describe_engagement, {"EngagementId": engagement}),
        (onboarded_contacts.describe_page, {"PageId": page}),
    ):
        assert refused(call, **params)["Error"]["Code"] == "ResourceNotFoundException"
