"""Small Automation documents for the ssm API tests."""

from __future__ import annotations

import json

PAUSE_YAML = """\
description: Waits for a person.
schemaVersion: '0.3'
parameters:
  Message:
    type: String
    description: What to say.
    default: hello
  Count:
    type: Integer
    default: 1
  Colour:
    type: String
    allowedValues: [red, green]
    default: red
mainSteps:
  - name: Wait
    action: aws:pause
    inputs: {}
"""

REQUIRED_JSON = json.dumps(
    {
        "schemaVersion": "0.3",
        "description": "Needs a target.",
        "parameters": {"Target": {"type": "String"}, "Names": {"type": "StringList", "default": []}},
        "mainSteps": [{"name": "Wait", "action": "aws:pause", "inputs": {}}],
    }
)


def pause_document(ssm, name: str = "wait-for-me", **extra):  # type: ignore[no-untyped-def]
    """Create the pause document in YAML; the DocumentDescription."""
    return ssm.create_document(
        Name=name, Content=PAUSE_YAML, DocumentType="Automation", DocumentFormat="YAML", **extra
    )["DocumentDescription"]
