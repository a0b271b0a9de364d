"""The built-in policies: ordinary IAM documents a key or role can name instead of writing its own."""

from __future__ import annotations

import functools
import json
from typing import Any

from incidentd.auth.policy import Policy, parse

_VERSION = "2012-10-17"


def _allow(sid: str, actions: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "*"}


# AWS's AWSIncidentManagerResolverAccess, statement for statement (the user guide's "AWS managed policies" page).
_RESOLVER = [
    _allow("StartIncidentPermissions", ["ssm-incidents:StartIncident"]),
    _allow("ResponsePlanReadOnlyPermissions", ["ssm-incidents:ListResponsePlans", "ssm-incidents:GetResponsePlan"]),
    _allow(
        "IncidentRecordResolverPermissions",
        [
            "ssm-incidents:ListIncidentRecords",
            "ssm-incidents:GetIncidentRecord",
            "ssm-incidents:UpdateIncidentRecord",
            "ssm-incidents:ListTimelineEvents",
            "ssm-incidents:CreateTimelineEvent",
            "ssm-incidents:GetTimelineEvent",
            "ssm-incidents:UpdateTimelineEvent",
            "ssm-incidents:DeleteTimelineEvent",
            "ssm-incidents:ListRelatedItems",
            "ssm-incidents:UpdateRelatedItems",
        ],
    ),
]

# What a responder needs besides, to acknowledge the page that woke them: find it, read it, accept it.
_ACKNOWLEDGE = _allow(
    "AcknowledgePages",
    [
        "ssm-contacts:AcceptPage",
        "ssm-contacts:DescribePage",
        "ssm-contacts:DescribeEngagement",
        "ssm-contacts:ListEngagements",
        "ssm-contacts:ListPagesByContact",
        "ssm-contacts:ListPagesByEngagement",
    ],
)

_READ_ONLY = _allow(
    "ReadOnly",
    [
        "ssm-incidents:Get*",
        "ssm-incidents:List*",
        "ssm-incidents:BatchGet*",
        "ssm-contacts:Get*",
        "ssm-contacts:List*",
        "ssm-contacts:Describe*",
        "ssm:Get*",
        "ssm:List*",
        "ssm:Describe*",
    ],
)

# What the console's responder does besides reading and resolving: page someone more, answer a waiting runbook.
_RESPOND = _allow("RespondToIncidents", ["ssm-contacts:StartEngagement", "ssm:SendAutomationSignal"])

DOCUMENTS: dict[str, dict[str, Any]] = {
    "IncidentManagerFullAccess": {
        "Version": _VERSION,
        "Statement": [_allow("FullAccess", ["ssm-incidents:*", "ssm-contacts:*", "ssm:*"])],
    },
    "IncidentManagerResolverAccess": {"Version": _VERSION, "Statement": [*_RESOLVER, _ACKNOWLEDGE]},
    "IncidentManagerReadOnlyAccess": {"Version": _VERSION, "Statement": [_READ_ONLY]},
    "IncidentManagerResponderAccess": {
        "Version": _VERSION,
        "Statement": [_READ_ONLY, *_RESOLVER, _ACKNOWLEDGE, _RESPOND],
    },
    "IncidentManagerIngestAccess": {
        "Version": _VERSION,
        "Statement": [
            _allow("StartIncidents", ["ssm-incidents:StartIncident"]),
            _allow("ReadResponsePlans", ["ssm-incidents:GetResponsePlan", "ssm-incidents:ListResponsePlans"]),
        ],
    },
}


def names() -> list[str]:
    """The built-in policies' names."""
    return list(DOCUMENTS)


@functools.cache
def policy(name: str) -> Policy:
    """A built-in policy, parsed once; KeyError when there is none of that name."""
    return parse(DOCUMENTS[name], name)


def text(name: str) -> str:
    """A built-in policy's document as `incidentd policy show` prints it."""
    return json.dumps(DOCUMENTS[name], indent=2)
