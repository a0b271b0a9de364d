"""Incident links expire, and the key that signs them can be rotated without breaking the links already sent (issue 17).

A link in a chat message is a credential: anyone who has it reads the incident without AWS credentials. Before,
a link opened its incident forever, and changing the key broke every link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from receivers import Recorder

from incidentd.config.notifications import NotifySettings
from incidentd.notify import links
from support import Server, free_port, wait_until
from support import test_account as numbered_account

ACCOUNT = numbered_account(4950)
CURRENT, PREVIOUS = "the-current-link-secret", "the-previous-link-secret"
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def recorder(own_database: str) -> Iterator[Recorder]:
    """A chat stand-in per database kind: each kind's server posts its own message."""
    running = Recorder().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def link_server(own_database: str, recorder: Recorder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose links last 30 days, signed with CURRENT; links signed with PREVIOUS still open."""
    port = free_port()
    config = f"""
[replication]
settle_seconds = 0.2

[notifications]
public_url = "http://127.0.0.1:{port}"
link_secret = "{CURRENT}"
previous_link_secrets = ["{PREVIOUS}"]
link_lifetime_days = 30

[[sns_topics]]
arn = "arn:aws:sns:us-east-1:{ACCOUNT.account_id}:chat"
subscribers = [{{ protocol = "mattermost", endpoint = "{recorder.url}/mattermost" }}]
"""
    running = Server(own_database, tmp_path_factory.mktemp("links"), config, port=port).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def incident(link_server: Server, recorder: Recorder) -> tuple[str, str]:
    """An incident of ACCOUNT that told the chat channel; its ARN and the link the message carried."""
    client = link_server.client(ACCOUNT)
    replication = client.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: client.get_replication_set(arn=replication)["replicationSet"]["status"] == "ACTIVE")
    plan = client.create_response_plan(
        name="links",
        incidentTemplate={"title": "Checkout errors", "impact": 3},
        chatChannel={"chatbotSns": [f"arn:aws:sns:us-east-1:{ACCOUNT.account_id}:chat"]},
    )["arn"]
    arn = client.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    (message,) = recorder.wait_delivered("/mattermost")
    return arn, message.json()["attachments"][0]["title_link"]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def signed(server: Server, arn: str, secret: str, made_ms: int, lifetime_days: float = 30) -> str:
    """A link as a server with this secret and lifetime would have made it at made_ms."""
    settings = NotifySettings(public_url=server.endpoint, link_key=secret.encode(), link_lifetime_days=lifetime_days)
    return links.link(settings, arn, "us-east-1", now_ms=made_ms)


def test_a_link_carries_its_expiry_and_opens_until_then(link_server: Server, incident: tuple[str, str]) -> None:
    arn, link = incident
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    expires = int(query["exp"][0])
    assert abs(expires - (time.time() + 30 * 86_400)) < 600  # 30 days from when the message was made
    assert get(link)[0] == 200
    # New links are signed with the current key: the same link made here with CURRENT is byte for byte the server's.
    assert link == signed(link_server, arn, CURRENT, (expires - 30 * 86_400) * 1000)


def test_an_expired_link_is_refused_with_a_page_that_says_so(link_server: Server, incident: tuple[str, str]) -> None:
    arn, _ = incident
    old = signed(link_server, arn, CURRENT, int(time.time() * 1000) - 31 * DAY_MS)
    status, body = get(old)
    assert status == 410 and "expired" in body.lower()
    assert "Checkout errors" not in body  # nothing of the incident


def test_the_expiry_is_signed_so_it_cannot_be_extended(link_server: Server, incident: tuple[str, str]) -> None:
    arn, _ = incident
    old = signed(link_server, arn, CURRENT, int(time.time() * 1000) - 31 * DAY_MS)
    expires = int(urllib.parse.parse_qs(urllib.parse.urlsplit(old).query)["exp"][0])
    extended = old.replace(f"exp={expires}", f"exp={expires + 365 * 86_400}")
    assert get(extended) == (404, "Not Found")


def test_links_of_the_previous_key_open_until_they_expire(link_server: Server, incident: tuple[str, str]) -> None:
    arn, _ = incident
    now_ms = int(time.time() * 1000)
    assert get(signed(link_server, arn, PREVIOUS, now_ms - DAY_MS))[0] == 200
    assert get(signed(link_server, arn, PREVIOUS, now_ms - 31 * DAY_MS))[0] == 410
    assert get(signed(link_server, arn, "a-key-this-server-never-had", now_ms)) == (404, "Not Found")


def test_links_made_before_links_expired_no_longer_open(link_server: Server, incident: tuple[str, str]) -> None:
    """A link of the old form (`?sig=` over the ARN alone) would open forever: it is refused as expired."""
    arn, _ = incident
    mac = hmac.new(CURRENT.encode(), arn.encode(), hashlib.sha256).digest()
    legacy = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    account, plan, incident_id = arn.split(":", 5)[4], *arn.rsplit("/", 2)[1:]
    status, body = get(f"{link_server.endpoint}/incidents/{account}/{plan}/{incident_id}?sig={legacy}")
    assert status == 410 and "expired" in body.lower()


def test_a_lifetime_so_short_that_a_new_link_is_already_expired(link_server: Server, incident: tuple[str, str]) -> None:
    arn, _ = incident
    link = signed(link_server, arn, CURRENT, int(time.time() * 1000) - 1000, lifetime_days=0.000001)
    assert get(link)[0] == 410
