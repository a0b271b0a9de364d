"""What each served operation asks IAM: its action, the resources it is authorized against, its request's tags.

The table follows AWS's Service Authorization Reference (SAR) for ssm-incidents, ssm-contacts and ssm: one action
per operation, named after it, with the resource types the SAR marks required. Where the SAR and AWS's observed
behaviour part, or the SAR names a resource that can't exist yet, the row says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from incidentd.domain import arns
from incidentd.protocol.model import CONTACTS, INCIDENTS, SSM

EVERYTHING = "*"


@dataclass(slots=True)  # not frozen: one is made per call, and a frozen dataclass's __init__ costs a microsecond
class Authorization:
    """One call as IAM sees it: the action, the ARNs it must be allowed on, and the tags it sets or removes."""

    action: str  # "ssm-incidents:StartIncident"
    resources: tuple[str, ...]  # each must be allowed; ("*",) when the SAR gives no resource type
    request_tags: dict[str, str] | None  # aws:RequestTag/${TagKey}: the tags the request sets, None when none
    tag_keys: tuple[str, ...] | None  # aws:TagKeys: request_tags' keys, or UntagResource's; None when none


# Builds one ARN from an input member's value (may be "" for a fixed resource), the input, the caller's account
# and the request's region; None when the value names nothing of the kind wanted.
_Build = Callable[[str, Mapping[str, Any], str, str], str | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    """One row of the table: where the resources come from and which members carry tags."""

    action: str
    sources: tuple[tuple[str | None, _Build], ...]  # (input member, builder); empty: the SAR gives no resource
    tags: str | None = None  # member holding the tags the request sets
    tags_as_list: bool = False  # [{"Key":, "Value":}] (ssm-contacts, ssm) rather than a map (ssm-incidents)
    untag: str | None = None  # member holding the tag keys the request removes


# --- Builders --------------------------------------------------------------------------------------------------


def _given(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
    """The ARN as the caller gave it: another account's stays another account's (that is what sharing checks)."""
    return value


def _plan_named(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
    """The response plan a name will create in the caller's account."""
    return arns.response_plan(account, value)


def _plan_of_incident(value: str, params: Mapping[str, Any], account: str, region: str) -> str | None:
    """The response plan an incident record's ARN names (incident-record/PLAN/ID), in the record's account."""
    parsed = arns.parse(value)
    if parsed is None or parsed.service != INCIDENTS:
        return None
    kind, _, rest = parsed.resource.partition("/")
    plan, _, record = rest.partition("/")
    if kind != "incident-record" or not plan or not record:
        return None
    return f"arn:{parsed.partition}:{INCIDENTS}:{parsed.region}:{parsed.account}:response-plan/{plan}"


def _contacts(kind: str) -> _Build:
    """An ssm-contacts resource: the ARN as given, or an id of the caller's account and region made into one."""

    def build(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
        if value.startswith("arn:"):
            return value
        return arns.contacts_arn(region, account, f"{kind}/{value}")

    return build


def _rotation_to_be(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
    """Any rotation of the caller's account and region: a new rotation's id is only made when it is created."""
    return arns.contacts_arn(region, account, "rotation/*")


# AWS keeps these document name prefixes for its own documents (CreateDocument refuses them), so such a name
# always means Amazon's document, whose ARN has no account: arn:aws:ssm:REGION::document/AWS-….
_AMAZON_PREFIXES = ("aws", "amazon", "amzn")


def _ssm_arn(region: str, account: str, kind: str, name: str) -> str:
    """An ssm ARN of the caller's region; Amazon's documents name no account."""
    owner = "" if name.lower().startswith(_AMAZON_PREFIXES) else account
    return f"arn:{arns.PARTITION}:{SSM}:{region}:{owner}:{kind}/{name}"


def _document(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
    """A document: its ARN as given (shared documents are named by ARN), or a name made into one."""
    if value.startswith("arn:"):
        return value
    return _ssm_arn(region, account, "document", value)


def _automation_definition(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
    """The version of a runbook that is run: automation-definition/NAME:VERSION, $DEFAULT when none is asked."""
    version = params.get("DocumentVersion") or "$DEFAULT"
    if not value.startswith("arn:"):
        return _ssm_arn(region, account, "automation-definition", f"{value}:{version}")
    head, sep, name = value.partition(":document/")
    if not sep:
        return value  # not a document ARN: the handler refuses it; IAM is asked about it as given
    return f"{head}:automation-definition/{name}:{version}"


def _execution(value: str, params: Mapping[str, Any], account: str, region: str) -> str:
    """An automation execution of the caller's account and region (executions are named by id only)."""
    return f"arn:{arns.PARTITION}:{SSM}:{region}:{account}:automation-execution/{value}"


# --- The table -------------------------------------------------------------------------------------------------

# The SAR marks both incident-record and response-plan required for most incident actions: the plan is the one
# the record's ARN names, and it is what a shared plan's resource policy covers.
_PLAN = (("arn", _given),)
_RECORD = (("arn", _given), ("arn", _plan_of_incident))
_RECORD_OF = (("incidentRecordArn", _given), ("incidentRecordArn", _plan_of_incident))
_SET = (("arn", _given),)
_POLICY_PLAN = (("resourceArn", _given),)
_TAGGED = (("resourceArn", _given),)

_CONTACT = (("ContactId", _contacts("contact")),)
_CONTACT_ARN = (("ContactArn", _contacts("contact")),)
# The SAR spells the type and its ARN "contactchannel"; the wire's ARNs say contact-channel, and those are used.
_CHANNEL = (("ContactChannelId", _contacts("contact-channel")),)
_ENGAGEMENT = (("EngagementId", _contacts("engagement")),)
_PAGE = (("PageId", _contacts("page")),)
_ROTATION = (("RotationId", _contacts("rotation")),)
_CONTACTS_TAGGED = (("ResourceARN", _given),)

_DOCUMENT = (("Name", _document),)
_EXECUTION = (("AutomationExecutionId", _execution),)


def _rule(
    action: str,
    *sources: tuple[str | None, _Build],
    tags: str | None = None,
    tags_as_list: bool = False,
    untag: str | None = None,
) -> _Rule:
    """A row of the table."""
    return _Rule(action, sources, tags, tags_as_list, untag)


_RULES: dict[tuple[str, str], _Rule] = {
    # ssm-incidents: every action is named after its operation.
    (INCIDENTS, "BatchGetIncidentFindings"): _rule("ssm-incidents:BatchGetIncidentFindings", *_RECORD_OF),
    # The SAR gives no resource type for CreateReplicationSet (its id is made at creation).
    (INCIDENTS, "CreateReplicationSet"): _rule("ssm-incidents:CreateReplicationSet", tags="tags"),
    # The SAR gives no resource type here either; the plan's name is known, so the plan-to-be is asked about.
    (INCIDENTS, "CreateResponsePlan"): _rule("ssm-incidents:CreateResponsePlan", ("name", _plan_named), tags="tags"),
    (INCIDENTS, "CreateTimelineEvent"): _rule("ssm-incidents:CreateTimelineEvent", *_RECORD_OF),
    (INCIDENTS, "DeleteIncidentRecord"): _rule("ssm-incidents:DeleteIncidentRecord", ("arn", _given)),
    (INCIDENTS, "DeleteReplicationSet"): _rule("ssm-incidents:DeleteReplicationSet", *_SET),
    (INCIDENTS, "DeleteResourcePolicy"): _rule("ssm-incidents:DeleteResourcePolicy", *_POLICY_PLAN),
    (INCIDENTS, "DeleteResponsePlan"): _rule("ssm-incidents:DeleteResponsePlan", *_PLAN),
    (INCIDENTS, "DeleteTimelineEvent"): _rule("ssm-incidents:DeleteTimelineEvent", ("incidentRecordArn", _given)),
    (INCIDENTS, "GetIncidentRecord"): _rule("ssm-incidents:GetIncidentRecord", *_RECORD),
    (INCIDENTS, "GetReplicationSet"): _rule("ssm-incidents:GetReplicationSet", *_SET),
    (INCIDENTS, "GetResourcePolicies"): _rule("ssm-incidents:GetResourcePolicies", *_POLICY_PLAN),
    (INCIDENTS, "GetResponsePlan"): _rule("ssm-incidents:GetResponsePlan", *_PLAN),
    (INCIDENTS, "GetTimelineEvent"): _rule("ssm-incidents:GetTimelineEvent", *_RECORD_OF),
    (INCIDENTS, "ListIncidentFindings"): _rule("ssm-incidents:ListIncidentFindings", *_RECORD_OF),
    (INCIDENTS, "ListIncidentRecords"): _rule("ssm-incidents:ListIncidentRecords"),
    (INCIDENTS, "ListRelatedItems"): _rule("ssm-incidents:ListRelatedItems", *_RECORD_OF),
    (INCIDENTS, "ListReplicationSets"): _rule("ssm-incidents:ListReplicationSets"),
    (INCIDENTS, "ListResponsePlans"): _rule("ssm-incidents:ListResponsePlans"),
    (INCIDENTS, "ListTagsForResource"): _rule("ssm-incidents:ListTagsForResource", *_TAGGED),
    (INCIDENTS, "ListTimelineEvents"): _rule("ssm-incidents:ListTimelineEvents", *_RECORD_OF),
    (INCIDENTS, "PutResourcePolicy"): _rule("ssm-incidents:PutResourcePolicy", *_POLICY_PLAN),
    (INCIDENTS, "StartIncident"): _rule("ssm-incidents:StartIncident", ("responsePlanArn", _given)),
    (INCIDENTS, "TagResource"): _rule("ssm-incidents:TagResource", *_TAGGED, tags="tags"),
    (INCIDENTS, "UntagResource"): _rule("ssm-incidents:UntagResource", *_TAGGED, untag="tagKeys"),
    (INCIDENTS, "UpdateDeletionProtection"): _rule("ssm-incidents:UpdateDeletionProtection", *_SET),
    (INCIDENTS, "UpdateIncidentRecord"): _rule("ssm-incidents:UpdateIncidentRecord", *_RECORD),
    (INCIDENTS, "UpdateRelatedItems"): _rule("ssm-incidents:UpdateRelatedItems", *_RECORD_OF),
    (INCIDENTS, "UpdateReplicationSet"): _rule("ssm-incidents:UpdateReplicationSet", *_SET),
    # The SAR lists aws:RequestTag and aws:TagKeys here; the only tags the input carries are the template's.
    (INCIDENTS, "UpdateResponsePlan"): _rule("ssm-incidents:UpdateResponsePlan", *_PLAN, tags="incidentTemplateTags"),
    (INCIDENTS, "UpdateTimelineEvent"): _rule("ssm-incidents:UpdateTimelineEvent", *_RECORD_OF),
    # ssm-contacts: every action is named after its operation.
    (CONTACTS, "AcceptPage"): _rule("ssm-contacts:AcceptPage", *_PAGE),
    (CONTACTS, "ActivateContactChannel"): _rule("ssm-contacts:ActivateContactChannel", *_CHANNEL),
    (CONTACTS, "CreateContact"): _rule(
        "ssm-contacts:CreateContact", ("Alias", _contacts("contact")), tags="Tags", tags_as_list=True
    ),
    (CONTACTS, "CreateContactChannel"): _rule("ssm-contacts:CreateContactChannel", *_CONTACT),
    # The SAR requires a rotation; the new one's id isn't known yet, so every rotation of the account stands in.
    (CONTACTS, "CreateRotation"): _rule(
        "ssm-contacts:CreateRotation", (None, _rotation_to_be), tags="Tags", tags_as_list=True
    ),
    (CONTACTS, "CreateRotationOverride"): _rule("ssm-contacts:CreateRotationOverride", *_ROTATION),
    (CONTACTS, "DeactivateContactChannel"): _rule("ssm-contacts:DeactivateContactChannel", *_CHANNEL),
    (CONTACTS, "DeleteContact"): _rule("ssm-contacts:DeleteContact", *_CONTACT),
    (CONTACTS, "DeleteContactChannel"): _rule("ssm-contacts:DeleteContactChannel", *_CHANNEL),
    (CONTACTS, "DeleteRotation"): _rule("ssm-contacts:DeleteRotation", *_ROTATION),
    (CONTACTS, "DeleteRotationOverride"): _rule("ssm-contacts:DeleteRotationOverride", *_ROTATION),
    (CONTACTS, "DescribeEngagement"): _rule("ssm-contacts:DescribeEngagement", *_ENGAGEMENT),
    (CONTACTS, "DescribePage"): _rule("ssm-contacts:DescribePage", *_PAGE),
    (CONTACTS, "GetContact"): _rule("ssm-contacts:GetContact", *_CONTACT),
    (CONTACTS, "GetContactChannel"): _rule("ssm-contacts:GetContactChannel", *_CHANNEL),
    (CONTACTS, "GetContactPolicy"): _rule("ssm-contacts:GetContactPolicy", *_CONTACT_ARN),
    (CONTACTS, "GetRotation"): _rule("ssm-contacts:GetRotation", *_ROTATION),
    (CONTACTS, "GetRotationOverride"): _rule("ssm-contacts:GetRotationOverride", *_ROTATION),
    (CONTACTS, "ListContactChannels"): _rule("ssm-contacts:ListContactChannels", *_CONTACT),
    (CONTACTS, "ListContacts"): _rule("ssm-contacts:ListContacts"),
    (CONTACTS, "ListEngagements"): _rule("ssm-contacts:ListEngagements"),
    (CONTACTS, "ListPageReceipts"): _rule("ssm-contacts:ListPageReceipts", *_PAGE),
    (CONTACTS, "ListPageResolutions"): _rule("ssm-contacts:ListPageResolutions", *_PAGE),
    (CONTACTS, "ListPagesByContact"): _rule("ssm-contacts:ListPagesByContact", *_CONTACT),
    (CONTACTS, "ListPagesByEngagement"): _rule("ssm-contacts:ListPagesByEngagement", *_ENGAGEMENT),
    (CONTACTS, "ListPreviewRotationShifts"): _rule("ssm-contacts:ListPreviewRotationShifts"),
    (CONTACTS, "ListRotationOverrides"): _rule("ssm-contacts:ListRotationOverrides", *_ROTATION),
    (CONTACTS, "ListRotationShifts"): _rule("ssm-contacts:ListRotationShifts", *_ROTATION),
    (CONTACTS, "ListRotations"): _rule("ssm-contacts:ListRotations"),
    (CONTACTS, "ListTagsForResource"): _rule("ssm-contacts:ListTagsForResource", *_CONTACTS_TAGGED),
    (CONTACTS, "PutContactPolicy"): _rule("ssm-contacts:PutContactPolicy", *_CONTACT_ARN),
    (CONTACTS, "SendActivationCode"): _rule("ssm-contacts:SendActivationCode", *_CHANNEL),
    (CONTACTS, "StartEngagement"): _rule("ssm-contacts:StartEngagement", *_CONTACT),
    (CONTACTS, "StopEngagement"): _rule("ssm-contacts:StopEngagement", *_ENGAGEMENT),
    (CONTACTS, "TagResource"): _rule("ssm-contacts:TagResource", *_CONTACTS_TAGGED, tags="Tags", tags_as_list=True),
    (CONTACTS, "UntagResource"): _rule("ssm-contacts:UntagResource", *_CONTACTS_TAGGED, untag="TagKeys"),
    (CONTACTS, "UpdateContact"): _rule("ssm-contacts:UpdateContact", *_CONTACT),
    (CONTACTS, "UpdateContactChannel"): _rule("ssm-contacts:UpdateContactChannel", *_CHANNEL),
    (CONTACTS, "UpdateRotation"): _rule("ssm-contacts:UpdateRotation", *_ROTATION),
    # ssm: every action is named after its operation, the Describe* ones included.
    (SSM, "CreateDocument"): _rule("ssm:CreateDocument", *_DOCUMENT, tags="Tags", tags_as_list=True),
    (SSM, "DeleteDocument"): _rule("ssm:DeleteDocument", *_DOCUMENT),
    (SSM, "DescribeAutomationExecutions"): _rule("ssm:DescribeAutomationExecutions"),
    (SSM, "DescribeAutomationStepExecutions"): _rule("ssm:DescribeAutomationStepExecutions", *_EXECUTION),
    (SSM, "DescribeDocument"): _rule("ssm:DescribeDocument", *_DOCUMENT),
    (SSM, "GetAutomationExecution"): _rule("ssm:GetAutomationExecution", *_EXECUTION),
    (SSM, "GetDocument"): _rule("ssm:GetDocument", *_DOCUMENT),
    (SSM, "ListDocumentVersions"): _rule("ssm:ListDocumentVersions", *_DOCUMENT),
    (SSM, "ListDocuments"): _rule("ssm:ListDocuments"),
    (SSM, "SendAutomationSignal"): _rule("ssm:SendAutomationSignal", *_EXECUTION),
    # The SAR lists document and automation-execution as required and automation-definition as optional, but
    # AWS refuses this action "on resource: …:automation-definition/NAME:VERSION", and policies that allow only
    # that resource work: the definition is what is asked about (the execution's id doesn't exist yet).
    (SSM, "StartAutomationExecution"): _rule(
        "ssm:StartAutomationExecution", ("DocumentName", _automation_definition), tags="Tags", tags_as_list=True
    ),
    (SSM, "StopAutomationExecution"): _rule("ssm:StopAutomationExecution", *_EXECUTION),
    (SSM, "UpdateDocument"): _rule("ssm:UpdateDocument", *_DOCUMENT),
    (SSM, "UpdateDocumentDefaultVersion"): _rule("ssm:UpdateDocumentDefaultVersion", *_DOCUMENT),
}

# What AWS RAM's default permission lets another account do with a shared response plan (and the incidents
# started from it): the actions of Incident Manager's documented sharing policy. DeleteTimelineEvent is not one.
SHARABLE_PLAN_ACTIONS = frozenset(
    {
        "ssm-incidents:GetResponsePlan",
        "ssm-incidents:StartIncident",
        "ssm-incidents:UpdateIncidentRecord",
        "ssm-incidents:GetIncidentRecord",
        "ssm-incidents:CreateTimelineEvent",
        "ssm-incidents:UpdateTimelineEvent",
        "ssm-incidents:GetTimelineEvent",
        "ssm-incidents:ListTimelineEvents",
        "ssm-incidents:UpdateRelatedItems",
        "ssm-incidents:ListRelatedItems",
    }
)

# The same for a shared contact (and its engagements).
SHARABLE_CONTACT_ACTIONS = frozenset(
    {
        "ssm-contacts:GetContact",
        "ssm-contacts:StartEngagement",
        "ssm-contacts:DescribeEngagement",
        "ssm-contacts:ListPagesByEngagement",
        "ssm-contacts:StopEngagement",
    }
)


def served() -> frozenset[tuple[str, str]]:
    """Every (service, operation) the table answers for."""
    return frozenset(_RULES)


def authorization_for(
    service: str, operation: str, params: Mapping[str, Any], *, account_id: str, region: str
) -> Authorization:
    """What the call must be allowed to do: params are the validated input; account_id is the caller's account;
    region the request's. KeyError for an operation incidentd does not serve."""
    rule = _RULES[(service, operation)]
    resources: list[str] = []
    for member, build in rule.sources:
        value = params.get(member) if member is not None else ""
        if not isinstance(value, str):
            continue  # the member is absent (validated input always has the required ones): nothing to name
        arn = build(value, params, account_id, region)
        if arn is not None and arn not in resources:
            resources.append(arn)
    request_tags = _tags(params.get(rule.tags), rule.tags_as_list) if rule.tags is not None else None
    if request_tags is not None:
        tag_keys: tuple[str, ...] | None = tuple(request_tags)
    elif rule.untag is not None and isinstance(params.get(rule.untag), list):
        tag_keys = tuple(str(key) for key in params[rule.untag])
    else:
        tag_keys = None
    return Authorization(rule.action, tuple(resources) or (EVERYTHING,), request_tags, tag_keys)


def _tags(given: Any, as_list: bool) -> dict[str, str] | None:
    """The tags a request sets, from a map or a list of Key/Value pairs; None when it sets none."""
    if given is None:
        return None
    if not as_list:
        return {str(key): str(value) for key, value in given.items()} if isinstance(given, dict) else None
    if not isinstance(given, list):
        return None
    return {
        str(tag["Key"]): str(tag.get("Value", ""))
        for tag in given
        if isinstance(tag, dict) and tag.get("Key") is not None
    }


def names_other_account(service: str, operation: str, params: Mapping[str, Any], account_id: str) -> bool:
    """Whether an ARN the call's resources come from names an account other than account_id.

    The cheap question a principal without policies needs answered on every call: only a call that reaches into
    another account needs its resources worked out (to look for a sharing).
    """
    for member, _ in _RULES[(service, operation)].sources:
        value = params.get(member) if member is not None else None
        if isinstance(value, str) and value.startswith("arn:"):
            owner = value.split(":", 5)[4:5]
            if owner and owner[0] and owner[0] != account_id:
                return True
    return False


def owner_account(arn: str, default: str) -> str:
    """The account an ARN names (its 5th field), else default."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return default
