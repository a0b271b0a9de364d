"""A chat message describes the event that caused it, even when its job runs after the incident moved on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_standin import ChatStandIn
from messages_support import onboard

from support import Account, Server, free_port


@pytest.fixture(scope="module")
def chat(own_database: str) -> Iterator[ChatStandIn]:
    """The Slack and HTTPS receiver of the chat channel."""
    running = ChatStandIn()
    yield running
    running.stop()


def chat_server(database_url: str, workdir: Path, chat: ChatStandIn, account: Account, worker: bool) -> Server:
    """A server whose config subscribes the stand-in to the account's topic `chat` as Slack and as HTTPS."""
    port = free_port()
    config = f"""
[replication]
settle_seconds = 0.2

[notifications]
public_url = "http://127.0.0.1:{port}"

[[sns_topics]]
arn = "arn:aws:sns:us-east-1:{account.account_id}:chat"
subscribers = [
  {{ protocol = "slack", endpoint = "{chat.url}/{account.account_id}/slack" }},
  {{ protocol = "https", endpoint = "{chat.url}/{account.account_id}/hook" }},
]
"""
    return Server(database_url, workdir, config, worker=worker, port=port)


def slack_fields(message: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """The Slack message's fields, by their bold name (`*Status*\\nOPEN` → {"Status": "OPEN"})."""
    fields = next(block["fields"] for block in message["blocks"] if "fields" in block)
    return dict(field["text"].strip("*").split("*\n", 1) for field in fields)


def test_a_start_told_after_the_resolution_shows_the_incident_as_it_started_and_resolved_since(
    own_database: str, chat: ChatStandIn, account: Account, tmp_path: Path
) -> None:
    setup = chat_server(own_database, tmp_path, chat, account, worker=True).start()
    try:
        onboard(setup, account)  # the replication set settles through a job
        plan = setup.client(account).create_response_plan(
            name="snapshot-plan",
            incidentTemplate={"title": "Checkout errors", "impact": 2, "summary": "Error rate above 5%"},
            chatChannel={"chatbotSns": [f"arn:aws:sns:us-east-1:{account.account_id}:chat"]},
        )["arn"]
    finally:
        setup.stop()

    # No worker: the response's jobs wait while the incident is started, changed and resolved.
    quiet = chat_server(own_database, tmp_path, chat, account, worker=False).start()
    try:
        incidents = quiet.client(account)
        arn = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
        incidents.update_incident_record(arn=arn, title="Checkout down", impact=1, summary="Rolled back")
        incidents.update_incident_record(arn=arn, status="RESOLVED")
    finally:
        quiet.stop()

    working = chat_server(own_database, tmp_path, chat, account, worker=True).start()
    try:
        # Each delivery is a job of its own: they may arrive in any order.
        slack = {m["blocks"][0]["text"]["text"]: m for m in chat.wait_for(f"/{account.account_id}/slack", 3)}
        documents = {d["event"]: d for d in chat.wait_for(f"/{account.account_id}/hook", 3)}
    finally:
        working.stop()

    started, updated, resolved = (slack[f"Incident {what}"] for what in ("started", "updated", "resolved"))
    assert slack_fields(started)["Status"] == "OPEN" and slack_fields(started)["Impact"].endswith("2 (High)")
    assert "Checkout errors" in started["blocks"][1]["text"]["text"] and "Checkout down" not in str(started)
    assert "Resolved since, at " in started["blocks"][1]["text"]["text"]
    assert started["text"].startswith("Incident started · Checkout errors · Impact 2 (High) · OPEN · Resolved since")
    assert "Error rate above 5%" in str(started["blocks"])

    assert slack_fields(updated)["Status"] == "OPEN"
    assert "Checkout down" in updated["text"] and "Resolved since" in updated["text"]

    assert slack_fields(resolved)["Status"] == "RESOLVED" and "since" not in resolved["text"]

    first = documents["INCIDENT_STARTED"]
    assert first["event"] == "INCIDENT_STARTED" and first["incident"]["status"] == "OPEN"
    assert first["incident"]["title"] == "Checkout errors" and first["incident"]["resolvedTime"] is None
    assert first["since"].startswith("Resolved since, at ")
    last = documents["INCIDENT_RESOLVED"]
    assert last["since"] is None and last["incident"]["status"] == "RESOLVED" and last["incident"]["resolvedTime"]
