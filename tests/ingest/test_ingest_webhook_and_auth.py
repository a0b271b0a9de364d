"""The generic webhook, and what every ingest endpoint refuses: bad tokens, unknown plans, broken payloads."""

from __future__ import annotations

import json
import uuid

import pytest
from ingest_support import (
    NARROW_PLAN,
    NARROW_TOKEN,
    OTHER,
    OTHER_TOKEN,
    TOKEN,
    incidents_of,
    payload,
    post,
    triggers,
)

from support import Server


def new_plan(incidents, **template: object) -> str:  # type: ignore[no-untyped-def]
    name = f"hook-{uuid.uuid4().hex[:10]}"
    incidents.create_response_plan(name=name, incidentTemplate={"title": "Template", "impact": 4, **template})
    return name


def test_the_generic_webhook_opens_dedupes_and_resolves(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents, summary="from the template")
    body = {
        "title": "Nightly backup failed",
        "impact": 2,
        "summary": "The 02:00 backup of orders-db exited 1.",
        "dedupeString": f"backup-{uuid.uuid4().hex}",
        "rawData": {"job": "backup", "exitCode": 1},
    }

    status, answer, _ = post(ingest_server, f"/ingest/webhook/{plan}", body)

    assert status == 201
    (arn,) = answer["incidentRecordArns"]
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert (record["title"], record["impact"], record["summary"]) == (body["title"], 2, body["summary"])
    assert record["incidentRecordSource"]["source"] == "incidentd.webhook"
    assert json.loads(triggers(incidents, arn)[0]["rawData"]) == {"job": "backup", "exitCode": 1}

    again = post(ingest_server, f"/ingest/webhook/{plan}", dict(body, title="Nightly backup failed again"))
    assert again[:2] == (200, {"action": "deduplicated", "incidentRecordArns": [arn]})
    done = post(ingest_server, f"/ingest/webhook/{plan}", {"dedupeString": body["dedupeString"], "status": "resolved"})
    assert done[:2] == (200, {"action": "resolved", "incidentRecordArns": [arn]})
    assert [t["createdIncident"] for t in triggers(incidents, arn)] == [True, False, False]


def test_the_template_fills_what_the_webhook_leaves_out(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents, summary="from the template")
    first = post(ingest_server, f"/ingest/webhook/{plan}", {"title": "Disk full"})
    second = post(ingest_server, f"/ingest/webhook/{plan}", {"title": "Disk full"})

    # No dedupeString anywhere: each call is an incident of its own, as two StartIncident calls would be.
    assert first[0] == second[0] == 201
    record = incidents.get_incident_record(arn=first[1]["incidentRecordArns"][0])["incidentRecord"]
    assert (record["impact"], record["summary"]) == (4, "from the template")
    assert triggers(incidents, record["arn"])[0]["rawData"] == '{"title":"Disk full"}'


@pytest.mark.parametrize(
    ("authorization"),
    [None, "Bearer wrong-token-wrong-token-000", f"Token {TOKEN}", f"Bearer {TOKEN}x", "Basic !!!"],
)
def test_a_missing_or_wrong_token_is_401_and_changes_nothing(
    ingest_server: Server,
    incidents,  # type: ignore[no-untyped-def]
    authorization: str | None,
) -> None:
    plan = new_plan(incidents)
    headers = {"Authorization": authorization} if authorization else {}
    status, answer, _ = post(ingest_server, f"/ingest/webhook/{plan}", {"title": "x"}, token=None, headers=headers)
    assert status == 401 and "token" in answer["message"]
    assert incidents_of(incidents, plan) == []


def test_another_accounts_token_cant_use_this_accounts_plan(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    status, answer, _ = post(ingest_server, f"/ingest/webhook/{plan}", {"title": "x"}, token=OTHER_TOKEN)
    assert status == 404 and OTHER.account_id in answer["message"]
    assert incidents_of(incidents, plan) == []
    assert ingest_server.client(OTHER).list_incident_records()["incidentRecordSummaries"] == []


def test_a_token_narrowed_to_plans_is_refused_others(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    assert post(ingest_server, f"/ingest/webhook/{plan}", {"title": "x"}, token=NARROW_TOKEN)[0] == 403
    assert incidents_of(incidents, plan) == []
    incidents.create_response_plan(name=NARROW_PLAN, incidentTemplate={"title": "Narrow", "impact": 3})
    assert post(ingest_server, f"/ingest/webhook/{NARROW_PLAN}", {"title": "x"}, token=NARROW_TOKEN)[0] == 201


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/ingest/webhook/no-such-plan", {"title": "x"}, 404),
        ("/ingest/nagios/{plan}", {"title": "x"}, 404),
        ("/ingest/webhook/{plan}/extra", {"title": "x"}, 404),
        ("/ingest/webhook/{plan}", b'{"title": "unterminated', 400),
        ("/ingest/webhook/{plan}", b"[1, 2]", 400),
        ("/ingest/webhook/{plan}", {"impact": 2}, 400),
        ("/ingest/webhook/{plan}", {"title": "x", "impact": 9}, 400),
        ("/ingest/webhook/{plan}", {"status": "resolved"}, 400),
        ("/ingest/alertmanager/{plan}", {"version": "4", "status": "firing"}, 400),
        ("/ingest/alertmanager/{plan}", b"not json at all", 400),
        ("/ingest/grafana/{plan}", {"groupKey": "k", "status": "pending", "alerts": []}, 400),
        ("/ingest/sns/{plan}", payload("cloudwatch_alarm"), 400),
    ],
)
def test_bad_requests_change_nothing(ingest_server: Server, incidents, path: str, body, status: int) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    answer = post(ingest_server, path.format(plan=plan), body)
    assert answer[0] == status, answer
    assert "message" in answer[1]
    assert incidents_of(incidents, plan) == []


def test_a_title_too_long_for_the_model_is_cut(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    status, answer, _ = post(ingest_server, f"/ingest/webhook/{plan}", {"title": "Very long " * 40})
    assert status == 201
    title = incidents.get_incident_record(arn=answer["incidentRecordArns"][0])["incidentRecord"]["title"]
    assert len(title) == 200 and title.endswith("…")
