"""{{ }} references: whole values keep their type, embedded ones become text, unknown ones fail."""

from __future__ import annotations

import pytest

from incidentd.runbooks.interpolate import Unresolved, as_text, references, resolve

VARIABLES = {
    "IncidentRecordArn": "arn:aws:ssm-incidents::111122223333:incident-record/plan/1",
    "Resources": ["arn:a", "arn:b"],
    "Count": 3,
    "Flag": True,
    "Lookup.Title": "Disk full",
    "automation:EXECUTION_ID": "e-1",
    "global:ACCOUNT_ID": "111122223333",
    "global:REGION": "us-east-1",
}


def test_a_reference_alone_keeps_its_type():
    assert resolve("{{ Resources }}", VARIABLES) == ["arn:a", "arn:b"]
    assert resolve("{{Count}}", VARIABLES) == 3
    assert resolve("  {{ Flag }} ", VARIABLES) is True


def test_references_inside_text_become_text():
    text = "{{ global:ACCOUNT_ID }}/{{global:REGION}} run {{ automation:EXECUTION_ID }} x{{ Count }} {{ Flag }}"
    assert resolve(text, VARIABLES) == "111122223333/us-east-1 run e-1 x3 true"
    assert resolve("list: {{ Resources }}", VARIABLES) == 'list: ["arn:a","arn:b"]'


def test_step_outputs_and_nested_structures():
    value = {"title": "{{ Lookup.Title }}", "items": [{"arn": "{{ IncidentRecordArn }}"}, 5, None]}
    assert resolve(value, VARIABLES) == {
        "title": "Disk full",
        "items": [{"arn": VARIABLES["IncidentRecordArn"]}, 5, None],
    }


def test_text_without_references_is_unchanged():
    assert resolve("plain {text} and }} {{", VARIABLES) == "plain {text} and }} {{"


def test_unknown_and_parameter_store_references_fail():
    with pytest.raises(Unresolved, match="Missing"):
        resolve("{{ Missing }}", VARIABLES)
    with pytest.raises(Unresolved, match="Parameter Store"):
        resolve("x {{ ssm:/my/param }}", VARIABLES)


def test_helpers():
    assert as_text(False) == "false"
    assert as_text({"a": 1}) == '{"a":1}'
    assert references({"a": ["{{ X }}", "{{Y.Z}} {{ X }}"]}) == {"X", "Y.Z"}
