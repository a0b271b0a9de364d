"""Development mode with no SMTP: activation codes, pages and chat notices land in the outbox, where
`incidentd outbox` shows them with their codes, and those codes work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from outbox_support import DEV, entry_for, outbox_command, outbox_entries

from support import Server, wait_until


def _alias() -> str:
    return f"dev-{uuid.uuid4().hex[:8]}"


def _log_once_it_has(server: Server, text: str) -> str:
    """The server's log, once it has the text."""

    def read() -> str | None:
        log = (server.workdir / f"server-{server.port}.log").read_text()
        return log if text in log else None

    found: str = wait_until(read)
    return found


def _person(dev: Server, alias: str, address: str) -> tuple[str, str, str]:
    """A contact with an e-mail channel activated with the code from the outbox; (contact, channel, code)."""
    contacts = dev.client(DEV, "ssm-contacts")
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    channel = contacts.create_contact_channel(
        ContactId=contact, Name=f"{alias} mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": address}
    )["ContactChannelArn"]
    activation = entry_for(dev.database_url, channel, "activation")
    contacts.activate_contact_channel(ContactChannelId=channel, ActivationCode=activation["code"])
    return contact, channel, activation["code"]


def test_an_activation_code_and_a_page_reach_the_outbox_and_their_codes_work(dev: Server) -> None:
    alias = _alias()
    address = f"{alias}@example.com"
    contacts = dev.client(DEV, "ssm-contacts")
    contact, channel, code = _person(dev, alias, address)

    activation = entry_for(dev.database_url, channel, "activation")
    assert (activation["channel_type"], activation["address"]) == ("EMAIL", address)
    assert f"Activation code: {code}" in activation["text"]
    assert contacts.get_contact_channel(ContactChannelId=channel)["ActivationStatus"] == "ACTIVATED"

    incidents = dev.client(DEV)
    plan = incidents.create_response_plan(
        name=alias, incidentTemplate={"title": f"Checkout down {alias}", "impact": 2}, engagements=[contact]
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    engagement = wait_until(lambda: contacts.list_engagements(IncidentId=incident)["Engagements"], timeout=30)[0]
    page_arn = wait_until(lambda: contacts.list_pages_by_contact(ContactId=contact)["Pages"], timeout=30)[0]["PageArn"]

    page = entry_for(dev.database_url, page_arn, "page")
    assert (page["channel_type"], page["address"]) == ("EMAIL", address)
    assert f"Checkout down {alias}" in page["subject"]
    assert page["text"].rstrip().endswith(f"Accept code: {page['code']}")
    # The receipt reads as sent, with the outbox entry as the provider's id.
    receipts = wait_until(
        lambda: [r for r in contacts.list_page_receipts(PageId=page_arn)["Receipts"] if r["ReceiptType"] == "SENT"]
    )
    assert receipts[0]["ReceiptInfo"] == f"outbox-{page['id']}"

    contacts.accept_page(PageId=page_arn, AcceptType="READ", AcceptCode=page["code"])

    stopped = contacts.describe_engagement(EngagementId=engagement["EngagementArn"])
    assert "StopTime" in stopped
    timeline = incidents.list_timeline_events(incidentRecordArn=incident)["eventSummaries"]
    assert "SSM Contacts Page Acknowledgement for Incident" in [event["eventType"] for event in timeline]


def test_each_entry_logs_one_line_with_the_address_masked_and_no_code(dev: Server) -> None:
    alias = _alias()
    _, channel, code = _person(dev, alias, f"{alias}@example.com")

    masked = f"{alias[0]}***@example.com"
    log = _log_once_it_has(dev, f"activation code for {channel} sent")
    outbox_lines = [line for line in log.splitlines() if "outbox: activation to EMAIL" in line and masked in line]
    assert len([line for line in outbox_lines if f'"{alias} mail"' in line]) == 1
    assert "(see: incidentd outbox)" in outbox_lines[-1]
    sent = [line for line in log.splitlines() if f"activation code for {channel} sent to EMAIL {masked}" in line]
    assert len(sent) == 1
    assert f"{alias}@example.com" not in log
    assert code not in log


def test_a_chat_notice_for_a_topic_without_subscribers_goes_to_the_outbox(dev: Server) -> None:
    alias = _alias()
    topic = f"arn:aws:sns:us-east-1:{DEV.account_id}:{alias}-chat"
    incidents = dev.client(DEV)
    plan = incidents.create_response_plan(
        name=alias,
        incidentTemplate={"title": f"Queue backlog {alias}", "impact": 3},
        chatChannel={"chatbotSns": [topic]},
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]

    notice = entry_for(dev.database_url, incident, "notification")

    assert (notice["channel_type"], notice["address"], notice["code"]) == ("SNS", topic, "")
    assert f"Queue backlog {alias}" in notice["subject"] and f"Queue backlog {alias}" in notice["text"]
    assert f'outbox: notification to SNS {topic} "' in _log_once_it_has(dev, topic)


def test_check_paging_counts_the_outbox_as_a_transport_in_development_mode_only(dev: Server) -> None:
    alias = _alias()
    _, channel, _ = _person(dev, alias, f"{alias}@example.com")
    wait_until(
        lambda: (
            dev.client(DEV, "ssm-contacts").get_contact_channel(ContactChannelId=channel)["ActivationStatus"]
            == "ACTIVATED"
        )
    )

    def no_transport(env: dict[str, str]) -> list[str]:
        command = [sys.executable, "-m", "incidentd.cli", "check-paging", "--format", "json"]
        done = subprocess.run(
            [*command, "--database", dev.database_url], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode in (0, 1), done.stderr
        return [f["resource"] for f in json.loads(done.stdout) if f["problem"] == "no-transport"]

    development = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTD_")}
    assert channel not in no_transport(development)
    # The same database checked with credentials configured: nothing goes to the outbox, so the channel has none.
    configured = dict(development, INCIDENTD_CREDENTIALS=f"AKIDCHECK:secret:{DEV.account_id}")
    assert channel in no_transport(configured)


def test_the_outbox_command_filters_by_account_and_limits_to_the_newest(dev: Server) -> None:
    alias = _alias()
    _person(dev, alias, f"{alias}@example.com")
    everything = outbox_entries(dev.database_url)

    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)  # oldest first
    assert outbox_entries(dev.database_url, "--limit", "2") == everything[-2:]
    assert outbox_entries(dev.database_url, "--account", DEV.account_id) == everything
    assert outbox_entries(dev.database_url, "--account", "111122223333") == []
    text = outbox_command(dev.database_url, "--limit", "1").stdout
    newest = everything[-1]
    header, subject = text.splitlines()[:2]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  .*", header)
    assert f"{newest['kind']} to {newest['channel_type']} {newest['address']}" in header  # the full address
    assert subject == f"    {newest['subject']}"
    assert f"    {newest['text'].splitlines()[-1]}" in text.splitlines()
    refused = outbox_command(dev.database_url, "--account", "123", check=False)
    assert refused.returncode == 2 and "12-digit" in refused.stderr


def test_an_empty_outbox_says_why_things_would_be_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    _migrated(url, "head")

    done = outbox_command(url)

    assert done.stdout.startswith("the outbox is empty: in development mode") and done.stdout.count("\n") == 1
    as_json = outbox_command(url, "--json")
    assert as_json.stdout == "" and "the outbox is empty" in as_json.stderr  # stdout stays JSON lines


def test_a_database_at_another_schema_is_one_line_and_status_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'older.db'}"
    _migrated(url, "0008")  # the schema before the outbox

    done = outbox_command(url, check=False)

    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "can't read the outbox" in errors[0] and "incidentd migrate" in errors[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def _migrated(url: str, revision: str) -> None:
    """A database at a revision of the schema, as that release's `incidentd migrate` left it."""
    from alembic import command

    from incidentd.store import migrate
    from incidentd.store.db import Database

    db = Database(url)
    config = migrate.alembic_config(db)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    db.dispose()


def test_a_missing_database_file_is_one_line_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "incidentd.db"

    done = outbox_command(f"sqlite:///{path}", check=False)

    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert f"no database at {path}" in done.stderr
    assert not path.parent.exists()


def test_links_in_a_page_lead_to_the_port_the_server_listens_on(dev: Server) -> None:
    # No [notifications] public_url: the default names port 4570, and this server listens on another one.
    alias = _alias()
    contact, _, _ = _person(dev, alias, f"{alias}@example.com")
    plan = dev.client(DEV).create_response_plan(
        name=alias, incidentTemplate={"title": "Links", "impact": 3}, engagements=[contact]
    )["arn"]
    dev.client(DEV).start_incident(responsePlanArn=plan)
    contacts = dev.client(DEV, "ssm-contacts")
    page_arn = wait_until(lambda: contacts.list_pages_by_contact(ContactId=contact)["Pages"], timeout=30)[0]["PageArn"]

    links = re.findall(r"https?://\S+", entry_for(dev.database_url, page_arn, "page")["text"])

    assert len(links) == 2 and all(link.startswith(f"{dev.endpoint}/") for link in links)
    assert httpx.get(links[0]).status_code == 200  # the incident opens
    assert "Acknowledge" in httpx.get(links[1]).text  # the confirmation page, which changes nothing


def test_wait_and_kind_give_the_first_entry_of_a_kind_once_it_is_there(dev: Server) -> None:
    alias = _alias()
    contacts = dev.client(DEV, "ssm-contacts")
    contact = contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
    contacts.create_contact_channel(
        ContactId=contact, Name="mail", Type="EMAIL", DeliveryAddress={"SimpleAddress": f"{alias}@example.com"}
    )

    waited = outbox_command(dev.database_url, "--account", DEV.account_id, "--kind", "activation", "--wait")

    assert "Activation code: " in waited.stdout and "page to" not in waited.stdout
    nothing = outbox_command(dev.database_url, "--kind", "notification", "--account", "999999999999", check=False)
    assert nothing.returncode == 0 and "the outbox is empty" in nothing.stdout
