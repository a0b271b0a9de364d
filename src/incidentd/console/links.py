"""Console paths for API resources, and back: an incident is /console/incidents/{plan}/{id} in the viewer's account."""

from __future__ import annotations

import re

from incidentd.domain import arns

PREFIX = "/console"
_INCIDENT = re.compile(r"^arn:[^:]+:ssm-incidents::(\d{12}):incident-record/([^/]+)/([^/]+)$")
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,200}$")


def incident_path(arn: str) -> str:
    """The console page of an incident."""
    found = _INCIDENT.match(arn)
    if found is None:
        return f"{PREFIX}/"
    return f"{PREFIX}/incidents/{found.group(2)}/{found.group(3)}"


def incident_arn(account_id: str, plan: str, incident_id: str) -> str | None:
    """The ARN a console path names, or None when a part could never be one."""
    if not (_NAME.match(plan) and _NAME.match(incident_id)):
        return None
    return arns.incident_record(account_id, plan, incident_id)


def plan_name(arn: str) -> str:
    """A response plan's name, the last part of its ARN."""
    return arn.rsplit("/", 1)[-1]
