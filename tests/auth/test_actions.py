"""The action, resources and request tags each served operation is authorized with (auth/actions.py)."""

from __future__ import annotations

from typing import Any

import pytest

from incidentd.api import registry
from incidentd.auth import actions

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "eu-west-1"

PLAN = f"arn:aws:ssm-incidents::{ACCOUNT}:response-plan/db-outage"
INCIDENT = f"arn:aws:ssm-incidents::{ACCOUNT}:incident-record/db-outage/0190b2c4-8f5e-7d3a-9c1b-2e4f6a8b0c1d"
OTHER_PLAN = f"arn:aws:ssm-incidents::{OTHER}:response-plan/shared-plan"
OTHER_INCIDENT = f"arn:aws:ssm-incidents::{OTHER}:incident-record/shared-plan/0190b2c4-0000-7000-8000-000000000001"
CONTACT = f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:contact/akua"
OTHER_CONTACT = f"arn:aws:ssm-contacts:us-east-1:{OTHER}:contact/oncall"
ENGAGEMENT = f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:engagement/akua/9d4c0b4a-5a4f-4c7e-9d7b-6c0f1e2d3a4b"
PAGE = f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:page/akua/1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516"
CHANNEL = f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:contact-channel/akua/77e0a3f2-8b5c-4c1d-9e2f-0a1b2c3d4e5f"
ROTATION = f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:rotation/4f9a2c1e-3b6d-4e8f-a0b1-c2d3e4f5a6b7"
EXECUTION_ID = "5e3f1a2b-4c6d-4e8f-9a0b-1c2d3e4f5a6b"


def authorize(service: str, operation: str, params: dict[str, Any]) -> actions.Authorization:
    """The authorization for one call by the test account in the test region."""
    return actions.authorization_for(service, operation, params, account_id=ACCOUNT, region=REGION)


# --- Coverage ----------------------------------------------------------------------------------------------------


def test_every_served_operation_has_an_entry_and_every_entry_is_served() -> None:
    """The table and the registry name the same operations: a new handler without a row fails here."""
    assert actions.served() == frozenset(registry.load_all())


@pytest.mark.parametrize("key", sorted(registry.load_all()), ids=lambda key: f"{key[0]}.{key[1]}")
def test_every_action_is_named_after_its_operation(key: tuple[str, str]) -> None:
    """The reference names each of these actions service:Operation, and a call with no input still answers."""
    service, operation = key
    need = authorize(service, operation, {})
    assert need.action == f"{service}:{operation}"
    assert need.resources


@pytest.mark.parametrize(
    ("service", "operation"),
    [("ssm-incidents", "NoSuchOperation"), ("ssm", "SendCommand"), ("sts", "GetCallerIdentity")],
)
def test_an_operation_not_served_is_a_key_error(service: str, operation: str) -> None:
    """Nothing is authorized by default: an operation without a row is an error, not an empty answer."""
    with pytest.raises(KeyError):
        authorize(service, operation, {})


# --- Representative operations ------------------------------------------------------------------------------------

CASES: list[tuple[str, str, str, dict[str, Any], tuple[str, ...], dict[str, str] | None, tuple[str, ...] | None]] = [
    # (id, service, operation, params, resources, request_tags, tag_keys)
    ("start-incident", "ssm-incidents", "StartIncident", {"responsePlanArn": PLAN}, (PLAN,), None, None),
    (
        "start-incident-shared-plan",
        "ssm-incidents",
        "StartIncident",
        {"responsePlanArn": OTHER_PLAN, "title": "db down"},
        (OTHER_PLAN,),
        None,
        None,
    ),
    (
        "update-incident-record",
        "ssm-incidents",
        "UpdateIncidentRecord",
        {"arn": INCIDENT, "status": "RESOLVED"},
        (INCIDENT, PLAN),
        None,
        None,
    ),
    (
        "get-incident-record-shared",
        "ssm-incidents",
        "GetIncidentRecord",
        {"arn": OTHER_INCIDENT},
        (OTHER_INCIDENT, OTHER_PLAN),
        None,
        None,
    ),
    (
        "create-timeline-event",
        "ssm-incidents",
        "CreateTimelineEvent",
        {"incidentRecordArn": INCIDENT, "eventData": '"x"', "eventTime": 0, "eventType": "Custom Event"},
        (INCIDENT, PLAN),
        None,
        None,
    ),
    (
        "delete-timeline-event",
        "ssm-incidents",
        "DeleteTimelineEvent",
        {"incidentRecordArn": INCIDENT, "eventId": "e1"},
        (INCIDENT,),
        None,
        None,
    ),
    (
        "list-incident-findings",
        "ssm-incidents",
        "ListIncidentFindings",
        {"incidentRecordArn": INCIDENT},
        (INCIDENT, PLAN),
        None,
        None,
    ),
    ("list-incident-records", "ssm-incidents", "ListIncidentRecords", {"maxResults": 5}, ("*",), None, None),
    (
        "create-response-plan",
        "ssm-incidents",
        "CreateResponsePlan",
        {"name": "db-outage", "incidentTemplate": {"title": "db", "impact": 1}, "tags": {"team": "db"}},
        (PLAN,),
        {"team": "db"},
        ("team",),
    ),
    (
        "create-response-plan-untagged",
        "ssm-incidents",
        "CreateResponsePlan",
        {"name": "db-outage", "incidentTemplate": {"title": "db", "impact": 1}},
        (PLAN,),
        None,
        None,
    ),
    (
        "create-replication-set",
        "ssm-incidents",
        "CreateReplicationSet",
        {"regions": {REGION: {}}, "tags": {"env": "prod"}},
        ("*",),
        {"env": "prod"},
        ("env",),
    ),
    ("get-resource-policies", "ssm-incidents", "GetResourcePolicies", {"resourceArn": PLAN}, (PLAN,), None, None),
    (
        "tag-incident-resource",
        "ssm-incidents",
        "TagResource",
        {"resourceArn": PLAN, "tags": {"team": "db", "tier": ""}},
        (PLAN,),
        {"team": "db", "tier": ""},
        ("team", "tier"),
    ),
    (
        "untag-incident-resource",
        "ssm-incidents",
        "UntagResource",
        {"resourceArn": INCIDENT, "tagKeys": ["team", "tier"]},
        (INCIDENT,),
        None,
        ("team", "tier"),
    ),
    (
        "update-response-plan-template-tags",
        "ssm-incidents",
        "UpdateResponsePlan",
        {"arn": PLAN, "incidentTemplateTags": {"sev": "1"}},
        (PLAN,),
        {"sev": "1"},
        ("sev",),
    ),
    ("get-contact", "ssm-contacts", "GetContact", {"ContactId": CONTACT}, (CONTACT,), None, None),
    (
        "get-contact-of-another-account",
        "ssm-contacts",
        "GetContact",
        {"ContactId": OTHER_CONTACT},
        (OTHER_CONTACT,),
        None,
        None,
    ),
    (
        "create-contact",
        "ssm-contacts",
        "CreateContact",
        {"Alias": "akua", "Type": "PERSONAL", "Plan": {"Stages": []}, "Tags": [{"Key": "team", "Value": "db"}]},
        (CONTACT,),
        {"team": "db"},
        ("team",),
    ),
    (
        "create-rotation",
        "ssm-contacts",
        "CreateRotation",
        {"Name": "weekly", "ContactIds": [CONTACT], "TimeZoneId": "UTC", "Recurrence": {}},
        (f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:rotation/*",),
        None,
        None,
    ),
    (
        "create-rotation-override",
        "ssm-contacts",
        "CreateRotationOverride",
        {"RotationId": ROTATION, "NewContactIds": [CONTACT], "StartTime": 0, "EndTime": 1},
        (ROTATION,),
        None,
        None,
    ),
    (
        "list-preview-rotation-shifts",
        "ssm-contacts",
        "ListPreviewRotationShifts",
        {"EndTime": 1, "Members": ["akua"], "TimeZoneId": "UTC", "Recurrence": {}},
        ("*",),
        None,
        None,
    ),
    ("start-engagement", "ssm-contacts", "StartEngagement", {"ContactId": OTHER_CONTACT}, (OTHER_CONTACT,), None, None),
    ("stop-engagement", "ssm-contacts", "StopEngagement", {"EngagementId": ENGAGEMENT}, (ENGAGEMENT,), None, None),
    (
        "accept-page",
        "ssm-contacts",
        "AcceptPage",
        {"PageId": PAGE, "ContactChannelId": CHANNEL, "AcceptType": "READ", "AcceptCode": "123456"},
        (PAGE,),
        None,
        None,
    ),
    (
        "activate-contact-channel",
        "ssm-contacts",
        "ActivateContactChannel",
        {"ContactChannelId": CHANNEL, "ActivationCode": "123456"},
        (CHANNEL,),
        None,
        None,
    ),
    ("list-contacts", "ssm-contacts", "ListContacts", {}, ("*",), None, None),
    (
        "tag-contact",
        "ssm-contacts",
        "TagResource",
        {"ResourceARN": CONTACT, "Tags": [{"Key": "team", "Value": "db"}, {"Key": "tier", "Value": "1"}]},
        (CONTACT,),
        {"team": "db", "tier": "1"},
        ("team", "tier"),
    ),
    (
        "untag-rotation",
        "ssm-contacts",
        "UntagResource",
        {"ResourceARN": ROTATION, "TagKeys": ["team"]},
        (ROTATION,),
        None,
        ("team",),
    ),
    (
        "get-document",
        "ssm",
        "GetDocument",
        {"Name": "RestartWeb"},
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/RestartWeb",),
        None,
        None,
    ),
    (
        "get-amazon-document",
        "ssm",
        "GetDocument",
        {"Name": "AWSIncidents-CriticalIncidentRunbookTemplate"},
        (f"arn:aws:ssm:{REGION}::document/AWSIncidents-CriticalIncidentRunbookTemplate",),
        None,
        None,
    ),
    (
        "describe-shared-document",
        "ssm",
        "DescribeDocument",
        {"Name": f"arn:aws:ssm:{REGION}:{OTHER}:document/RestartWeb"},
        (f"arn:aws:ssm:{REGION}:{OTHER}:document/RestartWeb",),
        None,
        None,
    ),
    (
        "create-document",
        "ssm",
        "CreateDocument",
        {"Name": "RestartWeb", "Content": "{}", "Tags": [{"Key": "team", "Value": "web"}]},
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/RestartWeb",),
        {"team": "web"},
        ("team",),
    ),
    (
        "start-automation-execution",
        "ssm",
        "StartAutomationExecution",
        {"DocumentName": "RestartWeb"},
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/RestartWeb:$DEFAULT",),
        None,
        None,
    ),
    (
        "start-automation-execution-version",
        "ssm",
        "StartAutomationExecution",
        {"DocumentName": "RestartWeb", "DocumentVersion": "3", "Tags": [{"Key": "team", "Value": "web"}]},
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/RestartWeb:3",),
        {"team": "web"},
        ("team",),
    ),
    (
        "start-automation-execution-amazon",
        "ssm",
        "StartAutomationExecution",
        {"DocumentName": "AWSIncidents-CriticalIncidentRunbookTemplate"},
        (f"arn:aws:ssm:{REGION}::automation-definition/AWSIncidents-CriticalIncidentRunbookTemplate:$DEFAULT",),
        None,
        None,
    ),
    (
        "start-automation-execution-shared",
        "ssm",
        "StartAutomationExecution",
        {"DocumentName": f"arn:aws:ssm:{REGION}:{OTHER}:document/RestartWeb", "DocumentVersion": "$LATEST"},
        (f"arn:aws:ssm:{REGION}:{OTHER}:automation-definition/RestartWeb:$LATEST",),
        None,
        None,
    ),
    (
        "get-automation-execution",
        "ssm",
        "GetAutomationExecution",
        {"AutomationExecutionId": EXECUTION_ID},
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-execution/{EXECUTION_ID}",),
        None,
        None,
    ),
    ("describe-automation-executions", "ssm", "DescribeAutomationExecutions", {}, ("*",), None, None),
    ("list-documents", "ssm", "ListDocuments", {}, ("*",), None, None),
]


@pytest.mark.parametrize(
    ("service", "operation", "params", "resources", "request_tags", "tag_keys"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_authorization_of_representative_operations(
    service: str,
    operation: str,
    params: dict[str, Any],
    resources: tuple[str, ...],
    request_tags: dict[str, str] | None,
    tag_keys: tuple[str, ...] | None,
) -> None:
    """Each call is asked about the action, the ARNs and the tags the reference names for it."""
    assert authorize(service, operation, params) == actions.Authorization(
        f"{service}:{operation}", resources, request_tags, tag_keys
    )


def test_an_incident_arn_without_a_plan_segment_names_only_itself() -> None:
    """The plan is derived only from a well-formed incident-record/PLAN/ID; anything else is asked about as given."""
    odd = f"arn:aws:ssm-incidents::{ACCOUNT}:incident-record/lonely"
    assert authorize("ssm-incidents", "GetIncidentRecord", {"arn": odd}).resources == (odd,)


@pytest.mark.parametrize(
    ("operation", "member", "value", "expected"),
    [
        ("GetContact", "ContactId", "akua", CONTACT),
        ("GetRotation", "RotationId", "4f9a2c1e-3b6d-4e8f-a0b1-c2d3e4f5a6b7", ROTATION),
    ],
)
def test_an_ssm_contacts_id_that_is_not_an_arn_is_named_in_the_callers_account(
    operation: str, member: str, value: str, expected: str
) -> None:
    """ssm-contacts members take ARNs; a bare id is made into one of the caller's account and region."""
    assert authorize("ssm-contacts", operation, {member: value}).resources == (expected,)


# --- owner_account ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (OTHER_PLAN, OTHER),
        (PLAN, ACCOUNT),
        (OTHER_CONTACT, OTHER),
        (f"arn:aws:ssm:{REGION}::document/AWS-RestartEC2Instance", "999999999999"),
        ("*", "999999999999"),
        ("not-an-arn", "999999999999"),
        ("arn:aws:ssm", "999999999999"),
    ],
)
def test_owner_account(arn: str, expected: str) -> None:
    """The 5th field of an ARN; the default for "*", for an ARN without an account and for anything else."""
    assert actions.owner_account(arn, "999999999999") == expected


# --- Sharing -----------------------------------------------------------------------------------------------------


def test_sharable_actions_are_actions_of_the_table() -> None:
    """A shared plan or contact allows only actions incidentd authorizes, each on the shared resource's kind."""
    table = {authorize(service, operation, {}).action for service, operation in registry.load_all()}
    assert actions.SHARABLE_PLAN_ACTIONS <= table
    assert actions.SHARABLE_CONTACT_ACTIONS <= table
    assert all(action.startswith("ssm-incidents:") for action in actions.SHARABLE_PLAN_ACTIONS)
    assert all(action.startswith("ssm-contacts:") for action in actions.SHARABLE_CONTACT_ACTIONS)


def test_sharing_allows_the_response_actions_but_not_deletion_or_administration() -> None:
    """RAM's default permissions: responders' actions only, as Incident Manager's sharing policies list them."""
    assert len(actions.SHARABLE_PLAN_ACTIONS) == 10
    assert "ssm-incidents:StartIncident" in actions.SHARABLE_PLAN_ACTIONS
    assert "ssm-incidents:DeleteTimelineEvent" not in actions.SHARABLE_PLAN_ACTIONS
    assert "ssm-incidents:UpdateResponsePlan" not in actions.SHARABLE_PLAN_ACTIONS
    assert actions.SHARABLE_CONTACT_ACTIONS == {
        "ssm-contacts:GetContact",
        "ssm-contacts:StartEngagement",
        "ssm-contacts:DescribeEngagement",
        "ssm-contacts:ListPagesByEngagement",
        "ssm-contacts:StopEngagement",
    }


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("ssm-incidents", "GetResponsePlan", {"arn": "arn:aws:ssm-incidents::111122223333:response-plan/p"}, False),
        ("ssm-incidents", "GetResponsePlan", {"arn": "arn:aws:ssm-incidents::444455556666:response-plan/p"}, True),
        ("ssm-incidents", "ListIncidentRecords", {}, False),
        ("ssm-contacts", "GetContact", {"ContactId": "arn:aws:ssm-contacts:us-east-1:444455556666:contact/a"}, True),
        ("ssm", "GetDocument", {"Name": "runbook"}, False),
    ],
    ids=["own-plan", "other-accounts-plan", "listing", "other-accounts-contact", "name-not-arn"],
)
def test_a_call_names_another_account_only_through_an_arn_of_it(
    service: str, operation: str, params: dict[str, str], expected: bool
) -> None:
    assert actions.names_other_account(service, operation, params, "111122223333") is expected
