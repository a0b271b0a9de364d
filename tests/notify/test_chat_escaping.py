"""Hostile incident text in chat messages: links, images, mentions and HTML arrive as text, in every format (issue 17).

An alert's title, summary and notes are written by whoever can post an alert. Unescaped, `[click](http://evil)`
posts a link whose text hides its target, `![x](http://evil/img)` makes every reader's client fetch a URL, and
`@channel` wakes a whole channel.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from notify_support import Tenant
from receivers import Recorder

from incidentd.notify import escape, mattermost, notice, slack, teams
from incidentd.notify.notice import Notice

ARN = "arn:aws:ssm-incidents::111122223333:incident-record/db-plan/5ec2b2d1-6a43-4b1f-8f0e-1c7a2bd1a0e4"
LINK = "https://incidents.example.com/incidents/111122223333/db-plan/5ec2b2d1?exp=1&sig=abc"
TITLE = "DB down [click](http://evil) ![x](http://evil/img) @channel @all @here <!here> <b>bold</b> <at>Ops</at>"
NOTE = "Rolled back. [docs](http://evil/docs)\n![pixel](http://evil/p.png) @all please <img src=http://evil/i>"
SUMMARY = "See [runbook][r]\n\n[r]: http://evil/r <http://evil/auto>"

# What must not survive into any chat product's rendered text.
LINK_SYNTAX = re.compile(r"\]\(|\]\[|\]:")  # inline links and images, reference links, reference definitions
MENTION = re.compile(r"(?<![\w.+-])@(all|channel|here)\b")
TAG = re.compile(r"<[A-Za-z/!?]")


def notice_of(news: dict[str, Any], note: str | None = None) -> Notice:
    record = {
        "arn": ARN,
        "title": TITLE,
        "impact": 1,
        "status": "OPEN",
        "summary": SUMMARY,
        "creationTime": 1_800_000_000.0,
    }
    return notice.compose(record, news, message_id="m", link=LINK, topic_arn="t", sent_at=1_800_000_060.0, note=note)


STARTED = notice_of({"event": "INCIDENT_STARTED"})
NOTED = notice_of({"event": "NOTE_ADDED"}, note=NOTE)
RETITLED = notice_of({"event": "INCIDENT_UPDATED", "changes": [{"attributeName": "title", "newValue": TITLE}]})


def strings(value: Any) -> list[str]:
    """Every string in a JSON document except URLs incidentd made itself (links, schema)."""
    if isinstance(value, str):
        return [] if value.startswith(("https://incidents.example.com/", "http://adaptivecards.io/")) else [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() if key not in ("url", "title_link") for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def assert_inert(texts: list[str]) -> None:
    for text in texts:
        assert not LINK_SYNTAX.search(text), text
        assert not MENTION.search(text), text
        assert not TAG.search(text), text


@pytest.mark.parametrize("news", [STARTED, NOTED, RETITLED], ids=["started", "note", "retitled"])
def test_mattermost_shows_hostile_text_without_links_images_mentions_or_html(news: Notice) -> None:
    attachment = mattermost.message(news)["attachments"][0]
    assert_inert(strings(attachment))
    assert attachment["title_link"] == LINK  # the one link is incidentd's own


@pytest.mark.parametrize("news", [STARTED, NOTED, RETITLED], ids=["started", "note", "retitled"])
def test_teams_shows_hostile_text_without_links_mentions_or_html(news: Notice) -> None:
    card = teams.card(news)
    assert_inert(strings(card))
    assert card["actions"][0]["url"] == LINK


@pytest.mark.parametrize("news", [STARTED, NOTED, RETITLED], ids=["started", "note", "retitled"])
def test_slack_keeps_escaping_its_control_characters(news: Notice) -> None:
    texts = strings(slack.message(news))
    assert not any(raw in text for text in texts for raw in ("<!here>", "<b>", "<at>", "<img", "<http://evil"))
    assert any("&lt;!here&gt;" in text for text in texts)


def test_the_reader_still_sees_what_was_written() -> None:
    """Defused, not mangled: only invisible characters are added."""
    for dialect in (escape.mattermost, escape.teams):
        assert dialect(TITLE).replace(escape.ZERO_WIDTH_SPACE, "") == TITLE
        assert dialect("mail ops@example.com about a+b@c.io") == "mail ops@example.com about a+b@c.io"
    assert escape.slack("<!here> & co") == "&lt;!here&gt; &amp; co"


def test_hostile_text_reaches_the_chat_stand_ins_inert(tenant: Tenant, recorder: Recorder) -> None:
    """End to end: an incident with a hostile title and a hostile note, through a real server to the stand-ins."""
    plan = tenant.plan("hostile-plan", chat=["chat"], summary=SUMMARY)
    arn = tenant.incidents.start_incident(responsePlanArn=plan, title=TITLE[:200])["incidentRecordArn"]
    recorder.wait_delivered(tenant.path("mattermost"))
    tenant.incidents.create_timeline_event(
        incidentRecordArn=arn,
        eventTime=time.time(),
        eventType="Note",
        eventData=json.dumps(NOTE),
        eventReferences=[{"resource": arn}],
    )

    mattermosts = [m.json() for m in recorder.wait_delivered(tenant.path("mattermost"), 2)]
    team_cards = [m.json()["attachments"][0]["content"] for m in recorder.wait_delivered(tenant.path("teams"), 2)]
    slacks = [m.json() for m in recorder.wait_delivered(tenant.path("slack"), 2)]
    for body in mattermosts + team_cards:
        texts = [t for t in strings(body) if not t.startswith("http://127.0.0.1")]
        assert_inert(texts)
    assert "Rolled back." in mattermosts[1]["attachments"][0]["text"]
    for body in slacks:
        assert not any("<!here>" in text or "<b>" in text for text in strings(body))
