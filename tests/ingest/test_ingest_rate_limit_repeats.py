"""Alert storms: repeats of an open group deduplicate without writing, and still resolve and reopen as they should."""

from __future__ import annotations

import copy
import uuid

from ingest_support import incidents_of, payload, post, triggers

from support import Server

REPEATS = 30


def new_plan(incidents) -> str:  # type: ignore[no-untyped-def]
    name = f"storm-{uuid.uuid4().hex[:10]}"
    incidents.create_response_plan(name=name, incidentTemplate={"title": "Storm", "impact": 3})
    return name


def firing_group() -> dict:  # type: ignore[type-arg]
    return payload("alertmanager_firing", groupKey=f"{{}}:{{alertname=storm-{uuid.uuid4().hex}}}")


def test_a_storm_of_repeats_opens_one_incident_and_logs_the_repeat_once(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan, firing = new_plan(incidents), firing_group()
    path = f"/ingest/alertmanager/{plan}"
    (arn,) = post(ingest_server, path, firing)[1]["incidentRecordArns"]

    answers = [post(ingest_server, path, firing)[:2] for _ in range(REPEATS)]

    assert answers == [(200, {"action": "deduplicated", "incidentRecordArns": [arn]})] * REPEATS
    assert len(incidents_of(incidents, plan)) == 1
    # The opening notification and the first repeat are on the timeline; identical repeats after it are not.
    assert [t["createdIncident"] for t in triggers(incidents, arn)] == [True, False]


def test_a_changed_group_is_logged_again_and_a_resolution_still_resolves(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan, firing = new_plan(incidents), firing_group()
    path = f"/ingest/alertmanager/{plan}"
    (arn,) = post(ingest_server, path, firing)[1]["incidentRecordArns"]
    for _ in range(5):
        post(ingest_server, path, firing)
    grown = copy.deepcopy(firing)
    grown["alerts"].append(dict(grown["alerts"][0], fingerprint="0123456789abcdef"))

    assert post(ingest_server, path, grown)[:2] == (200, {"action": "deduplicated", "incidentRecordArns": [arn]})
    assert [t["createdIncident"] for t in triggers(incidents, arn)] == [True, False, False]
    assert len(triggers(incidents, arn)[-1]["rawData"]) > len(triggers(incidents, arn)[1]["rawData"])

    resolved = payload("alertmanager_resolved", groupKey=firing["groupKey"])
    assert post(ingest_server, path, resolved)[:2] == (200, {"action": "resolved", "incidentRecordArns": [arn]})
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"
    # The same repeat as before now opens a new incident, and its repeats join that one.
    status, answer, _ = post(ingest_server, path, firing)
    assert status == 201 and answer["incidentRecordArns"] != [arn]
    for _ in range(3):
        assert post(ingest_server, path, firing)[1]["incidentRecordArns"] == answer["incidentRecordArns"]


def test_a_repeat_after_someone_else_resolved_the_incident_opens_a_new_one(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    # Resolved through the API (as another node or a person would), not through this endpoint.
    plan, firing = new_plan(incidents), firing_group()
    path = f"/ingest/alertmanager/{plan}"
    (arn,) = post(ingest_server, path, firing)[1]["incidentRecordArns"]
    for _ in range(3):
        post(ingest_server, path, firing)

    incidents.update_incident_record(arn=arn, status="RESOLVED")
    status, answer, _ = post(ingest_server, path, firing)

    assert status == 201 and answer["action"] == "created" and answer["incidentRecordArns"] != [arn]
    assert len(incidents_of(incidents, plan)) == 2


def test_repeated_resolutions_of_a_resolved_group_change_nothing(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan, firing = new_plan(incidents), firing_group()
    path = f"/ingest/alertmanager/{plan}"
    (arn,) = post(ingest_server, path, firing)[1]["incidentRecordArns"]
    resolved = payload("alertmanager_resolved", groupKey=firing["groupKey"])
    assert post(ingest_server, path, resolved)[1]["action"] == "resolved"

    nothing = (200, {"action": "already resolved", "incidentRecordArns": []})
    assert [post(ingest_server, path, resolved)[:2] for _ in range(5)] == [nothing] * 5
    assert [t["createdIncident"] for t in triggers(incidents, arn)] == [True, False]
