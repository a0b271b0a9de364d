"""aws:branch choices: every operator, And/Or/Not, Default and fall-through."""

from __future__ import annotations

import pytest

from incidentd.runbooks.conditions import ChoiceError, holds, next_step


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"Variable": "linux", "StringEquals": "linux"}, True),
        ({"Variable": "Linux", "StringEquals": "linux"}, False),
        ({"Variable": "Linux", "EqualsIgnoreCase": "linux"}, True),
        ({"Variable": "web-01", "StartsWith": "web"}, True),
        ({"Variable": "web-01", "EndsWith": "02"}, False),
        ({"Variable": "a web b", "Contains": "web"}, True),
        ({"Variable": 3, "NumericEquals": 3}, True),
        ({"Variable": "3", "NumericEquals": 3.0}, True),
        ({"Variable": 4, "NumericGreater": 3}, True),
        ({"Variable": 3, "NumericLesser": 3}, False),
        ({"Variable": 3, "NumericGreaterOrEquals": 3}, True),
        ({"Variable": 2, "NumericLesserOrEquals": 1}, False),
        ({"Variable": True, "BooleanEquals": True}, True),
        ({"Variable": "false", "BooleanEquals": False}, True),
        ({"And": [{"Variable": 1, "NumericEquals": 1}, {"Variable": "a", "StringEquals": "b"}]}, False),
        ({"Or": [{"Variable": 1, "NumericEquals": 1}, {"Variable": "a", "StringEquals": "b"}]}, True),
        ({"Not": {"Variable": "a", "StringEquals": "b"}}, True),
        ({"Not": [{"Variable": "a", "StringEquals": "a"}]}, False),
    ],
)
def test_operators(condition, expected):
    assert holds(condition) is expected


def test_first_true_choice_wins_then_default_then_none():
    choices = [
        {"NextStep": "One", "Variable": "x", "StringEquals": "y"},
        {"NextStep": "Two", "Variable": 5, "NumericGreater": 1},
        {"NextStep": "Three", "Variable": 5, "NumericGreater": 2},
    ]
    assert next_step(choices, "Fallback") == "Two"
    assert next_step(choices[:1], "Fallback") == "Fallback"
    assert next_step(choices[:1], None) is None


@pytest.mark.parametrize(
    "condition",
    [
        {"Variable": "a"},
        {"Variable": "a", "StringEquals": "a", "Contains": "a"},
        {"Variable": "many", "NumericEquals": 1},
        {"Variable": "maybe", "BooleanEquals": True},
        {"And": []},
        {"Not": [{"Variable": 1, "NumericEquals": 1}, {"Variable": 1, "NumericEquals": 1}]},
        {"StringEquals": "a"},
    ],
)
def test_conditions_that_cannot_be_evaluated(condition):
    with pytest.raises(ChoiceError):
        holds(condition)
