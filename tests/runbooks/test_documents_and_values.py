"""Document validation, start parameters, output selectors and sleep durations: the engine's pure parts."""

from __future__ import annotations

import pytest

from incidentd.runbooks import builtin, document, parameters, selectors
from incidentd.runbooks.actions.sleep import duration_ms, timestamp_ms

STEP = {"name": "A", "action": "aws:pause"}


def valid(**extra):  # type: ignore[no-untyped-def]
    return {"schemaVersion": "0.3", "mainSteps": [dict(STEP)], **extra}


@pytest.mark.parametrize(
    ("doc", "complaint"),
    [
        ({"schemaVersion": "2.2", "mainSteps": [STEP]}, "schemaVersion"),
        (valid(mainSteps=[]), "mainSteps"),
        (valid(mainSteps=[STEP, STEP]), "Two steps"),
        (valid(mainSteps=[{"name": "has.dot", "action": "aws:pause"}]), "name"),
        (valid(mainSteps=[{"name": "A", "action": "pause"}]), "action"),
        (valid(mainSteps=[{**STEP, "nextStep": "B"}]), "B"),
        (valid(mainSteps=[{**STEP, "onFailure": "step:Z"}]), "Z"),
        (valid(mainSteps=[{**STEP, "onFailure": "Retry"}]), "onFailure"),
        (valid(mainSteps=[{**STEP, "maxAttempts": 0}]), "maxAttempts"),
        (valid(mainSteps=[{"name": "S", "action": "aws:sleep", "inputs": {}}]), "Duration"),
        (
            valid(mainSteps=[{"name": "B", "action": "aws:branch", "inputs": {"Choices": [{"Variable": "x"}]}}]),
            "NextStep",
        ),
        (valid(mainSteps=[{"name": "X", "action": "aws:executeAwsApi", "inputs": {"Service": "ssm"}}]), "Api"),
        (valid(parameters={"P": {"type": "Float"}}), "type"),
        (valid(parameters={"P": {"type": "String", "allowedPattern": "("}}), "allowedPattern"),
        (valid(outputs=["NoDot"]), "outputs"),
    ],
)
def test_invalid_documents_name_the_problem(doc, complaint):
    with pytest.raises(document.DocumentError, match=complaint):
        document.validate(doc)


def test_schema_errors_have_their_own_code():
    with pytest.raises(document.DocumentError) as caught:
        document.validate({"schemaVersion": "2.2", "mainSteps": [STEP]})
    assert caught.value.code == "InvalidDocumentSchemaVersion"


def test_unknown_aws_actions_are_accepted_for_later():
    document.validate(valid(mainSteps=[{"name": "Run", "action": "aws:runCommand", "inputs": {}}]))


def test_the_builtin_template_is_a_valid_document():
    document.validate(builtin.PARSED)
    assert builtin.PARSED["parameters"]["IncidentRecordArn"]["type"] == "String"


DEFINITIONS = {
    "Name": {"type": "String"},
    "Names": {"type": "StringList", "default": ["a"]},
    "Count": {"type": "Integer", "default": 2},
    "On": {"type": "Boolean", "default": False},
    "Tags": {"type": "StringMap", "default": {}},
    "Rows": {"type": "MapList", "default": []},
    "Colour": {"type": "String", "default": "red", "allowedValues": ["red", "green"]},
    "Id": {"type": "String", "default": "", "allowedPattern": "^i-[0-9a-f]+$"},
}


def test_parameters_are_typed():
    values = parameters.resolve(
        DEFINITIONS,
        {"Name": ["n"], "Count": ["7"], "On": ["TRUE"], "Tags": ['{"a": "b"}'], "Rows": ['{"x": 1}'], "Id": ["i-0a"]},
    )
    assert values == {
        "Name": "n",
        "Names": ["a"],
        "Count": 7,
        "On": True,
        "Tags": {"a": "b"},
        "Rows": [{"x": 1}],
        "Colour": "red",
        "Id": "i-0a",
    }
    assert parameters.to_wire(DEFINITIONS, values)["Count"] == ["7"]
    assert parameters.to_wire(DEFINITIONS, values)["Tags"] == ['{"a": "b"}']


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"Name": ["n"], "Extra": ["x"]},
        {"Name": ["n", "m"]},
        {"Name": ["n"], "Count": ["x"]},
        {"Name": ["n"], "On": ["yes"]},
        {"Name": ["n"], "Tags": ["[1]"]},
        {"Name": ["n"], "Colour": ["blue"]},
        {"Name": ["n"], "Id": ["web-1"]},
    ],
)
def test_parameter_refusals(given):
    with pytest.raises(parameters.ParameterError):
        parameters.resolve(DEFINITIONS, given)


RESPONSE = {"incidentRecord": {"title": "t", "impact": 3, "tags": ["a", "b"], "rows": [{"k": "v"}]}}


def test_selectors_find_and_type_values():
    assert selectors.select(RESPONSE, "$.incidentRecord.title") == "t"
    assert selectors.select(RESPONSE, "$.incidentRecord.tags[1]") == "b"
    assert selectors.select(RESPONSE, "$['incidentRecord'].impact") == 3
    assert selectors.select(RESPONSE, "$.incidentRecord.nothing") is None
    assert selectors.select(RESPONSE, "$.incidentRecord.tags[9]") is None
    assert selectors.coerce(3, "String") == "3"
    assert selectors.coerce("4", "Integer") == 4
    assert selectors.coerce("true", "Boolean") is True
    assert selectors.coerce(["a", 1], "StringList") == ["a", "1"]
    outputs = [
        {"Name": "Title", "Selector": "$.incidentRecord.title", "Type": "String"},
        {"Name": "Rows", "Selector": "$.incidentRecord.rows", "Type": "MapList"},
        {"Name": "Gone", "Selector": "$.nope", "Type": "String"},
    ]
    assert selectors.outputs(outputs, RESPONSE) == {"Title": "t", "Rows": [{"k": "v"}]}


@pytest.mark.parametrize(("value", "kind"), [("x", "Integer"), ("maybe", "Boolean"), ("x", "StringMap"), (1, "Blob")])
def test_values_that_do_not_fit_their_type(value, kind):
    with pytest.raises(selectors.SelectorError):
        selectors.coerce(value, kind)


def test_bad_selectors():
    with pytest.raises(selectors.SelectorError):
        selectors.select(RESPONSE, "incidentRecord")
    with pytest.raises(selectors.SelectorError):
        selectors.select(RESPONSE, "$..title")


def test_sleep_times():
    assert duration_ms("PT10M") == 600_000
    assert duration_ms("PT1.5S") == 1500
    assert duration_ms("P1DT1H") == 90_000_000
    assert duration_ms("P1W") == 604_800_000
    assert timestamp_ms("2024-01-01T00:00:00Z") == 1_704_067_200_000
    for bad in ("10M", "PT", "P", "PT5X"):
        with pytest.raises(ValueError):
            duration_ms(bad)
