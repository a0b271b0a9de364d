"""invoke, the one road of every action, called directly: checks, its own transaction or a savepoint, replay, who."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from incidentd.api.invoke import Invoker
from incidentd.auth.principals import Principal
from incidentd.clock import FakeClock
from incidentd.config import Settings
from incidentd.protocol import model
from incidentd.protocol.errors import ServiceError
from incidentd.store import incidents
from incidentd.store.db import Database

NOW_MS = 1_800_000_000_000
_accounts = itertools.count(300_000_000_001)


@dataclass
class Caller:
    """An onboarded account with a response plan named "plan", and the principal that calls as it."""

    invoker: Invoker
    principal: Principal

    def call(self, name: str, /, **params: Any) -> dict[str, Any]:
        """An ssm-incidents operation in a transaction of its own."""
        return self.invoker.invoke(model.INCIDENTS, name, params, self.principal, region="us-east-1")

    @property
    def plan(self) -> str:
        """The account's response plan."""
        return f"arn:aws:ssm-incidents::{self.principal.account_id}:response-plan/plan"


@pytest.fixture
def caller(own_database: str) -> Iterator[Caller]:
    """A fresh account on the module's database."""
    db = Database(own_database)
    found = Caller(Invoker(db, FakeClock(NOW_MS), Settings()), Principal.user(str(next(_accounts)), "responder"))
    found.call("CreateReplicationSet", regions={"us-east-1": {}})
    found.call("CreateResponsePlan", name="plan", incidentTemplate={"title": "Disk full", "impact": 3})
    yield found
    db.dispose()


def test_an_operation_runs_as_its_principal(caller: Caller) -> None:
    """The output is the model's, and the record names the principal invoke was given, at the clock's time."""
    arn = caller.call("StartIncident", responsePlanArn=caller.plan)["incidentRecordArn"]
    record = caller.call("GetIncidentRecord", arn=arn)["incidentRecord"]
    assert record["incidentRecordSource"]["createdBy"] == caller.principal.arn
    assert record["creationTime"] == NOW_MS / 1000


def test_input_is_checked_against_the_model_before_anything_runs(caller: Caller) -> None:
    """A bad input is the ValidationException a client would get; an unknown operation is refused by name."""
    with pytest.raises(ServiceError) as refused:
        caller.call("StartIncident", responsePlanArn=caller.plan, impact=9)
    assert refused.value.code == "ValidationException"
    assert "impact" in refused.value.message and "less than or equal to 5" in refused.value.message
    with pytest.raises(ServiceError, match="has no operation 'MakeCoffee'"):
        caller.call("MakeCoffee")
    assert caller.call("ListIncidentRecords")["incidentRecordSummaries"] == []


def test_a_client_token_replays_the_first_answer(caller: Caller) -> None:
    """The same token and input answer as the first call did; the token with other input is a ConflictException."""
    first = caller.call("StartIncident", responsePlanArn=caller.plan, clientToken="token-1")
    assert caller.call("StartIncident", responsePlanArn=caller.plan, clientToken="token-1") == first
    with pytest.raises(ServiceError) as refused:
        caller.call("StartIncident", responsePlanArn=caller.plan, clientToken="token-1", impact=1)
    assert refused.value.code == "ConflictException"
    assert len(caller.call("ListIncidentRecords")["incidentRecordSummaries"]) == 1


def test_in_a_given_transaction_a_failure_undoes_only_itself(caller: Caller) -> None:
    """With a connection, a failed operation leaves no half-done writes and the caller's own writes go on."""
    missing_plan = caller.plan.replace("/plan", "/missing")
    with caller.invoker.db.write() as conn:

        def in_transaction(name: str, **params: Any) -> dict[str, Any]:
            return caller.invoker.invoke(
                model.INCIDENTS, name, params, caller.principal, region="us-east-1", conn=conn, now_ms=NOW_MS
            )

        arn = in_transaction("StartIncident", responsePlanArn=caller.plan, title="kept")["incidentRecordArn"]
        # The client token is claimed (a row written) before the handler finds no plan: the claim is undone too.
        with pytest.raises(ServiceError) as refused:
            in_transaction("StartIncident", responsePlanArn=missing_plan, clientToken="token-2")
        assert refused.value.code == "ResourceNotFoundException"
    with caller.invoker.db.read() as conn:
        record = incidents.get(conn, caller.principal.account_id, arn)
    assert record is not None and record["title"] == "kept"
    # Had the claim stayed, the token with other input would now be a ConflictException.
    caller.call("StartIncident", responsePlanArn=caller.plan, clientToken="token-2")
    assert len(caller.call("ListIncidentRecords")["incidentRecordSummaries"]) == 2
