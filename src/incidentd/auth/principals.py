"""Principals: the identity an action is taken as, shown in createdBy, lastModifiedBy and modifiedBy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from incidentd.domain import arns

if TYPE_CHECKING:
    from incidentd.auth.policy import Policy

# Incident Manager acts on an account's incidents through this service-linked role (aws-behaviour §3.1).
SERVICE_ROLE = "role/aws-service-role/ssm-incidents.amazonaws.com/AWSServiceRoleForIncidentManager"


@dataclass(frozen=True, slots=True)
class Principal:
    """An identity of an account: an API key's IAM user, a runbook's role, or Incident Manager itself.

    policies are the identity policies that decide what it may do; None means everything in its own account
    (a key with no policies when no default is set, a runbook's role when no roles are declared, the service).
    """

    account_id: str
    arn: str
    policies: tuple[Policy, ...] | None = field(default=None, compare=False)

    @classmethod
    def user(cls, account_id: str, name: str, policies: tuple[Policy, ...] | None = None) -> Principal:
        """An IAM user of the account (an access key's, or an alert source's)."""
        return cls(account_id, arns.caller(account_id, name), policies)

    @classmethod
    def service(cls, account_id: str) -> Principal:
        """Incident Manager acting on the account's incidents by itself, as its service-linked role."""
        return cls(account_id, f"arn:{arns.PARTITION}:iam::{account_id}:{SERVICE_ROLE}")
