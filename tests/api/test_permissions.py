"""Each built-in policy allows exactly the operations its document names, through real boto3 clients and servers."""

from __future__ import annotations

import datetime
import fnmatch
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from incidentd.api import registry
from incidentd.auth import builtin
from support import (
    Account,
    Server,
    create_postgres_database,
    drop_postgres_database,
    sharing_policy,
    status_of,
    wait_until,
)

INCIDENTS, CONTACTS, SSM = "ssm-incidents", "ssm-contacts", "ssm"
SERVICES = (INCIDENTS, CONTACTS, SSM)
DATABASES = os.environ.get("INCIDENTD_TEST_DATABASES", "sqlite,postgresql").split(",")
# One server per database kind holds a key per built-in policy and an owner key with no policies, all of one
# account: the owner makes the resources that every other key's calls name.
ACCOUNT = "123456789012"
REGION = "us-east-1"  # support.Server.client signs for it

OWNER = Account("AKIDPERMOWNER0000001", "secret-owner", ACCOUNT)
# Built-in policy -> (short name for test ids, IAM user, key).
KEYS: dict[str, tuple[str, str, Account]] = {
    name: (short, user, Account(f"AKIDPERM{user.upper()}", f"secret-{user}", ACCOUNT))
    for name, short, user in (
        ("IncidentManagerFullAccess", "Full", "full"),
        ("IncidentManagerResolverAccess", "Resolver", "resolver"),
        ("IncidentManagerReadOnlyAccess", "ReadOnly", "reader"),
        ("IncidentManagerResponderAccess", "Responder", "responder"),
        ("IncidentManagerIngestAccess", "Ingest", "ingest"),
    )
}


def credential(key: Account, user: str, policy: str | None) -> str:
    """One [[credentials]] entry; no policy means the key keeps full access to its account."""
    policies = f'policies = ["{policy}"]\n' if policy else ""
    return (
        f'\n[[credentials]]\naccess_key_id = "{key.access_key_id}"\nsecret_access_key = "{key.secret_access_key}"\n'
        f'account_id = "{key.account_id}"\nuser = "{user}"\n{policies}'
    )


# Replication sets settle in 0.2 s so that setting up takes no time.
CONFIG = "[replication]\nsettle_seconds = 0.2\n" + "".join(
    [credential(OWNER, "owner", None), *(credential(key, user, name) for name, (_, user, key) in KEYS.items())]
)


def user_arn(user: str) -> str:
    """The IAM user a key signs as."""
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


# --- The operations, from the models ------------------------------------------------------------------------


def model_operations() -> list[tuple[str, str]]:
    """Every operation of ssm-incidents' and ssm-contacts' models, and the slice of ssm's that incidentd serves."""
    # A new botocore operation of the first two, or a new ssm handler, joins the list and needs a row in TABLE.
    session = botocore.session.get_session()
    served = registry.load_all()
    return [
        (service, name)
        for service in SERVICES
        for name in session.get_service_model(service).operation_names
        if service != SSM or (service, name) in served
    ]


OPERATIONS = model_operations()


# --- The oracle: the built-in documents read with fnmatch ---------------------------------------------------


def statements(policy: str) -> list[dict[str, Any]]:
    """A built-in document's statements."""
    found = builtin.DOCUMENTS[policy]["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def allows(policy: str, action: str) -> bool:
    """Whether the built-in document allows an action: some statement's Action pattern matches it, ignoring case."""
    # Read apart from incidentd's evaluator, and sound only while every statement is an Allow on "*"
    # (test_every_built_in_statement_allows_on_every_resource).
    patterns = [p for s in statements(policy) for p in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def denial(user: str, action: str, resource: str) -> str:
    """IAM's words for an implicit deny."""
    return (
        f"User: {user_arn(user)} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


# --- The owner's resources ----------------------------------------------------------------------------------

NOW = datetime.datetime.now(datetime.UTC)
# Overrides must start in the future: a whole hour of the next day, however long the tests take.
TOMORROW = (NOW + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
HOUR = datetime.timedelta(hours=1)
DAILY = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}
MESSAGE = {"Sender": "ops-bot", "Subject": "Checkout is failing", "Content": "Error rate 37% on checkout-api"}
RUNBOOK = """\
description: {description}
schemaVersion: '0.3'
mainSteps:
  - name: Wait
    action: aws:pause
    inputs: {{}}
"""
_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no earlier call used."""
    return f"{prefix}-{next(_names)}"


@dataclass
class Resources:
    """What the owner made, and throwaways it makes on demand for calls that destroy what they name."""

    server: Server
    incidents: Any = None
    contacts: Any = None
    ssm: Any = None
    replication_set: str = ""
    plan: str = ""
    incident: str = ""
    event_id: str = ""
    contact: str = ""
    channel: str = ""
    engagement: str = ""
    page: str = ""
    rotation: str = ""
    override: str = ""
    document: str = ""
    execution: str = ""

    def set_up(self) -> Resources:
        """One of everything, made by the owner."""
        self.incidents = self.server.client(OWNER)
        self.contacts = self.server.client(OWNER, CONTACTS)
        self.ssm = self.server.client(OWNER, SSM)
        self.replication_set = self.incidents.create_replication_set(regions={REGION: {}})["arn"]
        wait_until(
            lambda: self.incidents.get_replication_set(arn=self.replication_set)["replicationSet"]["status"] == "ACTIVE"
        )
        # Protected, an allowed DeleteReplicationSet is refused instead of deleting the account's data.
        self.incidents.update_deletion_protection(arn=self.replication_set, deletionProtected=True)
        self.plan = self.fresh_plan()
        self.incident = self.fresh_incident()
        self.event_id = self.fresh_event()
        self.contact = self.fresh_contact()
        self.channel = self.fresh_channel()
        self.engagement = self.fresh_engagement()
        self.page = self.contacts.list_pages_by_engagement(EngagementId=self.engagement)["Pages"][0]["PageArn"]
        self.rotation = self.fresh_rotation()
        self.override = self.fresh_override()
        self.document = self.fresh_document()
        self.execution = self.fresh_execution()
        return self

    def fresh_plan(self) -> str:
        return str(
            self.incidents.create_response_plan(
                name=unique("plan"), displayName="Checkout", incidentTemplate={"title": "Checkout down", "impact": 3}
            )["arn"]
        )

    def fresh_incident(self) -> str:
        return str(self.incidents.start_incident(responsePlanArn=self.plan)["incidentRecordArn"])

    def fresh_event(self) -> str:
        return str(
            self.incidents.create_timeline_event(
                incidentRecordArn=self.incident, eventTime=NOW, eventType="Custom Event", eventData='"owner"'
            )["eventId"]
        )

    def fresh_policy(self) -> str:
        return str(
            self.incidents.put_resource_policy(resourceArn=self.plan, policy=sharing_policy(self.plan))["policyId"]
        )

    def fresh_contact(self) -> str:
        return str(
            self.contacts.create_contact(Alias=unique("oncall"), Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        )

    def fresh_channel(self) -> str:
        return str(
            self.contacts.create_contact_channel(
                ContactId=self.contact,
                Name=unique("mail"),
                Type="EMAIL",
                DeliveryAddress={"SimpleAddress": "oncall@example.com"},
                DeferActivation=True,
            )["ContactChannelArn"]
        )

    def fresh_engagement(self) -> str:
        return str(self.contacts.start_engagement(ContactId=self.contact, **MESSAGE)["EngagementArn"])

    def fresh_rotation(self) -> str:
        return str(
            self.contacts.create_rotation(
                Name=unique("rotation"), ContactIds=[self.contact], TimeZoneId="UTC", Recurrence=DAILY
            )["RotationArn"]
        )

    def fresh_override(self) -> str:
        return str(
            self.contacts.create_rotation_override(
                RotationId=self.rotation, NewContactIds=[self.contact], StartTime=TOMORROW, EndTime=TOMORROW + HOUR
            )["RotationOverrideId"]
        )

    def fresh_document(self) -> str:
        name = unique("runbook")
        self.ssm.create_document(
            Name=name, Content=RUNBOOK.format(description=name), DocumentType="Automation", DocumentFormat="YAML"
        )
        return name

    def fresh_execution(self) -> str:
        return str(self.ssm.start_automation_execution(DocumentName=self.document)["AutomationExecutionId"])


# --- One valid call of every operation ----------------------------------------------------------------------


class Request(NamedTuple):
    """An operation's input, and the resource IAM is asked about: what a refusal names."""

    params: dict[str, Any]
    resource: str = "*"  # AWS's Service Authorization Reference gives the operation no resource type


def plan_arn(name: str) -> str:
    return f"arn:aws:ssm-incidents::{ACCOUNT}:response-plan/{name}"


def contacts_arn(kind: str, name: str) -> str:
    return f"arn:aws:ssm-contacts:{REGION}:{ACCOUNT}:{kind}/{name}"


def ssm_arn(kind: str, name: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:{kind}/{name}"


def related_item() -> dict[str, Any]:
    return {"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": f"https://{unique('doc')}.example"}}}}


LATER = {"StartTime": TOMORROW, "EndTime": TOMORROW + 2 * HOUR}
EMPTY_POLICY = '{"Version": "2012-10-17", "Statement": []}'
# Calls that delete or stop what they name get a throwaway of their own (r.fresh_*), so that whichever keys run
# them, in whatever order, the shared resources stay for every other call. Inputs pass the models' checks: those
# run before authorization, and a ValidationException would hide the decision.
TABLE: dict[tuple[str, str], Callable[[Resources], Request]] = {
    # ssm-incidents
    (INCIDENTS, "BatchGetIncidentFindings"): lambda r: Request(
        {"incidentRecordArn": r.incident, "findingIds": ["finding-1"]}, r.incident
    ),
    # An account has one replication set: an allowed call exceeds the quota.
    (INCIDENTS, "CreateReplicationSet"): lambda r: Request({"regions": {REGION: {}}}),
    (INCIDENTS, "CreateResponsePlan"): lambda r: Request(
        {"name": (name := unique("plan")), "incidentTemplate": {"title": "New plan", "impact": 4}}, plan_arn(name)
    ),
    (INCIDENTS, "CreateTimelineEvent"): lambda r: Request(
        {"incidentRecordArn": r.incident, "eventTime": NOW, "eventType": "Custom Event", "eventData": '"note"'},
        r.incident,
    ),
    (INCIDENTS, "DeleteIncidentRecord"): lambda r: Request({"arn": (arn := r.fresh_incident())}, arn),
    # Deletion protection turns an allowed call into a refusal (Resources.set_up).
    (INCIDENTS, "DeleteReplicationSet"): lambda r: Request({"arn": r.replication_set}, r.replication_set),
    (INCIDENTS, "DeleteResourcePolicy"): lambda r: Request(
        {"resourceArn": r.plan, "policyId": r.fresh_policy()}, r.plan
    ),
    (INCIDENTS, "DeleteResponsePlan"): lambda r: Request({"arn": (arn := r.fresh_plan())}, arn),
    (INCIDENTS, "DeleteTimelineEvent"): lambda r: Request(
        {"incidentRecordArn": r.incident, "eventId": r.fresh_event()}, r.incident
    ),
    (INCIDENTS, "GetIncidentRecord"): lambda r: Request({"arn": r.incident}, r.incident),
    (INCIDENTS, "GetReplicationSet"): lambda r: Request({"arn": r.replication_set}, r.replication_set),
    (INCIDENTS, "GetResourcePolicies"): lambda r: Request({"resourceArn": r.plan}, r.plan),
    (INCIDENTS, "GetResponsePlan"): lambda r: Request({"arn": r.plan}, r.plan),
    (INCIDENTS, "GetTimelineEvent"): lambda r: Request(
        {"incidentRecordArn": r.incident, "eventId": r.event_id}, r.incident
    ),
    (INCIDENTS, "ListIncidentFindings"): lambda r: Request({"incidentRecordArn": r.incident}, r.incident),
    (INCIDENTS, "ListIncidentRecords"): lambda r: Request({}),
    (INCIDENTS, "ListRelatedItems"): lambda r: Request({"incidentRecordArn": r.incident}, r.incident),
    (INCIDENTS, "ListReplicationSets"): lambda r: Request({}),
    (INCIDENTS, "ListResponsePlans"): lambda r: Request({}),
    (INCIDENTS, "ListTagsForResource"): lambda r: Request({"resourceArn": r.plan}, r.plan),
    (INCIDENTS, "ListTimelineEvents"): lambda r: Request({"incidentRecordArn": r.incident}, r.incident),
    (INCIDENTS, "PutResourcePolicy"): lambda r: Request(
        {"resourceArn": r.plan, "policy": sharing_policy(r.plan)}, r.plan
    ),
    (INCIDENTS, "StartIncident"): lambda r: Request({"responsePlanArn": r.plan}, r.plan),
    (INCIDENTS, "TagResource"): lambda r: Request({"resourceArn": r.plan, "tags": {"team": unique("team")}}, r.plan),
    (INCIDENTS, "UntagResource"): lambda r: Request({"resourceArn": r.plan, "tagKeys": ["team"]}, r.plan),
    (INCIDENTS, "UpdateDeletionProtection"): lambda r: Request(
        {"arn": r.replication_set, "deletionProtected": True}, r.replication_set
    ),
    (INCIDENTS, "UpdateIncidentRecord"): lambda r: Request(
        {"arn": r.incident, "title": unique("retitled")}, r.incident
    ),
    (INCIDENTS, "UpdateRelatedItems"): lambda r: Request(
        {"incidentRecordArn": r.incident, "relatedItemsUpdate": related_item()}, r.incident
    ),
    # The set's only region can't be removed: an allowed call is refused and changes nothing.
    (INCIDENTS, "UpdateReplicationSet"): lambda r: Request(
        {"arn": r.replication_set, "actions": [{"deleteRegionAction": {"regionName": REGION}}]}, r.replication_set
    ),
    (INCIDENTS, "UpdateResponsePlan"): lambda r: Request({"arn": r.plan, "displayName": unique("renamed")}, r.plan),
    (INCIDENTS, "UpdateTimelineEvent"): lambda r: Request(
        {"incidentRecordArn": r.incident, "eventId": r.event_id, "eventData": '"edited"'}, r.incident
    ),
    # ssm-contacts; ids are given as ARNs, which is what IAM is asked about.
    # Neither code is the one that was sent: an allowed call is refused and changes nothing.
    (CONTACTS, "AcceptPage"): lambda r: Request(
        {"PageId": r.page, "AcceptType": "READ", "AcceptCode": "000000"}, r.page
    ),
    (CONTACTS, "ActivateContactChannel"): lambda r: Request(
        {"ContactChannelId": r.channel, "ActivationCode": "000000"}, r.channel
    ),
    (CONTACTS, "CreateContact"): lambda r: Request(
        {"Alias": (alias := unique("oncall")), "Type": "PERSONAL", "Plan": {"Stages": []}},
        contacts_arn("contact", alias),
    ),
    (CONTACTS, "CreateContactChannel"): lambda r: Request(
        {
            "ContactId": r.contact,
            "Name": unique("sms"),
            "Type": "SMS",
            "DeliveryAddress": {"SimpleAddress": "+15555550100"},
            "DeferActivation": True,
        },
        r.contact,
    ),
    # A new rotation's id is made when it is created: every rotation of the account stands in for it.
    (CONTACTS, "CreateRotation"): lambda r: Request(
        {"Name": unique("rotation"), "ContactIds": [r.contact], "TimeZoneId": "UTC", "Recurrence": DAILY},
        contacts_arn("rotation", "*"),
    ),
    (CONTACTS, "CreateRotationOverride"): lambda r: Request(
        {"RotationId": r.rotation, "NewContactIds": [r.contact], **LATER}, r.rotation
    ),
    (CONTACTS, "DeactivateContactChannel"): lambda r: Request({"ContactChannelId": r.channel}, r.channel),
    (CONTACTS, "DeleteContact"): lambda r: Request({"ContactId": (arn := r.fresh_contact())}, arn),
    (CONTACTS, "DeleteContactChannel"): lambda r: Request({"ContactChannelId": (arn := r.fresh_channel())}, arn),
    (CONTACTS, "DeleteRotation"): lambda r: Request({"RotationId": (arn := r.fresh_rotation())}, arn),
    (CONTACTS, "DeleteRotationOverride"): lambda r: Request(
        {"RotationId": r.rotation, "RotationOverrideId": r.fresh_override()}, r.rotation
    ),
    (CONTACTS, "DescribeEngagement"): lambda r: Request({"EngagementId": r.engagement}, r.engagement),
    (CONTACTS, "DescribePage"): lambda r: Request({"PageId": r.page}, r.page),
    (CONTACTS, "GetContact"): lambda r: Request({"ContactId": r.contact}, r.contact),
    (CONTACTS, "GetContactChannel"): lambda r: Request({"ContactChannelId": r.channel}, r.channel),
    (CONTACTS, "GetContactPolicy"): lambda r: Request({"ContactArn": r.contact}, r.contact),
    (CONTACTS, "GetRotation"): lambda r: Request({"RotationId": r.rotation}, r.rotation),
    (CONTACTS, "GetRotationOverride"): lambda r: Request(
        {"RotationId": r.rotation, "RotationOverrideId": r.override}, r.rotation
    ),
    (CONTACTS, "ListContactChannels"): lambda r: Request({"ContactId": r.contact}, r.contact),
    (CONTACTS, "ListContacts"): lambda r: Request({}),
    (CONTACTS, "ListEngagements"): lambda r: Request({}),
    (CONTACTS, "ListPageReceipts"): lambda r: Request({"PageId": r.page}, r.page),
    (CONTACTS, "ListPageResolutions"): lambda r: Request({"PageId": r.page}, r.page),
    (CONTACTS, "ListPagesByContact"): lambda r: Request({"ContactId": r.contact}, r.contact),
    (CONTACTS, "ListPagesByEngagement"): lambda r: Request({"EngagementId": r.engagement}, r.engagement),
    (CONTACTS, "ListPreviewRotationShifts"): lambda r: Request(
        {"EndTime": TOMORROW + 2 * HOUR, "Members": [r.contact], "TimeZoneId": "UTC", "Recurrence": DAILY}
    ),
    (CONTACTS, "ListRotationOverrides"): lambda r: Request({"RotationId": r.rotation, **LATER}, r.rotation),
    (CONTACTS, "ListRotationShifts"): lambda r: Request(
        {"RotationId": r.rotation, "EndTime": TOMORROW + 2 * HOUR}, r.rotation
    ),
    (CONTACTS, "ListRotations"): lambda r: Request({}),
    (CONTACTS, "ListTagsForResource"): lambda r: Request({"ResourceARN": r.contact}, r.contact),
    (CONTACTS, "PutContactPolicy"): lambda r: Request({"ContactArn": r.contact, "Policy": EMPTY_POLICY}, r.contact),
    (CONTACTS, "SendActivationCode"): lambda r: Request({"ContactChannelId": r.channel}, r.channel),
    (CONTACTS, "StartEngagement"): lambda r: Request({"ContactId": r.contact, **MESSAGE}, r.contact),
    (CONTACTS, "StopEngagement"): lambda r: Request({"EngagementId": (arn := r.fresh_engagement())}, arn),
    (CONTACTS, "TagResource"): lambda r: Request(
        {"ResourceARN": r.contact, "Tags": [{"Key": "team", "Value": unique("team")}]}, r.contact
    ),
    (CONTACTS, "UntagResource"): lambda r: Request({"ResourceARN": r.contact, "TagKeys": ["team"]}, r.contact),
    (CONTACTS, "UpdateContact"): lambda r: Request(
        {"ContactId": r.contact, "DisplayName": unique("renamed")}, r.contact
    ),
    (CONTACTS, "UpdateContactChannel"): lambda r: Request(
        {"ContactChannelId": r.channel, "Name": unique("mail")}, r.channel
    ),
    (CONTACTS, "UpdateRotation"): lambda r: Request({"RotationId": r.rotation, "Recurrence": DAILY}, r.rotation),
    # ssm: documents are named by name, executions by id; IAM is asked about their ARNs.
    (SSM, "CreateDocument"): lambda r: Request(
        {
            "Name": (name := unique("runbook")),
            "Content": RUNBOOK.format(description=name),
            "DocumentType": "Automation",
        },
        ssm_arn("document", name),
    ),
    (SSM, "DeleteDocument"): lambda r: Request({"Name": (name := r.fresh_document())}, ssm_arn("document", name)),
    (SSM, "DescribeAutomationExecutions"): lambda r: Request({}),
    (SSM, "DescribeAutomationStepExecutions"): lambda r: Request(
        {"AutomationExecutionId": r.execution}, ssm_arn("automation-execution", r.execution)
    ),
    (SSM, "DescribeDocument"): lambda r: Request({"Name": r.document}, ssm_arn("document", r.document)),
    (SSM, "GetAutomationExecution"): lambda r: Request(
        {"AutomationExecutionId": r.execution}, ssm_arn("automation-execution", r.execution)
    ),
    (SSM, "GetDocument"): lambda r: Request({"Name": r.document}, ssm_arn("document", r.document)),
    (SSM, "ListDocumentVersions"): lambda r: Request({"Name": r.document}, ssm_arn("document", r.document)),
    (SSM, "ListDocuments"): lambda r: Request({}),
    (SSM, "SendAutomationSignal"): lambda r: Request(
        {"AutomationExecutionId": r.execution, "SignalType": "Resume"}, ssm_arn("automation-execution", r.execution)
    ),
    # AWS asks about the version of the runbook that would run: the execution doesn't exist yet.
    (SSM, "StartAutomationExecution"): lambda r: Request(
        {"DocumentName": r.document}, ssm_arn("automation-definition", f"{r.document}:$DEFAULT")
    ),
    (SSM, "StopAutomationExecution"): lambda r: Request(
        {"AutomationExecutionId": (run := r.fresh_execution())}, ssm_arn("automation-execution", run)
    ),
    (SSM, "UpdateDocument"): lambda r: Request(
        {"Name": r.document, "Content": RUNBOOK.format(description=unique("v")), "DocumentVersion": "$LATEST"},
        ssm_arn("document", r.document),
    ),
    (SSM, "UpdateDocumentDefaultVersion"): lambda r: Request(
        {"Name": r.document, "DocumentVersion": "1"}, ssm_arn("document", r.document)
    ),
}


# --- What a refused write must leave as it was ----------------------------------------------------------------


def error_code(call: Callable[..., Any], **params: Any) -> str | None:
    """The error code of a call, None when it succeeds."""
    try:
        call(**params)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def counted(client: Any, operation: str, key: str, **params: Any) -> int:
    """How many items every page of a listing holds."""
    return sum(len(page[key]) for page in client.get_paginator(operation).paginate(**params))


# The owner's read of what a few representative writes would change, made before and after a refused call.
WATCHES: dict[tuple[str, str], Callable[[Resources, dict[str, Any]], Any]] = {
    (INCIDENTS, "CreateResponsePlan"): lambda r, p: error_code(r.incidents.get_response_plan, arn=plan_arn(p["name"])),
    (INCIDENTS, "DeleteReplicationSet"): lambda r, p: r.incidents.get_replication_set(arn=p["arn"])["replicationSet"][
        "status"
    ],
    (INCIDENTS, "DeleteResponsePlan"): lambda r, p: r.incidents.get_response_plan(arn=p["arn"])["name"],
    (INCIDENTS, "DeleteTimelineEvent"): lambda r, p: r.incidents.get_timeline_event(**p)["event"]["eventId"],
    (INCIDENTS, "StartIncident"): lambda r, p: counted(r.incidents, "list_incident_records", "incidentRecordSummaries"),
    (INCIDENTS, "TagResource"): lambda r, p: r.incidents.list_tags_for_resource(resourceArn=p["resourceArn"])["tags"],
    (INCIDENTS, "UpdateIncidentRecord"): lambda r, p: r.incidents.get_incident_record(arn=p["arn"])["incidentRecord"][
        "title"
    ],
    (INCIDENTS, "UpdateResponsePlan"): lambda r, p: r.incidents.get_response_plan(arn=p["arn"]).get("displayName"),
    (CONTACTS, "CreateContact"): lambda r, p: error_code(
        r.contacts.get_contact, ContactId=contacts_arn("contact", p["Alias"])
    ),
    (CONTACTS, "DeleteContact"): lambda r, p: r.contacts.get_contact(ContactId=p["ContactId"])["Alias"],
    (CONTACTS, "DeleteRotation"): lambda r, p: r.contacts.get_rotation(RotationId=p["RotationId"])["Name"],
    (CONTACTS, "StartEngagement"): lambda r, p: counted(r.contacts, "list_engagements", "Engagements"),
    (CONTACTS, "StopEngagement"): lambda r, p: "StopTime" in r.contacts.describe_engagement(**p),
    (CONTACTS, "UpdateContact"): lambda r, p: r.contacts.get_contact(ContactId=p["ContactId"]).get("DisplayName"),
    (SSM, "CreateDocument"): lambda r, p: error_code(r.ssm.describe_document, Name=p["Name"]),
    (SSM, "DeleteDocument"): lambda r, p: r.ssm.describe_document(Name=p["Name"])["Document"]["Name"],
    (SSM, "StopAutomationExecution"): lambda r, p: (
        r.ssm.get_automation_execution(**p)["AutomationExecution"]["AutomationExecutionStatus"]
        in ("Cancelling", "Cancelled")
    ),
    (SSM, "UpdateDocument"): lambda r, p: r.ssm.describe_document(Name=p["Name"])["Document"]["LatestVersion"],
}


# --- The server ---------------------------------------------------------------------------------------------


@dataclass
class World:
    """The running server, the owner's resources, and a client per key and service."""

    server: Server
    resources: Resources
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def call(self, key: Account, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Make a call as a key; its error response, None when it succeeded."""
        client = self.clients.get((key.access_key_id, service))
        if client is None:
            client = self.clients[(key.access_key_id, service)] = self.server.client(key, service)
        try:
            getattr(client, xform_name(operation))(**params)
        except ClientError as error:
            return error.response  # type: ignore[return-value]
        return None


@pytest.fixture(scope="module", params=DATABASES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A server of its own per database kind, with the keys of CONFIG and the owner's resources."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('permissions') / 'incidentd.db'}"
    else:
        url = create_postgres_database()
    server = Server(url, tmp_path_factory.mktemp("permissions-server"), CONFIG, test_credentials=False).start()
    try:
        yield World(server, Resources(server).set_up())
    finally:
        server.stop()
        if request.param != "sqlite":
            drop_postgres_database(url)


# --- The tests ----------------------------------------------------------------------------------------------


def test_the_table_has_a_request_for_every_operation_of_the_models() -> None:
    assert [operation for operation in OPERATIONS if operation not in TABLE] == []
    assert [operation for operation in TABLE if operation not in OPERATIONS] == []


def test_incidentd_serves_every_operation_of_ssm_incidents_and_ssm_contacts() -> None:
    session = botocore.session.get_session()
    served = registry.load_all()
    for service in (INCIDENTS, CONTACTS):
        names = session.get_service_model(service).operation_names
        assert [name for name in names if (service, name) not in served] == []
    assert sorted(name for service, name in served if service == SSM) == sorted(
        name for service, name in OPERATIONS if service == SSM
    )


def test_every_built_in_statement_allows_on_every_resource() -> None:
    # The oracle reads only Action; it holds while no statement denies, limits resources or sets conditions.
    assert sorted(KEYS) == sorted(builtin.DOCUMENTS)
    for policy in builtin.DOCUMENTS:
        for statement in statements(policy):
            assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, (policy, statement)
            assert (statement["Effect"], statement["Resource"]) == ("Allow", "*"), (policy, statement)


def test_every_policy_but_full_access_allows_some_operations_and_refuses_others() -> None:
    for policy in KEYS:
        decisions = {allows(policy, f"{service}:{name}") for service, name in OPERATIONS}
        assert decisions == ({True} if policy == "IncidentManagerFullAccess" else {True, False}), policy


CASES = [
    pytest.param(policy, operation, id=f"{short}-{operation[0]}-{operation[1]}")
    for policy, (short, _, _) in KEYS.items()
    for operation in OPERATIONS
]


@pytest.mark.parametrize(("policy", "operation"), CASES)
def test_a_built_in_policy_allows_exactly_what_its_document_says(
    world: World, policy: str, operation: tuple[str, str]
) -> None:
    service, name = operation
    _, user, key = KEYS[policy]
    action = f"{service}:{name}"
    request = TABLE[operation](world.resources)
    watch = WATCHES.get(operation)
    before = watch(world.resources, request.params) if watch else None

    error = world.call(key, service, name, request.params)

    if allows(policy, action):
        assert error is None or error["Error"]["Code"] != "AccessDeniedException", error["Error"]
        return
    assert error is not None, f"{policy} should not allow {action}"
    assert error["Error"]["Code"] == "AccessDeniedException", error["Error"]
    assert status_of(error) == (403 if service == INCIDENTS else 400)
    assert error["Error"]["Message"] == denial(user, action, request.resource)
    if watch:
        assert watch(world.resources, request.params) == before


# Where the owner's call, allowed, still fails for its own reasons (the table's comments say why); every other
# call of the table succeeds for it, which shows the table's inputs do what they say.
OWNER_REFUSALS: dict[tuple[str, str], set[str]] = {
    (INCIDENTS, "CreateReplicationSet"): {"ServiceQuotaExceededException"},
    (INCIDENTS, "DeleteReplicationSet"): {"ValidationException"},
    (INCIDENTS, "UpdateReplicationSet"): {"ValidationException"},
    (CONTACTS, "AcceptPage"): {"ValidationException"},
    (CONTACTS, "ActivateContactChannel"): {"ValidationException"},
    # The shared execution is paused until the first Resume any key sends, and has ended after it.
    (SSM, "SendAutomationSignal"): {"InvalidAutomationSignalException"},
}


def test_a_key_with_no_policies_may_call_every_operation(world: World) -> None:
    outcomes = {}
    for operation in OPERATIONS:
        error = world.call(OWNER, *operation, TABLE[operation](world.resources).params)
        outcomes[operation] = error["Error"]["Code"] if error else None

    unexpected = {op: code for op, code in outcomes.items() if code and code not in OWNER_REFUSALS.get(op, set())}
    assert unexpected == {}


def test_an_ingest_key_starts_incidents_but_cannot_update_them(world: World) -> None:
    _, _, ingest = KEYS["IncidentManagerIngestAccess"]
    r = world.resources
    client = world.server.client(ingest)

    incident = client.start_incident(responsePlanArn=r.plan, title="Checkout is down")["incidentRecordArn"]
    with pytest.raises(ClientError) as caught:
        client.update_incident_record(arn=incident, status="RESOLVED")

    assert str(caught.value) == (
        "An error occurred (AccessDeniedException) when calling the UpdateIncidentRecord operation: "
        f"User: arn:aws:iam::{ACCOUNT}:user/ingest is not authorized to perform: ssm-incidents:UpdateIncidentRecord "
        f"on resource: {incident} because no identity-based policy allows the ssm-incidents:UpdateIncidentRecord "
        "action"
    )
    assert status_of(caught.value.response) == 403  # type: ignore[arg-type]
    record = r.incidents.get_incident_record(arn=incident)["incidentRecord"]
    assert (record["title"], record["status"]) == ("Checkout is down", "OPEN")
    assert record["incidentRecordSource"]["createdBy"] == user_arn("ingest")
