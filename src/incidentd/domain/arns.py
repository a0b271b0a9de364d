"""ARNs as Incident Manager forms them (aws-behaviour §2): ssm-incidents ARNs carry no region."""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTITION = "aws"

_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-cn|-us-gov)?):(?P<service>[a-z0-9-]*):(?P<region>[a-z0-9-]*):"
    r"(?P<account>[0-9]{12})?:(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Arn:
    """The parts of an ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """The part of the resource before the first '/'."""
        return self.resource.split("/", 1)[0]


def parse(text: str) -> Arn | None:
    """Split an ARN into its parts; None when it is not one."""
    match = _ARN.match(text)
    if match is None:
        return None
    return Arn(match["partition"], match["service"], match["region"], match["account"] or "", match["resource"])


def response_plan(account: str, name: str) -> str:
    """The ARN of a response plan."""
    return f"arn:{PARTITION}:ssm-incidents::{account}:response-plan/{name}"


def incident_record(account: str, plan_name: str, incident_id: str) -> str:
    """The ARN of an incident record, which names the plan it started from."""
    return f"arn:{PARTITION}:ssm-incidents::{account}:incident-record/{plan_name}/{incident_id}"


def replication_set(account: str, set_id: str) -> str:
    """The ARN of an account's replication set."""
    return f"arn:{PARTITION}:ssm-incidents::{account}:replication-set/{set_id}"


def caller(account: str, user: str) -> str:
    """The IAM identity incidentd reports as createdBy/lastModifiedBy for an access key's user."""
    return f"arn:{PARTITION}:iam::{account}:user/{user}"


def contacts_arn(region: str, account: str, resource: str) -> str:
    """An ssm-contacts ARN: unlike ssm-incidents, these carry the region (aws-behaviour §2)."""
    return f"arn:{PARTITION}:ssm-contacts:{region}:{account}:{resource}"


def contact(region: str, account: str, alias: str) -> str:
    """The ARN of a contact, escalation plan or on-call schedule."""
    return contacts_arn(region, account, f"contact/{alias}")


def contact_channel(region: str, account: str, alias: str, channel_id: str) -> str:
    """The ARN of a contact channel (the wire spells it contact-channel, aws-behaviour §2)."""
    return contacts_arn(region, account, f"contact-channel/{alias}/{channel_id}")


def engagement(region: str, account: str, alias: str, engagement_id: str) -> str:
    """The ARN of an engagement, named after the contact that was engaged."""
    return contacts_arn(region, account, f"engagement/{alias}/{engagement_id}")


def page(region: str, account: str, alias: str, page_id: str) -> str:
    """The ARN of a page, named after the personal contact that was paged."""
    return contacts_arn(region, account, f"page/{alias}/{page_id}")


def rotation(region: str, account: str, rotation_id: str) -> str:
    """The ARN of an on-call rotation."""
    return contacts_arn(region, account, f"rotation/{rotation_id}")
