"""ListIncidentRecords: filters (AND across, OR within), their validation, and stable keyset pagination.

AWS behaviour: docs/aws-behaviour.md §3.5 (ListIncidentRecords) and §1.7 (pagination).
"""

from __future__ import annotations

import datetime
import time

import pytest

MS = datetime.timedelta(milliseconds=1)


def caller_arn(account) -> str:
    """The IAM identity incidentd reports for a test account's access key."""
    return f"arn:aws:iam::{account.account_id}:user/{account.access_key_id}"


def equals(key: str, **values) -> dict:
    return {"key": key, "condition": {"equals": values}}


def start(incidents, plan: str, **params) -> str:
    # Distinct creation times keep the expected newest-first order unambiguous.
    time.sleep(0.005)
    return incidents.start_incident(responsePlanArn=plan, **params)["incidentRecordArn"]


def listed(incidents, **params) -> list[str]:
    """The ARNs of one page, in the order given."""
    return [s["arn"] for s in incidents.list_incident_records(**params)["incidentRecordSummaries"]]


def all_pages(incidents, between_pages=lambda: None, **params) -> list[list[str]]:
    """Every page of a listing, following nextToken and calling between_pages before each next page."""
    pages, token = [], None
    while True:
        answer = incidents.list_incident_records(**params, **({"nextToken": token} if token else {}))
        pages.append([s["arn"] for s in answer["incidentRecordSummaries"]])
        token = answer.get("nextToken")
        if not token:
            return pages
        between_pages()


def creation_time(incidents, arn: str) -> datetime.datetime:
    return incidents.get_incident_record(arn=arn)["incidentRecord"]["creationTime"]


@pytest.fixture
def fleet(incidents, response_plan) -> dict[str, str]:
    """Four incidents, oldest first: impacts 1, 2, 3, 1; "second" is resolved. Name -> ARN."""
    arns = {
        "first": start(incidents, response_plan, impact=1),
        "second": start(incidents, response_plan, impact=2),
        "third": start(incidents, response_plan, impact=3),
        "fourth": start(incidents, response_plan, impact=1),
    }
    incidents.update_incident_record(arn=arns["second"], status="RESOLVED")
    return arns


def pick(fleet: dict[str, str], *names: str) -> list[str]:
    return [fleet[n] for n in names]


# --- what is listed -----------------------------------------------------------------------------------------


def test_incidents_are_listed_newest_first(incidents, fleet):
    assert listed(incidents) == pick(fleet, "fourth", "third", "second", "first")


def test_a_summary_carries_what_the_record_says(incidents, fleet, account):
    summaries = {s["arn"]: s for s in incidents.list_incident_records()["incidentRecordSummaries"]}

    resolved = incidents.get_incident_record(arn=fleet["second"])["incidentRecord"]
    assert summaries[fleet["second"]] == {
        "arn": fleet["second"],
        "creationTime": resolved["creationTime"],
        "resolvedTime": resolved["resolvedTime"],
        "impact": 2,
        "status": "RESOLVED",
        "title": "Test incident",
        "incidentRecordSource": {
            "createdBy": caller_arn(account),
            "invokedBy": caller_arn(account),
            "source": "aws.ssm-incidents.custom",
        },
    }
    assert "resolvedTime" not in summaries[fleet["first"]]


def test_incidents_of_another_account_are_not_listed(incidents, fleet, server, other_account):
    other = server.client(other_account)
    other.create_replication_set(regions={"us-east-1": {}})

    assert other.list_incident_records()["incidentRecordSummaries"] == []
    assert len(listed(incidents)) == 4


# --- filters ------------------------------------------------------------------------------------------------


def test_filter_by_status(incidents, fleet):
    assert listed(incidents, filters=[equals("status", stringValues=["RESOLVED"])]) == [fleet["second"]]
    assert listed(incidents, filters=[equals("status", stringValues=["OPEN"])]) == pick(
        fleet, "fourth", "third", "first"
    )


def test_filter_by_impact(incidents, fleet):
    assert listed(incidents, filters=[equals("impact", integerValues=[1])]) == pick(fleet, "fourth", "first")


def test_values_of_one_filter_are_alternatives(incidents, fleet):
    found = listed(incidents, filters=[equals("impact", integerValues=[2, 3])])

    assert found == pick(fleet, "third", "second")


def test_filters_of_different_keys_must_all_match(incidents, fleet):
    filters = [equals("status", stringValues=["OPEN"]), equals("impact", integerValues=[1, 2])]

    assert listed(incidents, filters=filters) == pick(fleet, "fourth", "first")


def test_filter_by_creator(incidents, fleet, account):
    mine = [equals("createdBy", stringValues=[caller_arn(account)])]
    someone_else = [equals("createdBy", stringValues=[f"arn:aws:iam::{account.account_id}:user/someone-else"])]
    either = [
        equals(
            "createdBy",
            stringValues=[f"arn:aws:iam::{account.account_id}:user/someone-else", caller_arn(account)],
        )
    ]

    assert listed(incidents, filters=mine) == pick(fleet, "fourth", "third", "second", "first")
    assert listed(incidents, filters=someone_else) == []
    assert listed(incidents, filters=either) == pick(fleet, "fourth", "third", "second", "first")


def test_filter_by_creation_time(incidents, fleet):
    second, third = creation_time(incidents, fleet["second"]), creation_time(incidents, fleet["third"])
    between = second + (third - second) / 2

    assert listed(incidents, filters=[{"key": "creationTime", "condition": {"after": between}}]) == pick(
        fleet, "fourth", "third"
    )
    assert listed(incidents, filters=[{"key": "creationTime", "condition": {"before": between}}]) == pick(
        fleet, "second", "first"
    )


def test_a_creation_time_window_takes_both_bounds(incidents, fleet):
    first, second = creation_time(incidents, fleet["first"]), creation_time(incidents, fleet["second"])
    third, fourth = creation_time(incidents, fleet["third"]), creation_time(incidents, fleet["fourth"])
    window = [
        {"key": "creationTime", "condition": {"after": first + (second - first) / 2}},
        {"key": "creationTime", "condition": {"before": third + (fourth - third) / 2}},
    ]

    assert listed(incidents, filters=window) == pick(fleet, "third", "second")


def test_time_and_value_filters_combine(incidents, fleet):
    third = creation_time(incidents, fleet["third"])
    filters = [
        {"key": "creationTime", "condition": {"after": third - MS}},
        equals("impact", integerValues=[1]),
    ]

    assert listed(incidents, filters=filters) == [fleet["fourth"]]


def test_repeating_a_key_narrows_the_match(incidents, fleet):
    filters = [equals("impact", integerValues=[1, 2]), equals("impact", integerValues=[2, 3])]

    assert listed(incidents, filters=filters) == [fleet["second"]]


def test_a_filter_that_matches_nothing_lists_nothing(incidents, fleet):
    answer = incidents.list_incident_records(filters=[equals("impact", integerValues=[5])])

    assert answer["incidentRecordSummaries"] == []
    assert "nextToken" not in answer


def test_five_filters_are_allowed(incidents, fleet):
    filters = [equals("status", stringValues=["OPEN", "RESOLVED"])] * 5

    assert len(listed(incidents, filters=filters)) == 4


def test_six_filters_are_refused(incidents, response_plan):
    filters = [equals("status", stringValues=["OPEN"])] * 6

    with pytest.raises(incidents.exceptions.ValidationException) as caught:
        incidents.list_incident_records(filters=filters)

    message = caught.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value ")
    assert message.endswith(
        "at 'filters' failed to satisfy constraint: Member must have length less than or equal to 5"
    )


@pytest.mark.parametrize(
    "bad_filter",
    [
        pytest.param(equals("title", stringValues=["Test incident"]), id="unknown key"),
        pytest.param(equals("resolvedTime", stringValues=["x"]), id="unlisted key"),
        pytest.param({"key": "impact", "condition": {"after": datetime.datetime(2024, 1, 1)}}, id="impact after"),
        pytest.param({"key": "status", "condition": {"before": datetime.datetime(2024, 1, 1)}}, id="status before"),
        pytest.param(equals("creationTime", stringValues=["2024-01-01"]), id="creationTime equals"),
        pytest.param(equals("impact", stringValues=["1"]), id="impact as strings"),
        pytest.param(equals("status", integerValues=[1]), id="status as integers"),
        pytest.param(equals("createdBy", integerValues=[1]), id="createdBy as integers"),
    ],
)
def test_a_filter_of_the_wrong_kind_is_refused(incidents, response_plan, bad_filter):
    with pytest.raises(incidents.exceptions.ValidationException) as caught:
        incidents.list_incident_records(filters=[bad_filter])

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- pagination ---------------------------------------------------------------------------------------------


@pytest.fixture
def many(incidents, response_plan) -> list[str]:
    """25 incidents; their ARNs newest first."""
    return [start(incidents, response_plan, title=f"incident {n}") for n in range(25)][::-1]


def test_25_incidents_come_in_3_pages_of_at_most_10(incidents, many):
    pages = all_pages(incidents, maxResults=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [arn for page in pages for arn in page] == many


def test_the_order_is_newest_first_across_pages(incidents, many):
    summaries = (
        incidents.get_paginator("list_incident_records")
        .paginate(PaginationConfig={"PageSize": 7})
        .build_full_result()["incidentRecordSummaries"]
    )

    times = [s["creationTime"] for s in summaries]
    assert times == sorted(times, reverse=True)
    assert [s["arn"] for s in summaries] == many


def test_the_same_listing_gives_the_same_pages(incidents, many):
    assert all_pages(incidents, maxResults=10) == all_pages(incidents, maxResults=10)


def test_new_incidents_do_not_shift_the_pages_of_a_listing(incidents, response_plan, many):
    newer: list[str] = []

    pages = all_pages(
        incidents,
        maxResults=10,
        between_pages=lambda: newer.append(start(incidents, response_plan, title="newer")),
    )

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [arn for page in pages for arn in page] == many
    assert len(newer) == 2
    assert listed(incidents, maxResults=2) == newer[::-1]


def test_resolving_incidents_between_pages_neither_repeats_nor_skips(incidents, many):
    # Keyset tokens hold a position in creation order, which updates don't move.
    pages = all_pages(
        incidents,
        maxResults=10,
        between_pages=lambda: incidents.update_incident_record(arn=many[0], impact=1, status="RESOLVED"),
    )

    assert [arn for page in pages for arn in page] == many


def test_pagination_works_with_filters(incidents, many):
    for arn in many[::2]:
        incidents.update_incident_record(arn=arn, status="RESOLVED")

    pages = all_pages(incidents, maxResults=4, filters=[equals("status", stringValues=["RESOLVED"])])

    assert [len(page) for page in pages] == [4, 4, 4, 1]
    assert [arn for page in pages for arn in page] == many[::2]


def test_the_paginator_lists_every_incident(incidents, many):
    result = (
        incidents.get_paginator("list_incident_records").paginate(PaginationConfig={"PageSize": 10}).build_full_result()
    )

    assert [s["arn"] for s in result["incidentRecordSummaries"]] == many


def test_the_last_page_has_no_token(incidents, fleet):
    answer = incidents.list_incident_records(maxResults=4)

    assert len(answer["incidentRecordSummaries"]) == 4
    assert "nextToken" not in answer


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="not base64"),
        pytest.param("%%%", id="not a token at all"),
        pytest.param("eyJub3QiOiJhIGxpc3QifQ", id="an object"),
        pytest.param("W10", id="an empty list"),
        pytest.param("WyJ4IiwieSJd", id="two strings"),
        pytest.param("WzEsMl0", id="two numbers"),
        pytest.param("W251bGwsbnVsbF0", id="two nulls"),
        pytest.param("WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAsImEiXQ", id="a time beyond 64 bits"),
    ],
)
def test_a_garbage_token_is_refused(incidents, response_plan, token):
    with pytest.raises(incidents.exceptions.ValidationException) as caught:
        incidents.list_incident_records(nextToken=token)

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
