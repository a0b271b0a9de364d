"""Rebuild the 0.1.0 fixtures: databases that incidentd 0.1.0 itself built and filled, and the reads they answer.

0.1.0 is the commit before the console's migration (0006_console.py) was added. To rebuild, from the repository:

    git archive 6191000 | tar -x -C /tmp/incidentd-0.1.0
    python -m venv /tmp/incidentd-0.1.0-venv
    /tmp/incidentd-0.1.0-venv/bin/pip install -c constraints.txt /tmp/incidentd-0.1.0
    PYTHONPATH=tests .venv/bin/python tests/operations/make_release_fixtures.py /tmp/incidentd-0.1.0-venv/bin/incidentd

It starts that release's server on a SQLite file and on a fresh PostgreSQL database, creates the same data set in
each with boto3 (paging by e-mail through a local SMTP sink), records what the APIs answer, and writes
fixtures/incidentd-0.1.0.db.gz, fixtures/incidentd-0.1.0.postgresql.sql and fixtures/incidentd-0.1.0.reads.json.
"""

from __future__ import annotations

import datetime
import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from mailsink import MailSink
from support import create_postgres_database, drop_postgres_database, free_port, wait_for_port, wait_until

FIXTURES = Path(__file__).parent / "fixtures"
ACCESS_KEY = "AKIAOPSFIXTURE000001"
SECRET_KEY = "release-fixture-secret"
ACCOUNT = "111122223333"
CONFIG = f"""
[[credentials]]
access_key_id = "{ACCESS_KEY}"
secret_access_key = "{SECRET_KEY}"
account_id = "{ACCOUNT}"
user = "ops"

[replication]
settle_seconds = 0.2

[worker]
poll_seconds = 0.05
"""


def client(endpoint: str, service: str) -> Any:
    """A boto3 client signed with the fixture's key."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def plain(value: Any) -> Any:
    """An API answer as JSON holds it: times as ISO 8601 text, no response metadata."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def fill(endpoint: str, sink: MailSink) -> list[dict[str, Any]]:
    """Create the data set a team would have after a week; the reads (call and answer) that show it."""
    incidents = client(endpoint, "ssm-incidents")
    contacts = client(endpoint, "ssm-contacts")
    replication = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=replication)["replicationSet"]["status"] == "ACTIVE")

    people: dict[str, tuple[str, str]] = {}
    for alias, name in (("alice", "Alice Example"), ("bob", "Bob Example")):
        contact = contacts.create_contact(Alias=alias, DisplayName=name, Type="PERSONAL", Plan={"Stages": []})
        address = f"{alias}@example.com"
        channel = contacts.create_contact_channel(
            ContactId=contact["ContactArn"],
            Name=f"{alias} mail",
            Type="EMAIL",
            DeliveryAddress={"SimpleAddress": address},
        )["ContactChannelArn"]
        (activation,) = sink.wait_for_mail(address)
        contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation.code())
        contacts.create_contact_channel(
            ContactId=contact["ContactArn"],
            Name=f"{alias} phone",
            Type="SMS",
            DeliveryAddress={"SimpleAddress": "+15555550100" if alias == "alice" else "+15555550101"},
            DeferActivation=True,
        )
        contacts.update_contact(
            ContactId=contact["ContactArn"],
            Plan={
                "Stages": [
                    {
                        "DurationInMinutes": 0,
                        "Targets": [{"ChannelTargetInfo": {"ContactChannelId": channel, "RetryIntervalInMinutes": 5}}],
                    }
                ]
            },
        )
        people[alias] = (contact["ContactArn"], address)

    alice, bob = people["alice"][0], people["bob"][0]
    rotation = contacts.create_rotation(
        Name="primary",
        ContactIds=[alice, bob],
        StartTime=datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC),
        TimeZoneId="Europe/Berlin",
        Recurrence={
            "NumberOfOnCalls": 1,
            "RecurrenceMultiplier": 1,
            "WeeklySettings": [{"DayOfWeek": "MON", "HandOffTime": {"HourOfDay": 9, "MinuteOfHour": 0}}],
        },
        Tags=[{"Key": "team", "Value": "payments"}],
    )["RotationArn"]
    escalation = contacts.create_contact(
        Alias="payments-escalation",
        DisplayName="Payments escalation",
        Type="ESCALATION",
        Plan={
            "Stages": [
                {"DurationInMinutes": 5, "Targets": [{"ContactTargetInfo": {"ContactId": alice, "IsEssential": True}}]},
                {"DurationInMinutes": 10, "Targets": [{"ContactTargetInfo": {"ContactId": bob, "IsEssential": True}}]},
            ]
        },
    )["ContactArn"]
    plan = incidents.create_response_plan(
        name="payments-outage",
        displayName="Payments outage",
        incidentTemplate={
            "title": "Payments are failing",
            "impact": 2,
            "summary": "Card payments fail or time out.",
            "dedupeString": "payments-outage",
        },
        engagements=[escalation],
        chatChannel={"chatbotSns": [f"arn:aws:sns:us-east-1:{ACCOUNT}:payments-chat"]},
        tags={"team": "payments"},
    )["arn"]
    incident = incidents.start_incident(
        responsePlanArn=plan,
        title="Card payments time out in eu-central-1",
        impact=2,
        triggerDetails={
            "source": "ops.monitoring",
            "timestamp": datetime.datetime(2026, 12, 6, 8, 0, tzinfo=datetime.UTC),
        },
    )["incidentRecordArn"]
    incidents.create_timeline_event(
        incidentRecordArn=incident,
        eventTime=datetime.datetime(2026, 12, 6, 8, 5, tzinfo=datetime.UTC),
        eventType="Custom Event",
        eventData=json.dumps("Rolled back the payments gateway to 4.1.2"),
    )
    incidents.update_related_items(
        incidentRecordArn=incident,
        relatedItemsUpdate={
            "itemToAdd": {
                "identifier": {"type": "OTHER", "value": {"url": "https://status.example.com/incidents/42"}},
                "title": "Status page",
            }
        },
    )
    # The plan's engagement pages alice first: she acknowledges with the code her page carried.
    page = sink.wait_for(lambda mails: [m for m in mails if m.to == ("alice@example.com",) and ":page/" in m.reference])
    contacts.accept_page(PageId=page[0].reference, AcceptType="READ", AcceptCode=page[0].code())
    # And a direct engagement of bob, acknowledged as well.
    engagement = contacts.start_engagement(
        ContactId=bob,
        Sender="payments-oncall",
        Subject="Gateway certificate expires in 7 days",
        Content="Renew the payments gateway's certificate before Friday.",
        PublicSubject="Certificate renewal",
        PublicContent="A certificate needs renewing.",
    )["EngagementArn"]
    direct = sink.wait_for(lambda mails: [m for m in mails if m.to == ("bob@example.com",) and ":page/" in m.reference])
    contacts.accept_page(PageId=direct[0].reference, AcceptType="READ", AcceptCode=direct[0].code())

    engagements = contacts.list_engagements(IncidentId=incident)["Engagements"] + [{"EngagementArn": engagement}]
    event_id = next(
        event["eventId"]
        for event in incidents.list_timeline_events(incidentRecordArn=incident)["eventSummaries"]
        if event["eventType"] == "Custom Event"
    )
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("ssm-incidents", "get_replication_set", {"arn": replication}),
        ("ssm-incidents", "get_response_plan", {"arn": plan}),
        ("ssm-incidents", "list_tags_for_resource", {"resourceArn": plan}),
        ("ssm-incidents", "get_incident_record", {"arn": incident}),
        ("ssm-incidents", "get_timeline_event", {"incidentRecordArn": incident, "eventId": event_id}),
        ("ssm-incidents", "list_related_items", {"incidentRecordArn": incident}),
        ("ssm-incidents", "list_incident_records", {}),
        ("ssm-contacts", "get_contact", {"ContactId": alice}),
        ("ssm-contacts", "get_contact", {"ContactId": bob}),
        ("ssm-contacts", "get_contact", {"ContactId": escalation}),
        ("ssm-contacts", "list_contact_channels", {"ContactId": alice}),
        ("ssm-contacts", "list_contact_channels", {"ContactId": bob}),
        ("ssm-contacts", "get_rotation", {"RotationId": rotation}),
        ("ssm-contacts", "list_tags_for_resource", {"ResourceARN": rotation}),
    ]
    for found in engagements:
        calls.append(("ssm-contacts", "describe_engagement", {"EngagementId": found["EngagementArn"]}))
        calls.append(("ssm-contacts", "list_pages_by_engagement", {"EngagementId": found["EngagementArn"]}))
    for page_arn in (page[0].reference, direct[0].reference):
        calls.append(("ssm-contacts", "describe_page", {"PageId": page_arn}))
        calls.append(("ssm-contacts", "list_page_receipts", {"PageId": page_arn}))
    clients = {"ssm-incidents": incidents, "ssm-contacts": contacts}
    return [
        {
            "service": service,
            "operation": operation,
            "params": params,
            "answer": plain(getattr(clients[service], operation)(**params)),
        }
        for service, operation, params in calls
    ]


def run_release(incidentd: str, database_url: str, workdir: Path) -> list[dict[str, Any]]:
    """Start the release's server on the database, fill it, stop the server; the recorded reads."""
    sink = MailSink().start()
    try:
        return _run_release(incidentd, database_url, workdir, sink)
    finally:
        sink.stop()


def _run_release(incidentd: str, database_url: str, workdir: Path, sink: MailSink) -> list[dict[str, Any]]:
    config = workdir / "incidentd.toml"
    config.write_text(CONFIG)
    port = free_port()
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com", "PATH": "/usr/bin:/bin"}
    with open(workdir / "server.log", "ab") as log:
        process = subprocess.Popen(
            [incidentd, "serve", "--port", str(port), "--database", database_url, "--config", str(config)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process)
            reads = fill(f"http://127.0.0.1:{port}", sink)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return reads


def main(incidentd: str) -> None:
    """Build both fixtures with the release at `incidentd` (its console script)."""
    FIXTURES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        database = work / "incidentd.db"
        reads = run_release(incidentd, f"sqlite:///{database}", work)
        with sqlite3.connect(database) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")  # one file, without its WAL
            conn.execute("VACUUM")
        with open(database, "rb") as source, gzip.open(FIXTURES / "incidentd-0.1.0.db.gz", "wb", 9) as target:
            shutil.copyfileobj(source, target)
    url = create_postgres_database()
    try:
        with tempfile.TemporaryDirectory() as folder:
            postgres_reads = run_release(incidentd, url, Path(folder))
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", url], check=True, capture_output=True, text=True
        ).stdout
        # Without the random \restrict fence newer pg_dumps write: psql releases before August 2025 refuse it.
        lines = [line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))]
        (FIXTURES / "incidentd-0.1.0.postgresql.sql").write_text("\n".join(lines) + "\n")
    finally:
        drop_postgres_database(url)
    fixtures: dict[str, Any] = {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "account_id": ACCOUNT}
    fixtures.update(sqlite=reads, postgresql=postgres_reads)
    (FIXTURES / "incidentd-0.1.0.reads.json").write_text(json.dumps(fixtures, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
