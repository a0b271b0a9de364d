"""Authorization inside invoke: each call is allowed or refused by its principal's policies before the handler runs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from incidentd.api.invoke import Invoker
from incidentd.auth import builtin
from incidentd.auth.policy import Policy, parse
from incidentd.auth.principals import Principal
from incidentd.clock import FakeClock
from incidentd.config import Settings
from incidentd.config.access import AccessSettings
from incidentd.protocol import model
from incidentd.protocol.errors import ServiceError
from incidentd.store.db import Database

NOW_MS = 1_800_000_000_000
_accounts = itertools.count(310_000_000_001)


def policy(*statements: dict[str, Any]) -> Policy:
    return parse({"Version": "2012-10-17", "Statement": list(statements)}, "test")


class Account:
    """An onboarded account with two plans, "payments" (tagged team=payments) and "search"; its owner calls freely."""

    def __init__(self, invoker: Invoker) -> None:
        self.invoker = invoker
        self.id = str(next(_accounts))
        self.owner = Principal.user(self.id, "owner")
        self.call(self.owner, "CreateReplicationSet", regions={"us-east-1": {}})
        for name in ("payments", "search"):
            self.call(self.owner, "CreateResponsePlan", name=name, incidentTemplate={"title": name, "impact": 3})
        self.call(self.owner, "TagResource", resourceArn=self.plan("payments"), tags={"team": "payments"})

    def plan(self, name: str) -> str:
        return f"arn:aws:ssm-incidents::{self.id}:response-plan/{name}"

    def user(self, *policies: Policy) -> Principal:
        return Principal.user(self.id, "responder", policies)

    def call(self, principal: Principal, name: str, /, **params: Any) -> dict[str, Any]:
        return self.invoker.invoke(model.INCIDENTS, name, params, principal, region="us-east-1")

    def refusal(self, principal: Principal, name: str, /, **params: Any) -> ServiceError:
        with pytest.raises(ServiceError) as refused:
            self.call(principal, name, **params)
        return refused.value


@pytest.fixture
def account(own_database: str) -> Iterator[Account]:
    db = Database(own_database)
    yield Account(Invoker(db, FakeClock(NOW_MS), Settings()))
    db.dispose()


def test_an_action_no_policy_allows_is_refused_in_aws_words_and_changes_nothing(account: Account) -> None:
    reader = account.user(builtin.policy("IncidentManagerReadOnlyAccess"))

    error = account.refusal(reader, "DeleteResponsePlan", arn=account.plan("search"))

    assert error.code == "AccessDeniedException"
    assert error.message == (
        f"User: arn:aws:iam::{account.id}:user/responder is not authorized to perform: "
        f"ssm-incidents:DeleteResponsePlan on resource: {account.plan('search')} "
        "because no identity-based policy allows the ssm-incidents:DeleteResponsePlan action"
    )
    assert account.call(reader, "GetResponsePlan", arn=account.plan("search"))["name"] == "search"


def test_an_explicit_deny_wins_over_an_allow_and_says_so(account: Account) -> None:
    user = account.user(
        builtin.policy("IncidentManagerFullAccess"),
        policy({"Effect": "Deny", "Action": "ssm-incidents:StartIncident", "Resource": account.plan("payments")}),
    )

    error = account.refusal(user, "StartIncident", responsePlanArn=account.plan("payments"))

    assert error.message.endswith("with an explicit deny in an identity-based policy")
    assert "incidentRecordArn" in account.call(user, "StartIncident", responsePlanArn=account.plan("search"))
    listed = account.call(account.owner, "ListIncidentRecords")["incidentRecordSummaries"]
    assert [summary["title"] for summary in listed] == ["search"]


def test_a_resource_tag_condition_reads_the_resources_tags(account: Account) -> None:
    user = account.user(
        policy(
            {
                "Effect": "Allow",
                "Action": "ssm-incidents:GetResponsePlan",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Team": "payments"}},  # tag keys ignore case
            }
        )
    )

    assert account.call(user, "GetResponsePlan", arn=account.plan("payments"))["name"] == "payments"
    assert account.refusal(user, "GetResponsePlan", arn=account.plan("search")).code == "AccessDeniedException"


def test_request_tag_conditions_bound_what_a_caller_may_tag(account: Account) -> None:
    user = account.user(
        policy(
            {
                "Effect": "Allow",
                "Action": "ssm-incidents:TagResource",
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "tier"]},
                    "StringNotEquals": {"aws:RequestTag/tier": "critical"},
                },
            }
        )
    )
    plan = account.plan("search")

    account.call(user, "TagResource", resourceArn=plan, tags={"team": "search", "tier": "low"})
    assert account.refusal(user, "TagResource", resourceArn=plan, tags={"owner": "me"}).code == "AccessDeniedException"
    assert account.refusal(user, "TagResource", resourceArn=plan, tags={"tier": "critical"}).code == (
        "AccessDeniedException"
    )
    tags = account.call(account.owner, "ListTagsForResource", resourceArn=plan)["tags"]
    assert tags == {"team": "search", "tier": "low"}


def test_a_listing_needs_an_allow_on_every_resource(account: Account) -> None:
    only_payments = account.user(
        policy({"Effect": "Allow", "Action": "ssm-incidents:*", "Resource": f"{account.plan('payments')}*"})
    )

    assert account.call(only_payments, "GetResponsePlan", arn=account.plan("payments"))["name"] == "payments"
    error = account.refusal(only_payments, "ListResponsePlans")
    assert "on resource: * because no identity-based policy allows" in error.message


def test_a_refused_call_inside_a_callers_transaction_leaves_it_going_on(account: Account) -> None:
    reader = account.user(builtin.policy("IncidentManagerReadOnlyAccess"))
    invoker = account.invoker

    with invoker.db.write() as conn:
        invoker.invoke(
            model.INCIDENTS, "UpdateResponsePlan", {"arn": account.plan("search"), "displayName": "Search"},
            account.owner, region="us-east-1", conn=conn,
        )  # fmt: skip
        with pytest.raises(ServiceError):
            invoker.invoke(
                model.INCIDENTS, "DeleteResponsePlan", {"arn": account.plan("search")}, reader,
                region="us-east-1", conn=conn,
            )  # fmt: skip

    assert account.call(account.owner, "GetResponsePlan", arn=account.plan("search"))["displayName"] == "Search"


def test_secure_transport_is_what_the_config_declares(own_database: str) -> None:
    db = Database(own_database)
    try:
        account = Account(Invoker(db, FakeClock(NOW_MS), Settings()))
        tls_only = policy(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        )
        user = account.user(tls_only)
        assert account.refusal(user, "ListResponsePlans").message.endswith(
            "with an explicit deny in an identity-based policy"
        )
        behind_tls = Settings(access=AccessSettings(secure_transport=True))
        account.invoker = Invoker(db, FakeClock(NOW_MS), behind_tls)
        assert len(account.call(user, "ListResponsePlans")["responsePlanSummaries"]) == 2
    finally:
        db.dispose()


def test_the_json_services_are_authorized_too(account: Account) -> None:
    reader = account.user(builtin.policy("IncidentManagerIngestAccess"))

    with pytest.raises(ServiceError) as refused:
        account.invoker.invoke(model.CONTACTS, "ListContacts", {}, reader, region="us-east-1")

    assert refused.value.code == "AccessDeniedException"
    assert "ssm-contacts:ListContacts on resource: *" in refused.value.message
    document = json.loads(builtin.text("IncidentManagerIngestAccess"))
    assert document["Version"] == "2012-10-17"
