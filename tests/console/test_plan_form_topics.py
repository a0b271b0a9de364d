"""The plan form's notification targets: the SNS topics the server's config declares for the person's account (only
those deliver its notices), plus any already on the plan. A server of this module's own, with [[sns_topics]]."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_support import add_user, signed_in
from test_plan_form import SAMPLE_FORM, onboard, post_plan, stored

from support import Account, Server
from support import test_account as numbered_account

OWNER = numbered_account(4600)
NEIGHBOUR = numbered_account(4601)


def topic(account: Account, name: str) -> str:
    """An SNS topic ARN of the account."""
    return f"arn:aws:sns:us-east-1:{account.account_id}:{name}"


CONFIG = f"""
[replication]
settle_seconds = 0.2

[[sns_topics]]
arn = "{topic(OWNER, "incident-updates")}"
subscribers = [{{ protocol = "https", endpoint = "https://receiver.example.com/hook" }}]

[[sns_topics]]
arn = "{topic(OWNER, "status-page")}"

[[sns_topics]]
arn = "{topic(NEIGHBOUR, "theirs")}"
"""


@pytest.fixture(scope="module")
def topics_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose config declares two topics of OWNER and one of NEIGHBOUR."""
    running = Server(own_database, tmp_path_factory.mktemp("plan-topics"), CONFIG).start()
    onboard(running, OWNER)
    yield running
    running.stop()


def test_notification_targets_are_the_accounts_configured_topics_and_are_stored_as_chosen(
    topics_server: Server,
) -> None:
    client = signed_in(topics_server.endpoint, add_user(topics_server.database_url, OWNER.account_id, "admin"))
    form = client.get("/console/plans/new").text
    assert f'<option value="{topic(OWNER, "incident-updates")}">' in form
    assert f'<option value="{topic(OWNER, "status-page")}">' in form
    assert topic(NEIGHBOUR, "theirs") not in form

    chosen = [topic(OWNER, "incident-updates"), topic(OWNER, "status-page")]
    answer = post_plan(client, "/console/plans/new", {**SAMPLE_FORM, "name": "notify", "notificationTargets": chosen})

    assert answer.status_code == 303, answer.text
    template = stored(topics_server, OWNER, "notify")["incidentTemplate"]
    assert template["notificationTargets"] == [{"snsTopicArn": arn} for arn in chosen]


def test_a_target_on_the_plan_that_the_config_does_not_declare_is_kept(topics_server: Server) -> None:
    retired = topic(OWNER, "retired")
    topics_server.client(OWNER).create_response_plan(
        name="legacy",
        incidentTemplate={"title": "Legacy", "impact": 3, "notificationTargets": [{"snsTopicArn": retired}]},
    )
    client = signed_in(topics_server.endpoint, add_user(topics_server.database_url, OWNER.account_id, "admin"))

    form = client.get("/console/plans/legacy/edit").text

    assert f'<option value="{retired}" selected>' in form
