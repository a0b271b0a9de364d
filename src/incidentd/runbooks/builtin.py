"""incidentd's own AWSIncidents-CriticalIncidentRunbookTemplate: the incident lifecycle as four manual steps."""

from __future__ import annotations

import hashlib
from typing import Any

from incidentd.runbooks import document

NAME = "AWSIncidents-CriticalIncidentRunbookTemplate"
OWNER = "Amazon"
# Incident Manager's launch day; the template has had one version since.
CREATED = 1620604800.0

# The name and the four phases follow AWS's template, so response plans written for AWS work here; the text is
# incidentd's own. IncidentRecordArn is optional so that plans that pass no parameters can start it too.
CONTENT = """\
description: |
  A starting point for responding to a critical incident, in four manual phases: triage, diagnosis,
  mitigation and recovery. Each phase is a pause: the responder does the work, then resumes the runbook
  (SendAutomationSignal with SignalType Resume) to move on to the next phase.

  Copy this document, replace the guidance with your service's own checks, commands and contacts, and name
  your copy in the response plan's runbook action.
schemaVersion: '0.3'
parameters:
  IncidentRecordArn:
    type: String
    description: The ARN of the incident this runbook was started for; Incident Manager fills it in.
    default: ''
mainSteps:
  - name: Triage
    action: aws:pause
    description: |
      Find out how bad it is. Who is affected, since when, and is it getting worse? Set the incident's impact
      to match what you find, and bring in the people you need: if customers notice, your status page and
      support team should hear about it now.
    inputs: {}
  - name: Diagnosis
    action: aws:pause
    description: |
      Look for the cause. Start with what changed: deployments, configuration, traffic, dependencies. Write
      what you rule in and out as notes on the incident's timeline so that the next responder can follow.
    inputs: {}
  - name: Mitigation
    action: aws:pause
    description: |
      Stop the harm before fixing the cause: roll back, fail over, shed load or switch the feature off.
      Record each action and its effect on the timeline.
    inputs: {}
  - name: Recovery
    action: aws:pause
    description: |
      Confirm the service is healthy again and stays that way, close the loose ends (temporary changes,
      paused alarms), resolve the incident and schedule the post-incident analysis.
    inputs: {}
"""


def _parsed() -> dict[str, Any]:
    doc = document.parse(CONTENT, "YAML")
    document.validate(doc)
    return doc


PARSED = _parsed()
HEAD: dict[str, Any] = {
    "Name": NAME,
    "Owner": OWNER,
    "DocumentType": "Automation",
    "CreatedDate": CREATED,
    "_default": 1,
    "_latest": 1,
}
VERSION: dict[str, Any] = {
    "Content": CONTENT,
    "DocumentFormat": "YAML",
    "DocumentVersion": "1",
    "CreatedDate": CREATED,
    "Hash": hashlib.sha256(CONTENT.encode()).hexdigest(),
    "Description": PARSED["description"],
    "Parameters": document.describe_parameters(PARSED),
    "SchemaVersion": document.SCHEMA_VERSION,
}


def is_builtin(name: str) -> bool:
    """Whether a name is one of the documents every account sees."""
    return name == NAME
