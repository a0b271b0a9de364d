"""The Settings page: admins see the replication set, the account's SNS topics, the page transports and the console's
users, with every secret of the config masked; they turn deletion protection on and off and create the replication
set; responders and viewers are refused, and nothing changes. Plain HTTP as a browser without JavaScript, then
Chromium with axe-core.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest
from browser_support import Browsing, sign_in, violations_in
from console_support import add_user, csrf_of, signed_in
from playwright.sync_api import expect

from support import Account, Server, wait_until
from support import test_account as numbered_account

FIRST_TENANT = 4700  # accounts of this module's own server (its database is its own too)
TENANTS = 24
REGION = "us-east-1"
# The config's secrets: none of them may appear on any page.
SLACK_TOKEN = "SLACKTOKENs3cr3t"
MATTERMOST_TOKEN = "MMTOKENs3cr3t"
TEAMS_SIGNATURE = "TEAMSSIGs3cr3t"
HOOK_SECRET = "HOOKSECRETs3cr3t"
HOOK_PATH = "hookpaths3cr3t"
SMTP_PASSWORD = "SMTPPASSs3cr3t"
TWILIO_SID = "AC0123456789abcdef0123456789abcd42"
TWILIO_TOKEN = "TWILIOTOKENs3cr3t"
TWILIO_PATH = "twiliopaths3cr3t"
SMS_HOOK_PATH = "SMSHOOKs3cr3t"
SMS_HOOK_SECRET = "SMSSECRETs3cr3t"
OIDC_SECRET = "OIDCCLIENTs3cr3t"
SECRETS = (
    SLACK_TOKEN,
    MATTERMOST_TOKEN,
    TEAMS_SIGNATURE,
    HOOK_SECRET,
    HOOK_PATH,
    SMTP_PASSWORD,
    TWILIO_SID,
    TWILIO_TOKEN,
    TWILIO_PATH,
    SMS_HOOK_PATH,
    SMS_HOOK_SECRET,
    OIDC_SECRET,
)
_tenants: dict[str, itertools.count[int]] = {}  # per server: each has its own database and its own tenants


def topic(account: Account, name: str) -> str:
    """An SNS topic ARN of the account."""
    return f"arn:aws:sns:{REGION}:{account.account_id}:{name}"


def config_text() -> str:
    """SMTP with a password, Twilio (and an SMS webhook it overrides), single sign-on, and topics for every tenant."""
    text = f"""
[replication]
settle_seconds = 0.2

[notifications]
public_url = "https://incidents.example.com"

[smtp]
url = "smtp+starttls://alerts:{SMTP_PASSWORD}@mail.example.com:587"
from = "incidentd@example.com"

[twilio]
account_sid = "{TWILIO_SID}"
auth_token = "{TWILIO_TOKEN}"
from = "+15550100"
base_url = "http://127.0.0.1:9/{TWILIO_PATH}"

[sms_webhook]
url = "https://sms.example.com/hook/{SMS_HOOK_PATH}"
secret = "{SMS_HOOK_SECRET}"

[console.oidc]
issuer = "https://sso.example.com/realms/ops"
client_id = "incidentd-console"
client_secret = "{OIDC_SECRET}"
"""
    for index in range(FIRST_TENANT, FIRST_TENANT + TENANTS):
        account = numbered_account(index)
        text += f"""
[[console.oidc.mappings]]
value = "oncall-{account.account_id}"
account_id = "{account.account_id}"
role = "admin"
"""
    for index in range(FIRST_TENANT, FIRST_TENANT + TENANTS):
        account = numbered_account(index)
        text += f"""
[[sns_topics]]
arn = "{topic(account, "incident-chat")}"
subscribers = [
  {{ protocol = "slack", endpoint = "https://hooks.slack.com/services/T000/B000/{SLACK_TOKEN}" }},
  {{ protocol = "mattermost", endpoint = "https://mattermost.example.com/hooks/{MATTERMOST_TOKEN}" }},
  {{ protocol = "msteams", endpoint = "https://teams.example.com/workflows?sig={TEAMS_SIGNATURE}" }},
  {{ protocol = "https", endpoint = "https://receiver.example.com/{HOOK_PATH}", secret = "{HOOK_SECRET}" }},
  {{ protocol = "email", endpoint = "team-{account.account_id}@example.com" }},
]

[[sns_topics]]
arn = "{topic(account, "quiet")}"
"""
    return text


@pytest.fixture(scope="module")
def settings_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose config has every kind of secret the Settings page must mask, on a database of its own."""
    running = Server(own_database, tmp_path_factory.mktemp("settings"), config_text()).start()
    yield running
    running.stop()


def next_tenant(server: Server) -> Account:
    """An account of the settings server that no other test of this server used."""
    index = next(_tenants.setdefault(server.database_url, itertools.count(FIRST_TENANT)))
    assert index < FIRST_TENANT + TENANTS, "more tests than tenants: raise TENANTS"
    return numbered_account(index)


@pytest.fixture
def tenant(settings_server: Server) -> Account:
    """A fresh account of the settings server."""
    return next_tenant(settings_server)


@pytest.fixture
def other_tenant(settings_server: Server) -> Account:
    """A second fresh account, for tenancy tests."""
    return next_tenant(settings_server)


def onboard(server: Server, account: Account) -> str:
    """The account's replication set, made through the API and ACTIVE; its ARN."""
    incidents = server.client(account)
    arn = str(incidents.create_replication_set(regions={REGION: {}})["arn"])
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    return arn


def protected(server: Server, account: Account, arn: str) -> bool:
    """GetReplicationSet's deletionProtected."""
    return bool(server.client(account).get_replication_set(arn=arn)["replicationSet"]["deletionProtected"])


def text_of(page: httpx.Response) -> str:
    """A page's text, tags removed and entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page.text)))


def admin_of(server: Server, account: Account) -> tuple[str, httpx.Client]:
    """A new admin of the account, signed in; their name and client."""
    name = add_user(server.database_url, account.account_id, "admin")
    return name, signed_in(server.endpoint, name)


# What an admin sees.


def test_an_admin_sees_the_replication_set_topics_transports_and_users_with_no_secret(
    settings_server: Server, tenant: Account, other_tenant: Account
) -> None:
    arn = onboard(settings_server, tenant)
    admin, client = admin_of(settings_server, tenant)
    responder = add_user(settings_server.database_url, tenant.account_id, "responder", contact="dana")
    viewer = add_user(settings_server.database_url, tenant.account_id, "viewer")
    stranger = add_user(settings_server.database_url, other_tenant.account_id, "admin")

    page = client.get("/console/settings")

    assert page.status_code == 200
    html, text = page.text, text_of(page)
    for secret in SECRETS:
        assert secret not in html, secret
    # The replication set.
    assert arn in text
    assert f"{REGION} ACTIVE AWS owned key" in text
    assert "Deletion protection Off" in text
    assert "Turn deletion protection on" in text
    # The account's topics, subscribers masked; nobody else's.
    assert topic(tenant, "incident-chat") in text
    assert "Slack https://hooks.slack.com/•••• —" in text
    assert "Mattermost https://mattermost.example.com/•••• —" in text
    assert "Microsoft Teams https://teams.example.com/•••• —" in text
    assert "HTTPS https://receiver.example.com/•••• signed (secret hidden)" in text
    assert f"E-mail team-{tenant.account_id}@example.com" in text
    assert topic(tenant, "quiet") in text and "No subscribers: messages to this topic go nowhere." in text
    assert other_tenant.account_id not in html
    assert "Links in messages start with https://incidents.example.com" in text
    # The transports, as the worker chooses them: Twilio over the SMS webhook.
    assert "EMAIL SMTP server smtp+starttls://alerts:••••@mail.example.com:587 from incidentd@example.com" in text
    assert "SMS Twilio account AC••••cd42, auth token hidden from +15550100 API http://127.0.0.1:9/••••" in text
    assert "VOICE Twilio" in text
    assert "the SMS webhook is configured too, but Twilio comes first" in text
    # The account's users, with roles and linked contacts; single sign-on without its secret.
    assert f"{admin} (you) admin none" in text
    assert f"{responder} responder dana (no such contact)" in text
    assert f"{viewer} viewer none" in text
    assert stranger not in text
    assert "incidentd user add|passwd|remove" in text
    assert "Issuer https://sso.example.com/realms/ops" in text
    assert "incidentd-console (confidential: secret hidden)" in text
    assert f"oncall-{tenant.account_id} admin" in text


def test_a_linked_contact_that_exists_is_not_flagged(settings_server: Server, tenant: Account) -> None:
    onboard(settings_server, tenant)
    settings_server.client(tenant, "ssm-contacts").create_contact(
        Alias="kofi", DisplayName="Kofi", Type="PERSONAL", Plan={"Stages": []}
    )
    linked = add_user(settings_server.database_url, tenant.account_id, "responder", contact="kofi")
    _, client = admin_of(settings_server, tenant)

    text = text_of(client.get("/console/settings"))

    assert re.search(rf"{linked} responder kofi \d{{4}}-", text), text
    assert "(no such contact)" not in text


def test_a_server_without_transports_or_topics_says_pages_wait(
    server: Server, account: Account, replication_set: str
) -> None:
    _, client = admin_of(server, account)

    text = text_of(client.get("/console/settings"))

    assert "EMAIL None: pages wait set INCIDENTD_SMTP_URL and INCIDENTD_EMAIL_FROM" in text
    assert "SMS None: pages wait" in text and "VOICE None: pages wait" in text
    assert "No SNS topic of this account is configured" in text
    assert "Single sign-on" not in text


# Changing the replication set.


def test_deletion_protection_is_turned_on_and_off_by_the_form(settings_server: Server, tenant: Account) -> None:
    arn = onboard(settings_server, tenant)
    admin, client = admin_of(settings_server, tenant)
    csrf = csrf_of(client, "/console/settings")

    answer = client.post("/console/settings/deletion-protection", data={"csrf": csrf, "deletion_protected": "true"})

    assert answer.status_code == 303 and answer.headers["location"] == "/console/settings"
    assert protected(settings_server, tenant, arn) is True
    found = settings_server.client(tenant).get_replication_set(arn=arn)["replicationSet"]
    assert found["lastModifiedBy"] == f"arn:aws:iam::{tenant.account_id}:user/{admin}"
    text = text_of(client.get("/console/settings"))
    assert "Deletion protection On" in text and "Turn deletion protection off" in text

    # The same form again (a double click, a stale tab) asks for the same state: still on.
    client.post("/console/settings/deletion-protection", data={"csrf": csrf, "deletion_protected": "true"})
    assert protected(settings_server, tenant, arn) is True

    answer = client.post("/console/settings/deletion-protection", data={"csrf": csrf, "deletion_protected": "false"})

    assert answer.status_code == 303
    assert protected(settings_server, tenant, arn) is False


def test_a_form_without_a_state_changes_nothing(settings_server: Server, tenant: Account) -> None:
    arn = onboard(settings_server, tenant)
    _, client = admin_of(settings_server, tenant)

    answer = client.post(
        "/console/settings/deletion-protection",
        data={"csrf": csrf_of(client, "/console/settings"), "deletion_protected": "maybe"},
    )

    assert answer.status_code == 400 and "Choose on or off." in answer.text
    assert protected(settings_server, tenant, arn) is False


def test_an_account_without_a_replication_set_creates_one_from_the_page(
    settings_server: Server, tenant: Account
) -> None:
    _, client = admin_of(settings_server, tenant)
    page = client.get("/console/settings")
    assert "This account has no replication set" in text_of(page)
    csrf = csrf_of(client, "/console/settings")

    answer = client.post("/console/settings/replication-set", data={"csrf": csrf})

    assert answer.status_code == 303
    incidents = settings_server.client(tenant)
    (arn,) = incidents.list_replication_sets()["replicationSetArns"]
    assert list(incidents.get_replication_set(arn=arn)["replicationSet"]["regionMap"]) == [REGION]
    assert "Turn deletion protection on" in client.get("/console/settings").text

    # A second one is the API's refusal, shown on the page; still one set.
    again = client.post("/console/settings/replication-set", data={"csrf": csrf})
    assert again.status_code == 400
    assert "already exists in this account" in text_of(again)
    assert incidents.list_replication_sets()["replicationSetArns"] == [arn]


def test_deletion_protection_without_a_replication_set_is_refused_on_the_page(
    settings_server: Server, tenant: Account
) -> None:
    _, client = admin_of(settings_server, tenant)

    answer = client.post(
        "/console/settings/deletion-protection",
        data={"csrf": csrf_of(client, "/console/settings"), "deletion_protected": "true"},
    )

    assert answer.status_code == 400 and "This account has no replication set." in answer.text
    assert settings_server.client(tenant).list_replication_sets()["replicationSetArns"] == []


# Everyone else.


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_responders_and_viewers_are_refused_and_change_nothing(
    settings_server: Server, tenant: Account, other_tenant: Account, role: str
) -> None:
    arn = onboard(settings_server, tenant)
    client = signed_in(settings_server.endpoint, add_user(settings_server.database_url, tenant.account_id, role))
    csrf = csrf_of(client)
    assert "/console/settings" not in client.get("/console/").text  # no Settings link either

    page = client.get("/console/settings")
    assert page.status_code == 403 and "Only admins" in page.text
    assert topic(tenant, "incident-chat") not in page.text and "Replication set" not in page.text

    answer = client.post("/console/settings/deletion-protection", data={"csrf": csrf, "deletion_protected": "true"})
    assert answer.status_code == 403
    assert protected(settings_server, tenant, arn) is False

    # In an account without a replication set, creating one is refused too.
    bare = signed_in(settings_server.endpoint, add_user(settings_server.database_url, other_tenant.account_id, role))
    answer = bare.post("/console/settings/replication-set", data={"csrf": csrf_of(bare)})
    assert answer.status_code == 403
    assert settings_server.client(other_tenant).list_replication_sets()["replicationSetArns"] == []


def test_a_post_without_the_session_token_is_refused(settings_server: Server, tenant: Account) -> None:
    arn = onboard(settings_server, tenant)
    _, client = admin_of(settings_server, tenant)

    answer = client.post("/console/settings/deletion-protection", data={"deletion_protected": "true"})

    assert answer.status_code == 403
    assert protected(settings_server, tenant, arn) is False


# In the browser.


def test_an_admin_turns_deletion_protection_on_in_the_browser_and_a_responder_is_refused(
    settings_server: Server, tenant: Account, browsing: Browsing
) -> None:
    arn = onboard(settings_server, tenant)
    admin = add_user(settings_server.database_url, tenant.account_id, "admin")
    page = browsing.page()
    sign_in(page, settings_server.endpoint, admin)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()

    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()
    for heading in ("Replication set", "Notification topics", "Page delivery", "Console users", "Single sign-on"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert violations_in(page, "dark") == []
    assert violations_in(page, "light") == []

    page.get_by_role("button", name="Turn deletion protection on").click()

    expect(page.get_by_role("button", name="Turn deletion protection off")).to_be_visible()
    assert protected(settings_server, tenant, arn) is True
    for secret in SECRETS:
        assert secret not in page.content()

    responder = add_user(settings_server.database_url, tenant.account_id, "responder")
    other = browsing.page()
    sign_in(other, settings_server.endpoint, responder)
    expect(other.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_have_count(0)
    other.goto(f"{settings_server.endpoint}/console/settings")
    expect(other.get_by_role("heading", level=1, name="Not allowed")).to_be_visible()
    browsing.expect_error("/console/settings: Failed to load resource: the server responded with a status of 403")
