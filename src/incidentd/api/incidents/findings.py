"""Findings: deployments and stack updates that may have caused an incident (aws-behaviour §3.9).

incidentd has no CodeDeploy or CloudFormation to watch, so an incident has no findings; the answers are
well-formed, and an id asked for by BatchGetIncidentFindings is reported in `errors` as not found.
"""

from __future__ import annotations

from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import SERVICE, load_incident
from incidentd.api.registry import handles


@handles(SERVICE, "ListIncidentFindings")
def list_incident_findings(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The incident's findings: always none here."""
    load_incident(ctx, params["incidentRecordArn"])
    return {"findings": []}


@handles(SERVICE, "BatchGetIncidentFindings")
def batch_get_incident_findings(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Each requested id is reported as not found."""
    load_incident(ctx, params["incidentRecordArn"])
    errors = [
        {
            "findingId": finding_id,
            "code": "ResourceNotFoundException",
            "message": f"Finding {finding_id} does not exist.",
        }
        for finding_id in params["findingIds"]
    ]
    return {"findings": [], "errors": errors}
