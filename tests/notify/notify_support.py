"""A server whose config subscribes loopback receivers to SNS topics, and tenants that use them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from receivers import Recorder

from mailsink import MailSink
from support import Account, Server, free_port, test_account, wait_until

TENANTS = 16  # accounts of this module's server; each test takes fresh ones
FIRST_TENANT = 4900  # test_account indices no shared-server test reaches; this server has its own database anyway
TIMEOUT_SECONDS = 6  # the deliveries' HTTP timeout: a hanging receiver is given up on after this

_tenants: dict[str, itertools.count[int]] = {}  # per server: each has its own database and its own tenants


def topic(account: Account, name: str) -> str:
    """An SNS topic ARN of the account."""
    return f"arn:aws:sns:us-east-1:{account.account_id}:{name}"


def hook_secret(account: Account) -> str:
    """The secret of the account's HTTPS subscribers."""
    return f"hook-secret-{account.account_id}"


def config_text(port: int, recorder: Recorder, silent_url: str, down_url: str) -> str:
    """[notifications] with fast retries, and three topics per tenant: chat, a target, and one with dead endpoints."""
    text = f"""
[replication]
settle_seconds = 0.2

[notifications]
public_url = "http://127.0.0.1:{port}"
retry_seconds = 0.2
retry_for_seconds = 8
timeout_seconds = {TIMEOUT_SECONDS}
"""
    for index in range(FIRST_TENANT, FIRST_TENANT + TENANTS):
        account = test_account(index)
        base = f"{recorder.url}/{account.account_id}"
        secret = hook_secret(account)
        text += f"""
[[sns_topics]]
arn = "{topic(account, "chat")}"
subscribers = [
  {{ protocol = "slack", endpoint = "{base}/slack" }},
  {{ protocol = "msteams", endpoint = "{base}/teams" }},
  {{ protocol = "mattermost", endpoint = "{base}/mattermost" }},
  {{ protocol = "https", endpoint = "{base}/hook", secret = "{secret}" }},
  {{ protocol = "email", endpoint = "chat.{account.account_id}@example.com" }},
]

[[sns_topics]]
arn = "{topic(account, "oncall")}"
subscribers = [{{ protocol = "https", endpoint = "{base}/target", secret = "{secret}" }}]

[[sns_topics]]
arn = "{topic(account, "dead")}"
subscribers = [
  {{ protocol = "slack", endpoint = "{down_url}" }},
  {{ protocol = "https", endpoint = "{silent_url}" }},
  {{ protocol = "mattermost", endpoint = "{base}/alive" }},
]
"""
    return text


def notifying_server(database_url: str, workdir: Path, recorder: Recorder, sink: MailSink, silent: str) -> Server:
    """A server (not started) that delivers to the recorder and mails through the sink."""
    port = free_port()
    env = {"INCIDENTD_SMTP_URL": sink.url, "INCIDENTD_EMAIL_FROM": "incidentd@example.com"}
    dead = f"http://127.0.0.1:{free_port()}/gone"
    return Server(database_url, workdir, config_text(port, recorder, silent, dead), extra_env=env, port=port)


@dataclass
class Tenant:
    """One account of the notifying server, onboarded, with a client."""

    account: Account
    incidents: Any  # boto3 ssm-incidents client

    def path(self, name: str) -> str:
        """The recorder path of one of this tenant's subscribers."""
        return f"/{self.account.account_id}/{name}"

    def plan(self, name: str, chat: list[str] | None = None, targets: list[str] | None = None, **template: Any) -> str:
        """A response plan whose chat channel and notification targets are the given topic names; its ARN."""
        params: dict[str, Any] = {
            "name": name,
            "incidentTemplate": {
                "title": "Checkout errors",
                "impact": 3,
                "summary": "Error rate above 5%",
                "notificationTargets": [{"snsTopicArn": topic(self.account, t)} for t in targets or []],
                **template,
            },
        }
        if chat:
            params["chatChannel"] = {"chatbotSns": [topic(self.account, t) for t in chat]}
        return str(self.incidents.create_response_plan(**params)["arn"])


def new_tenant(server: Server) -> Tenant:
    """A fresh account of the server, with an ACTIVE replication set."""
    index = next(_tenants.setdefault(server.endpoint, itertools.count(FIRST_TENANT)))
    assert index < FIRST_TENANT + TENANTS, "raise TENANTS: every test needs accounts of its own"
    account = test_account(index)
    incidents = server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    return Tenant(account, incidents)
