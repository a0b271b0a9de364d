"""Runbook steps act as the execution's role: aws:executeAwsApi may do what the role's policies allow, and no more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runbook_support import create, reaches, steps

import support
from support import Account, Server, wait_until

ACCOUNT = support.test_account(4900)
RESOLVER = f"arn:aws:iam::{ACCOUNT.account_id}:role/Resolver"
READER = f"arn:aws:iam::{ACCOUNT.account_id}:role/Reader"
UNDECLARED = f"arn:aws:iam::{ACCOUNT.account_id}:role/NobodyDeclaredMe"
CONFIG = f"""
[[roles]]
arn = "{RESOLVER}"
policies = ["IncidentManagerResolverAccess"]

[[roles]]
arn = "{READER}"
policies = ["IncidentManagerReadOnlyAccess"]
"""
SUMMARISE = [
    {
        "name": "Summarise",
        "action": "aws:executeAwsApi",
        "inputs": {
            "Service": "ssm-incidents",
            "Api": "UpdateIncidentRecord",
            "arn": "{{ IncidentRecordArn }}",
            "summary": "written by the runbook",
        },
    }
]


@pytest.fixture(scope="module")
def roles_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that declares two roles with their policies."""
    # A database of its own: the session's server shares the suite's, and its worker (which knows none of this
    # config) would take this server's jobs as another node of one cluster would.
    running = Server(own_database, tmp_path_factory.mktemp("roles"), CONFIG).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def account(roles_server: Server) -> Account:
    """The onboarded account whose roles the config declares, with the runbook document."""
    incidents = roles_server.client(ACCOUNT)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    create(
        roles_server.client(ACCOUNT, "ssm"),
        "summarise",
        SUMMARISE,
        parameters={"IncidentRecordArn": {"type": "String"}, "AutomationAssumeRole": {"type": "String"}},
        assumeRole="{{ AutomationAssumeRole }}",
    )
    return ACCOUNT


def run_as(server: Server, account: Account, role: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    """Start an incident whose plan runs the runbook as the role; the incident and the ended execution."""
    incidents = server.client(account)
    name = role.rsplit("/", 1)[1].lower()
    plan = incidents.create_response_plan(
        name=name,
        incidentTemplate={"title": "Checkout is down", "impact": 2},
        actions=[
            {
                "ssmAutomation": {
                    "documentName": "summarise",
                    "roleArn": role,
                    "parameters": {"AutomationAssumeRole": [role]},
                    "dynamicParameters": {"IncidentRecordArn": {"variable": "INCIDENT_RECORD_ARN"}},
                }
            }
        ],
    )["arn"]
    incident = incidents.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    executions = wait_until(
        lambda: incidents.get_incident_record(arn=incident)["incidentRecord"]["automationExecutions"]
    )
    execution_id = executions[0]["ssmExecutionArn"].rsplit("/", 1)[1]
    return incident, reaches(server.client(account, "ssm"), execution_id)


def test_a_step_the_roles_policies_allow_runs(roles_server: Server, account: Account) -> None:
    incident, execution = run_as(roles_server, account, RESOLVER)

    assert steps(execution) == [("Summarise", "Success")]
    assert roles_server.client(account).get_incident_record(arn=incident)["incidentRecord"]["summary"] == (
        "written by the runbook"
    )


@pytest.mark.parametrize("role", [READER, UNDECLARED], ids=["role-without-the-action", "undeclared-role"])
def test_a_step_the_role_may_not_take_fails_with_access_denied(
    roles_server: Server, account: Account, role: str
) -> None:
    incident, execution = run_as(roles_server, account, role)

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert steps(execution) == [("Summarise", "Failed")]
    session = f"arn:aws:sts::{account.account_id}:assumed-role/{role.rsplit('/', 1)[1]}/incidentd-automation"
    assert execution["StepExecutions"][0]["FailureMessage"] == (
        f"AccessDeniedException: User: {session} is not authorized to perform: ssm-incidents:UpdateIncidentRecord "
        f"on resource: {incident} because no identity-based policy allows the ssm-incidents:UpdateIncidentRecord action"
    )
    assert "summary" not in roles_server.client(account).get_incident_record(arn=incident)["incidentRecord"]


def test_the_server_says_which_keys_keep_full_access(roles_server: Server) -> None:
    log = Path(roles_server.log.name).read_text()

    assert "access keys without policies have full access to their account" in log
    assert "no [[roles]] are declared" not in log
