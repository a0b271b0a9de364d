"""Each chat product's message, the HTTPS document and the e-mail, composed from one notice."""

from __future__ import annotations

import json
from typing import Any

from incidentd.notify import documents, escape, mattermost, notice, slack, teams
from incidentd.notify.notice import Notice

ARN = "arn:aws:ssm-incidents::111122223333:incident-record/db-plan/5ec2b2d1-6a43-4b1f-8f0e-1c7a2bd1a0e4"
TOPIC = "arn:aws:sns:us-east-1:111122223333:incident-chat"
LINK = "https://incidents.example.com/incidents/111122223333/db-plan/5ec2b2d1?sig=abc"
RECORD = {
    "arn": ARN,
    "title": "Checkout <errors> & timeouts",
    "impact": 2,
    "status": "OPEN",
    "summary": "Error rate above 5% since 03:12 UTC.",
    "creationTime": 1_800_000_000.0,
    "lastModifiedTime": 1_800_000_000.0,
}


def make(news: dict[str, Any], note: str | None = None, **record: Any) -> Notice:
    """A notice about RECORD (with changes) for some news."""
    return notice.compose(
        {**RECORD, **record}, news, message_id="m-1", link=LINK, topic_arn=TOPIC, sent_at=1_800_000_060.0, note=note
    )


STARTED = make({"event": "INCIDENT_STARTED"})
RESOLVED = make(
    {"event": "INCIDENT_RESOLVED", "changes": [{"attributeName": "status", "newValue": "RESOLVED"}]},
    status="RESOLVED",
    resolvedTime=1_800_000_900.0,
)


def test_changes_are_told_in_words() -> None:
    updated = make(
        {
            "event": "INCIDENT_UPDATED",
            "changes": [
                {"attributeName": "impact", "newValue": "1"},
                {"attributeName": "title", "newValue": "Checkout down"},
                {"attributeName": "status", "newValue": "OPEN"},
                {"attributeName": "summary", "newValue": "not news"},
            ],
        }
    )
    assert updated.details == [
        "Impact is now 1 (Critical)",
        "Title changed to “Checkout down”",
        "Status changed to OPEN",
    ]
    assert RESOLVED.headline == "Incident resolved" and RESOLVED.details == ["Status changed to RESOLVED"]
    assert STARTED.headline == "Incident started" and STARTED.details == []
    assert [notice.impact_label(i) for i in range(1, 6)] == [
        "1 (Critical)",
        "2 (High)",
        "3 (Medium)",
        "4 (Low)",
        "5 (No impact)",
    ]


def test_a_note_is_quoted_from_its_event_data() -> None:
    assert notice.note_text(json.dumps("Rolled back to v41")) == "Rolled back to v41"
    assert notice.note_text('{"content": "From the console"}') == "From the console"
    assert notice.note_text("plain text, not JSON") == "plain text, not JSON"
    noted = make({"event": "NOTE_ADDED", "eventId": "e"}, note="Rolled back\nto v41")
    # The note is the notice's note, not a detail too: formats show it once, under the headline "New note".
    assert noted.headline == "New note" and noted.details == [] and noted.note == "Rolled back\nto v41"
    assert noted.one_line().startswith("New note: Rolled back to v41 · ")


def test_a_notice_survives_the_job_payload() -> None:
    assert Notice.from_dict(json.loads(json.dumps(RESOLVED.to_dict()))) == RESOLVED


def test_slack_gets_blocks_with_a_fallback_and_no_markup_from_the_title() -> None:
    body = slack.message(STARTED)
    assert body["text"].startswith("Incident started · Checkout &lt;errors&gt; &amp; timeouts · Impact 2 (High) · OPEN")
    header, title, fields, summary, actions, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Incident started"}}
    assert title["text"]["text"] == f"*<{LINK}|Checkout &lt;errors&gt; &amp; timeouts>*"
    assert [f["text"] for f in fields["fields"]][:2] == ["*Impact*\n:large_orange_circle: 2 (High)", "*Status*\nOPEN"]
    assert summary["text"]["text"] == "Error rate above 5% since 03:12 UTC."
    assert actions["elements"][0]["url"] == LINK
    assert context["elements"][0]["text"] == ARN


def test_slack_limits_are_kept() -> None:
    long = make({"event": "NOTE_ADDED"}, note="x" * 12000, title="t" * 200)
    for block in slack.message(long)["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)


def test_teams_gets_an_adaptive_card_in_a_message_envelope() -> None:
    body = teams.message(RESOLVED)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    texts = [b.get("text") for b in card["body"] if b["type"] == "TextBlock"]
    assert texts[:3] == ["Incident resolved", escape.teams(RECORD["title"]), "Status changed to RESOLVED"]
    (facts,) = [b["facts"] for b in card["body"] if b["type"] == "FactSet"]
    assert {"title": "Impact", "value": "2 (High)"} in facts and {"title": "Status", "value": "RESOLVED"} in facts
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open incident", "url": LINK}]


def test_mattermost_gets_an_attachment_coloured_by_impact() -> None:
    (attachment,) = mattermost.message(STARTED)["attachments"]
    assert attachment["color"] == mattermost.COLORS[2]
    assert attachment["title"] == escape.mattermost(RECORD["title"]) and attachment["title_link"] == LINK
    assert attachment["pretext"] == "Incident started"
    assert attachment["fallback"].startswith("Incident started · Checkout <\u200berrors> & timeouts")
    assert attachment["fields"][:2] == [
        {"short": True, "title": "Impact", "value": "2 (High)"},
        {"short": True, "title": "Status", "value": "OPEN"},
    ]
    (resolved,) = mattermost.message(RESOLVED)["attachments"]
    assert resolved["color"] == mattermost.RESOLVED_COLOR


def test_the_https_document_carries_the_event_and_the_incident() -> None:
    doc = documents.document(RESOLVED)
    assert doc["event"] == "INCIDENT_RESOLVED" and doc["messageId"] == "m-1" and doc["topicArn"] == TOPIC
    assert doc["changes"] == [{"attributeName": "status", "newValue": "RESOLVED"}]
    assert doc["incident"] == {
        "arn": ARN,
        "title": RECORD["title"],
        "impact": 2,
        "impactName": "High",
        "status": "RESOLVED",
        "summary": RECORD["summary"],
        "creationTime": "2027-01-15T08:00:00.000Z",
        "resolvedTime": "2027-01-15T08:15:00.000Z",
        "link": LINK,
    }


def test_the_email_says_what_happened_in_its_subject() -> None:
    assert documents.email_subject(RESOLVED) == f"[RESOLVED] {RECORD['title']}: Status changed to RESOLVED"
    assert documents.email_subject(STARTED) == f"[OPEN] {RECORD['title']}: Incident started, impact 2 (High)"
    text = documents.email_text(RESOLVED)
    assert "Impact:  2 (High)" in text and "Status:  RESOLVED" in text and f"Open the incident: {LINK}" in text
