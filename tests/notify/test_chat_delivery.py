"""Chat channels and notification targets through a real server to real receivers on loopback."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from notify_support import TIMEOUT_SECONDS, Tenant, hook_secret
from receivers import Received, Recorder

from incidentd.channels import verify_signature
from mailsink import MailSink


def slack_text(message: Received) -> str:
    """Everything a Slack reader sees of a message, in one string."""
    body = message.json()
    parts = [body["text"]]
    for block in body["blocks"]:
        parts.append(block.get("text", {}).get("text", ""))
        parts += [field["text"] for field in block.get("fields", [])]
    return "\n".join(parts)


def get(url: str) -> tuple[int, str]:
    """GET a URL; the status and body text."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def verified(message: Received, secret: str) -> dict[str, Any]:
    """An HTTPS delivery's JSON body, after checking its signature as a receiver would."""
    headers = message.headers
    assert verify_signature(
        secret, headers["x-incidentd-timestamp"], message.body, headers["x-incidentd-signature"], time.time()
    )
    body: dict[str, Any] = message.json()
    return body


def test_a_started_incident_reaches_every_subscriber_in_its_native_format(
    tenant: Tenant, recorder: Recorder, sink: MailSink
) -> None:
    plan = tenant.plan("chat-plan", chat=["chat"])
    arn = tenant.incidents.start_incident(responsePlanArn=plan, title="Checkout <errors>", impact=2)[
        "incidentRecordArn"
    ]

    (slack,) = recorder.wait_delivered(tenant.path("slack"))
    text = slack_text(slack)
    assert "Incident started" in text and "Checkout &lt;errors&gt;" in text
    assert "2 (High)" in text and "*Status*\nOPEN" in text
    button = slack.json()["blocks"][-2]["elements"][0]
    link = button["url"]
    assert link.startswith(f"http://127.0.0.1:{tenant.incidents.meta.endpoint_url.rsplit(':', 1)[1]}/incidents/")

    (teams,) = recorder.wait_delivered(tenant.path("teams"))
    card = teams.json()["attachments"][0]["content"]
    assert teams.json()["type"] == "message" and card["type"] == "AdaptiveCard"
    # Defused as incident text is in every chat format (notify/escape.py): the reader sees "Checkout <errors>".
    assert [b["text"] for b in card["body"][:2]] == ["Incident started", "Checkout <\u200berrors>"]
    facts = next(b["facts"] for b in card["body"] if b["type"] == "FactSet")
    assert {"title": "Impact", "value": "2 (High)"} in facts and {"title": "Status", "value": "OPEN"} in facts
    assert card["actions"][0]["url"] == link

    (mattermost,) = recorder.wait_delivered(tenant.path("mattermost"))
    attachment = mattermost.json()["attachments"][0]
    assert attachment["title"] == "Checkout <\u200berrors>" and attachment["title_link"] == link
    assert attachment["pretext"] == "Incident started" and attachment["color"] == "#f4511e"
    assert {"short": True, "title": "Status", "value": "OPEN"} in attachment["fields"]

    (hook,) = recorder.wait_delivered(tenant.path("hook"))
    document = verified(hook, hook_secret(tenant.account))
    assert document["event"] == "INCIDENT_STARTED" and hook.headers["x-incidentd-event"] == "INCIDENT_STARTED"
    assert document["incident"]["arn"] == arn and document["incident"]["impactName"] == "High"
    assert document["incident"]["link"] == link and document["incident"]["summary"] == "Error rate above 5%"

    (mail,) = sink.wait_for_mail(f"chat.{tenant.account.account_id}@example.com")
    assert mail.subject == "[OPEN] Checkout <errors>: Incident started, impact 2 (High)"
    assert link in mail.body and "Accept code" not in mail.body and mail.reference == arn

    status, html = get(link)
    assert status == 200 and "Checkout &lt;errors&gt;" in html and "<errors>" not in html
    assert "Incident Started" in html  # the timeline's first event


def test_updates_resolution_and_notes_reach_the_chat_channel_and_the_targets(
    tenant: Tenant, recorder: Recorder
) -> None:
    plan = tenant.plan("both-plan", chat=["chat"], targets=["oncall"])
    arn = tenant.incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    recorder.wait_delivered(tenant.path("target"))
    tenant.incidents.update_incident_record(arn=arn, title="Checkout down", impact=1)
    recorder.wait_delivered(tenant.path("target"), 2)
    tenant.incidents.create_timeline_event(
        incidentRecordArn=arn,
        eventTime=time.time(),
        eventType="Note",
        eventData=json.dumps("Rolled back to <v41>"),
        eventReferences=[{"resource": arn}],
    )
    recorder.wait_delivered(tenant.path("target"), 3)
    tenant.incidents.update_incident_record(arn=arn, status="RESOLVED")

    slack = [slack_text(m) for m in recorder.wait_delivered(tenant.path("slack"), 4)]
    assert "Incident started" in slack[0] and "3 (Medium)" in slack[0]
    assert "Incident updated" in slack[1] and "Title changed to “Checkout down”" in slack[1]
    assert "Impact is now 1 (Critical)" in slack[1] and "*Impact*\n:red_circle: 1 (Critical)" in slack[1]
    assert "New note: Rolled back to &lt;v41&gt;" in slack[2] and ">Rolled back to &lt;v41&gt;" in slack[2]
    assert (
        "Incident resolved" in slack[3]
        and "Status changed to RESOLVED" in slack[3]
        and "*Status*\nRESOLVED" in slack[3]
    )

    targets = [verified(m, hook_secret(tenant.account)) for m in recorder.wait_delivered(tenant.path("target"), 4)]
    assert [d["event"] for d in targets] == ["INCIDENT_STARTED", "INCIDENT_UPDATED", "NOTE_ADDED", "INCIDENT_RESOLVED"]
    assert targets[1]["changes"] == [
        {"attributeName": "title", "newValue": "Checkout down"},
        {"attributeName": "impact", "newValue": "1"},
    ]
    assert targets[2]["note"] == "Rolled back to <v41>" and targets[2]["incident"]["title"] == "Checkout down"
    assert targets[3]["incident"]["status"] == "RESOLVED" and targets[3]["incident"]["resolvedTime"]
    assert all(d["topicArn"].endswith(":oncall") for d in targets)

    mattermost = [m.json()["attachments"][0] for m in recorder.wait_delivered(tenant.path("mattermost"), 4)]
    assert mattermost[3]["color"] == "#2eb67d" and "Status changed to RESOLVED" in mattermost[3]["text"]
    teams = [m.json()["attachments"][0]["content"] for m in recorder.wait_delivered(tenant.path("teams"), 4)]
    assert teams[2]["body"][0]["text"] == "New note"


def test_a_receiver_answering_500_twice_gets_the_message_on_the_third_attempt(
    tenant: Tenant, recorder: Recorder
) -> None:
    recorder.fail(tenant.path("teams"), 2, status=500)
    plan = tenant.plan("flaky-plan", chat=["chat"])
    tenant.incidents.start_incident(responsePlanArn=plan)

    (teams,) = recorder.wait_delivered(tenant.path("teams"))
    attempts = recorder.to(tenant.path("teams"))
    assert [a.status for a in attempts] == [500, 500, 200]
    assert attempts[0].body == attempts[2].body  # the same message, composed once
    # The others did not wait for the flaky one's retries.
    others = [recorder.delivered(tenant.path(name))[0] for name in ("slack", "mattermost", "hook")]
    assert all(other.at < attempts[2].at for other in others)


def test_a_permanent_refusal_is_not_retried(tenant: Tenant, recorder: Recorder) -> None:
    recorder.fail(tenant.path("slack"), 3, status=404)
    plan = tenant.plan("gone-plan", chat=["chat"])
    tenant.incidents.start_incident(responsePlanArn=plan)
    recorder.wait_delivered(tenant.path("teams"))
    time.sleep(1.5)  # several retry delays
    assert [a.status for a in recorder.to(tenant.path("slack"))] == [404]


def test_a_dead_endpoint_delays_neither_the_incident_nor_the_other_deliveries(
    tenant: Tenant, recorder: Recorder
) -> None:
    plan = tenant.plan("dead-plan", chat=["dead", "chat"])
    started = time.monotonic()
    arn = tenant.incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    assert time.monotonic() - started < 2
    recorder.wait_delivered(tenant.path("alive"))
    recorder.wait_delivered(tenant.path("slack"))
    # Delivered while the hanging receiver's first attempt is still waiting out its timeout.
    assert time.monotonic() - started < TIMEOUT_SECONDS - 1
    tenant.incidents.update_incident_record(arn=arn, status="RESOLVED")
    assert tenant.incidents.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"
    recorder.wait_delivered(tenant.path("alive"), 2)


def test_the_signed_link_opens_only_its_own_incident(tenant: Tenant, other_tenant: Tenant, recorder: Recorder) -> None:
    mine = tenant.incidents.start_incident(responsePlanArn=tenant.plan("page-plan", chat=["chat"]))
    theirs = other_tenant.incidents.start_incident(responsePlanArn=other_tenant.plan("page-plan", chat=["chat"]))
    my_link = recorder.wait_delivered(tenant.path("mattermost"))[0].json()["attachments"][0]["title_link"]
    their_link = recorder.wait_delivered(other_tenant.path("mattermost"))[0].json()["attachments"][0]["title_link"]
    assert get(my_link)[0] == 200 and get(their_link)[0] == 200

    base, _, query = my_link.partition("?")
    expires, _, signature = query.partition("&sig=")  # "exp=<epoch seconds>", then the signature
    altered = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert get(f"{base}?{expires}&sig={altered}") == (404, "Not Found")
    assert get(base) == (404, "Not Found")
    # My signature on the other account's incident, and the other account's path with my signature.
    their_base = their_link.partition("?")[0]
    assert get(f"{their_base}?{expires}&sig={signature}") == (404, "Not Found")
    swapped = base.replace(tenant.account.account_id, other_tenant.account.account_id)
    assert get(f"{swapped}?{expires}&sig={signature}") == (404, "Not Found")
    assert mine["incidentRecordArn"].rsplit("/", 1)[1] in my_link
    assert theirs["incidentRecordArn"].rsplit("/", 1)[1] in their_link


def test_topics_without_subscribers_or_of_another_account_deliver_nothing(
    tenant: Tenant, other_tenant: Tenant, recorder: Recorder
) -> None:
    theirs = f"arn:aws:sns:us-east-1:{other_tenant.account.account_id}:chat"
    plan = tenant.incidents.create_response_plan(
        name="stray-plan",
        incidentTemplate={"title": "Stray", "impact": 4},
        chatChannel={"chatbotSns": [f"arn:aws:sns:us-east-1:{tenant.account.account_id}:unconfigured", theirs]},
    )["arn"]
    arn = tenant.incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    tenant.incidents.update_incident_record(
        arn=arn, chatChannel={"chatbotSns": [f"arn:aws:sns:us-east-1:{tenant.account.account_id}:chat"]}
    )
    tenant.incidents.update_incident_record(arn=arn, status="RESOLVED")
    (resolved,) = recorder.wait_delivered(tenant.path("slack"))
    assert "Incident resolved" in slack_text(resolved)
    assert recorder.to(other_tenant.path("slack")) == []
