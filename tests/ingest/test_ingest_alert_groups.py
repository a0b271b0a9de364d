"""Alertmanager and Grafana notifications open, deduplicate into and resolve incidents through a real server."""

from __future__ import annotations

import json
import uuid

import pytest
from ingest_support import incidents_of, payload, post, triggers

from support import Server

SOURCES = {
    "alertmanager": ("io.prometheus.alertmanager", "HighRequestLatency (2 firing)", "Checkout requests are slow"),
    "grafana": ("com.grafana.alerting", "High memory usage", "This alert was triggered for zone us-1"),
}


def new_plan(incidents, **template: object) -> str:  # type: ignore[no-untyped-def]
    """A plan of a fresh name with the title prefix "Prod"; its name."""
    name = f"alerts-{uuid.uuid4().hex[:10]}"
    incidents.create_response_plan(name=name, incidentTemplate={"title": "Prod", "impact": 3, **template})
    return name


def group(source: str, status: str) -> dict:  # type: ignore[type-arg]
    """The source's sample notification for a group of its own (a fresh groupKey)."""
    return payload(f"{source}_{status}", groupKey=f"{{}}:{{alertname=test-{uuid.uuid4().hex}}}")


@pytest.mark.parametrize("source", SOURCES)
def test_a_firing_group_opens_an_incident(ingest_server: Server, incidents, source: str) -> None:  # type: ignore[no-untyped-def]
    incident_source, alert, summary = SOURCES[source]
    plan = new_plan(incidents)
    firing = group(source, "firing")

    status, answer, _ = post(ingest_server, f"/ingest/{source}/{plan}", firing)

    assert status == 201 and answer["action"] == "created"
    (arn,) = answer["incidentRecordArns"]
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert record["title"] == f"Prod: {alert}"
    assert record["impact"] == 3 and record["status"] == "OPEN"
    assert record["summary"] == summary
    origin = record["incidentRecordSource"]
    assert origin["source"] == incident_source
    assert origin["createdBy"].endswith(f":user/ingest-{source}")
    assert origin["resourceArn"].startswith(f"arn:aws:incidentd:us-east-1:{arn.split(':')[4]}:{source}/{plan}/")
    assert record["dedupeString"] == origin["resourceArn"]
    (trigger,) = triggers(incidents, arn)
    assert trigger["createdIncident"] is True
    assert trigger["incidentSource"] == incident_source and trigger["triggerArn"] == origin["resourceArn"]
    raw = json.loads(trigger["rawData"])
    assert raw["groupKey"] == firing["groupKey"]
    assert [a["fingerprint"] for a in raw["alerts"]] == [a["fingerprint"] for a in firing["alerts"]]


@pytest.mark.parametrize("source", SOURCES)
def test_a_second_firing_of_the_group_is_deduplicated(ingest_server: Server, incidents, source: str) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    firing = group(source, "firing")
    first = post(ingest_server, f"/ingest/{source}/{plan}", firing)[1]["incidentRecordArns"]

    status, answer, _ = post(ingest_server, f"/ingest/{source}/{plan}", firing)

    assert status == 200 and answer == {"action": "deduplicated", "incidentRecordArns": first}
    assert len(incidents_of(incidents, plan)) == 1
    assert [t["createdIncident"] for t in triggers(incidents, first[0])] == [True, False]


@pytest.mark.parametrize("source", SOURCES)
def test_a_resolved_group_resolves_its_incident(ingest_server: Server, incidents, source: str) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    key = f"{{}}:{{alertname=test-{uuid.uuid4().hex}}}"
    (arn,) = post(ingest_server, f"/ingest/{source}/{plan}", payload(f"{source}_firing", groupKey=key))[1][
        "incidentRecordArns"
    ]

    status, answer, _ = post(ingest_server, f"/ingest/{source}/{plan}", payload(f"{source}_resolved", groupKey=key))

    assert status == 200 and answer == {"action": "resolved", "incidentRecordArns": [arn]}
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert record["status"] == "RESOLVED" and "resolvedTime" in record
    assert record["lastModifiedBy"].endswith(f":user/ingest-{source}")
    # Said again, with nothing open any more: nothing to do.
    again = post(ingest_server, f"/ingest/{source}/{plan}", payload(f"{source}_resolved", groupKey=key))
    assert again[:2] == (200, {"action": "already resolved", "incidentRecordArns": []})
    # The group firing again opens a new incident: a resolved one never absorbs a start (§3.4).
    reopened = post(ingest_server, f"/ingest/{source}/{plan}", payload(f"{source}_firing", groupKey=key))
    assert reopened[0] == 201 and reopened[1]["incidentRecordArns"] != [arn]


def test_a_plan_can_opt_out_of_resolution_by_alerts(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    name = f"manual-{uuid.uuid4().hex[:10]}"
    incidents.create_response_plan(
        name=name,
        incidentTemplate={"title": "Prod", "impact": 3},
        tags={"incidentd:auto-resolve": "false"},
    )
    key = f"{{}}:{{alertname=test-{uuid.uuid4().hex}}}"
    (arn,) = post(ingest_server, f"/ingest/alertmanager/{name}", payload("alertmanager_firing", groupKey=key))[1][
        "incidentRecordArns"
    ]

    status, answer, _ = post(
        ingest_server, f"/ingest/alertmanager/{name}", payload("alertmanager_resolved", groupKey=key)
    )

    assert status == 200 and answer == {"action": "recorded", "incidentRecordArns": [arn]}
    assert incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "OPEN"
    assert [t["createdIncident"] for t in triggers(incidents, arn)] == [True, False]


def test_an_impact_label_sets_the_impact_and_a_long_group_fits(ingest_server: Server, incidents) -> None:  # type: ignore[no-untyped-def]
    plan = new_plan(incidents)
    firing = group("alertmanager", "firing")
    firing["commonLabels"] = dict(firing["commonLabels"], impact="1")
    many = [
        dict(firing["alerts"][0], fingerprint=f"{i:016x}", annotations={"description": "x" * 300}) for i in range(80)
    ]
    firing["alerts"] = many

    status, answer, _ = post(ingest_server, f"/ingest/alertmanager/{plan}", firing)

    assert status == 201
    (arn,) = answer["incidentRecordArns"]
    record = incidents.get_incident_record(arn=arn)["incidentRecord"]
    assert record["impact"] == 1
    assert record["title"] == "Prod: HighRequestLatency (80 firing)"
    raw = json.loads(triggers(incidents, arn)[0]["rawData"])  # valid JSON within the model's 10000 characters
    assert 0 < len(raw["alerts"]) < 80 and raw["alerts"][0]["fingerprint"] == f"{0:016x}"
