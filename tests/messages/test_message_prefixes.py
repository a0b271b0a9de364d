"""Every event in every format reads once: no `New note: New note: …`, no label said twice at the start of a text."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from incidentd.channels import Message, SmtpTransport
from incidentd.channels.twilio import sms_body
from incidentd.engine.jobs.engage import incident_message
from incidentd.notify import documents, mattermost, notice, slack, teams
from incidentd.notify.notice import Notice

ARN = "arn:aws:ssm-incidents::111122223333:incident-record/db-plan/5ec2b2d1-6a43-4b1f-8f0e-1c7a2bd1a0e4"
PAGE = "arn:aws:ssm-contacts:us-east-1:111122223333:page/ama/8d0a4ad0-5b0b-4c4f-9d0e-8f2b1a3c4d5e"
LINK = "https://incidents.example.com/incidents/111122223333/db-plan/5ec2b2d1?exp=1&sig=abc"
RECORD = {
    "arn": ARN,
    "title": "Checkout errors",
    "impact": 2,
    "status": "OPEN",
    "summary": "Error rate above 5%.",
    "creationTime": 1_800_000_000.0,
    "lastModifiedTime": 1_800_000_000.0,
}
RESOLVED_RECORD = {**RECORD, "status": "RESOLVED", "resolvedTime": 1_800_000_900.0}
NEWS = {
    "started": {"event": "INCIDENT_STARTED"},
    "updated": {
        "event": "INCIDENT_UPDATED",
        "changes": [{"attributeName": "impact", "newValue": "1"}, {"attributeName": "title", "newValue": "Down"}],
    },
    "resolved": {"event": "INCIDENT_RESOLVED", "changes": [{"attributeName": "status", "newValue": "RESOLVED"}]},
    "note": {"event": "NOTE_ADDED", "eventId": "e-1"},
}
NOTE = "Rolled back to v41\nand watching"


def notices() -> list[tuple[str, Notice]]:
    """Each kind of news, told as it happened and told after the incident was resolved (or reopened) since."""
    found = []
    for name, news in NEWS.items():
        then = RESOLVED_RECORD if name == "resolved" else RECORD
        later = RECORD if name == "resolved" else RESOLVED_RECORD
        note = NOTE if name == "note" else None
        for told, record in (("now", then), ("later", later)):
            snapshot = {key: then.get(key) for key in ("title", "impact", "status", "summary", "creationTime")}
            with_snapshot = {**news, "incident": {**snapshot, "resolvedTime": then.get("resolvedTime")}}
            composed = notice.compose(
                record, with_snapshot, message_id="m", link=LINK, topic_arn="t", sent_at=1.8e9, note=note
            )
            found.append((f"{name}-{told}", composed))
    return found


def words(text: str) -> list[str]:
    """The words of a text as a reader sees them: markup, punctuation and case left out."""
    return re.findall(r"[a-z0-9]+", text.lower())


def repeated_start(text: str) -> str | None:
    """The phrase said twice in a row at the start of the text or of any of its lines, if any."""
    lines = text.splitlines()
    for index in range(len(lines)):
        said = words("\n".join(lines[index:]))
        for size in range(1, len(said) // 2 + 1):
            if said[:size] == said[size : 2 * size]:
                return " ".join(said[:size])
    return None


def texts_of(notice: Notice) -> dict[str, str]:
    """What readers read of a notice in every format, each as one text in reading order."""
    body = slack.message(notice)
    blocks = body["blocks"]
    card = teams.card(notice)
    (attachment,) = mattermost.message(notice)["attachments"]
    doc = documents.document(notice)
    return {
        "slack fallback": body["text"],
        "slack blocks": "\n".join(
            [b["text"]["text"] for b in blocks if "text" in b]
            + [f["text"] for b in blocks for f in b.get("fields", [])]
        ),
        "teams card": "\n".join(b["text"] for b in card["body"] if b["type"] == "TextBlock"),
        "teams fallback": card["fallbackText"],
        "mattermost fallback": attachment["fallback"],
        "mattermost message": f"{attachment['pretext']}\n{attachment['title']}\n{attachment['text']}",
        "https document": "\n".join([doc["headline"], *doc["details"], doc["note"] or ""]),
        "e-mail subject": documents.email_subject(notice),
        "e-mail body": documents.email_text(notice),
    }


def page_texts(record: dict[str, Any]) -> dict[str, str]:
    """What a paged person reads: the SMS, the voice call's text, and the e-mail's subject and body."""
    engaged = incident_message(record)
    fields = {
        "subject": engaged["Subject"],
        "content": engaged["Content"],
        "public_subject": engaged["PublicSubject"],
        "public_content": engaged["PublicContent"],
        "code": "123456",
        "reference": PAGE,
    }
    sms = Message(channel_type="SMS", address="+15555550100", **fields)
    email = Message(
        channel_type="EMAIL",
        address="ama@example.com",
        incident_link=LINK,
        acknowledge_link="https://incidents.example.com/acknowledge/us-east-1/111122223333/ama/8d0a?exp=1&sig=x",
        **fields,
    )
    mail = SmtpTransport("smtp://127.0.0.1:25", "incidentd@example.com").compose(email)
    return {"sms": sms_body(sms), "e-mail subject": str(mail["Subject"]), "e-mail body": email.plain_text()}


@pytest.mark.parametrize(("case", "told"), notices(), ids=[case for case, _ in notices()])
def test_no_format_repeats_a_phrase_at_the_start(case: str, told: Notice) -> None:
    for where, text in texts_of(told).items():
        assert repeated_start(text) is None, f"{case}, {where}: {text!r}"


@pytest.mark.parametrize("record", [RECORD, RESOLVED_RECORD], ids=["open", "resolved"])
def test_pages_repeat_no_phrase_at_the_start(record: dict[str, Any]) -> None:
    for where, text in page_texts(record).items():
        assert repeated_start(text) is None, f"{where}: {text!r}"


def test_a_note_is_introduced_once() -> None:
    plain = notice.compose(RECORD, NEWS["note"], message_id="m", link=LINK, topic_arn="t", sent_at=1.8e9, note="Back")
    assert slack.message(plain)["text"] == "New note: Back · Checkout errors · Impact 2 (High) · OPEN"
    assert documents.email_subject(plain) == "[OPEN] Checkout errors: New note: Back"
    assert documents.email_text(plain).startswith("New note\n\n  Back\n\nTitle:")
    (attachment,) = mattermost.message(plain)["attachments"]
    assert attachment["pretext"] == "New note" and attachment["text"] == "> Back"
    for text in texts_of(plain).values():
        assert "new note new note" not in " ".join(words(text))


def test_the_checker_finds_the_old_repeats() -> None:
    # What messages said before: the check must catch each of them.
    assert repeated_start("New note: New note: Rolled back · Checkout errors") == "new note"
    assert repeated_start("New note\n\nNew note:\n  Rolled back") == "new note"
    assert repeated_start("Incident started · Checkout errors · Impact 2 (High) · OPEN") is None


def test_news_queued_before_snapshots_is_told_from_the_record_as_it_is() -> None:
    # A payload from before the upgrade has no `incident`: the record as it is now stands in, as it used to.
    old = notice.compose(
        RESOLVED_RECORD, {"event": "INCIDENT_STARTED"}, message_id="m", link=LINK, topic_arn="t", sent_at=1.8e9
    )
    assert old.status == "RESOLVED" and old.since is None and old.title == "Checkout errors"
    # And a notice queued for delivery by the older version still loads.
    stored = {k: v for k, v in old.to_dict().items() if k not in ("status_now", "resolved_time_now")}
    assert Notice.from_dict(json.loads(json.dumps(stored))) == old


def test_a_start_told_after_the_resolution_says_so_in_every_format() -> None:
    news = {"event": "INCIDENT_STARTED", "incident": {k: RECORD.get(k) for k in RECORD if k != "arn"}}
    told = notice.compose(RESOLVED_RECORD, news, message_id="m", link=LINK, topic_arn="t", sent_at=1.8e9)
    assert told.status == "OPEN" and told.since == "Resolved since, at 2027-01-15 08:15:00 UTC."
    for where, text in texts_of(told).items():
        if where not in ("e-mail subject", "https document"):
            assert "Resolved since" in text, where
    assert documents.email_subject(told) == "[OPEN, now RESOLVED] Checkout errors: Incident started, impact 2 (High)"
    assert documents.document(told)["since"] == told.since
