"""Validation against the model reports every broken constraint in AWS's message style."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from incidentd.protocol import model
from incidentd.protocol.validate import check_input, render


def _shape(op: str):  # type: ignore[no-untyped-def]
    return model.operation(model.INCIDENTS, op).input_shape


def _failures(op: str, params: dict) -> list[str]:  # type: ignore[type-arg]
    return check_input(_shape(op), params)[1]


PLAN = {"name": "ok", "incidentTemplate": {"title": "t", "impact": 1}}


def test_a_valid_request_has_no_failures():
    assert _failures("CreateResponsePlan", PLAN) == []


def test_missing_required_member_is_reported_as_null():
    assert _failures("CreateResponsePlan", {"name": "ok"}) == [
        "Value null at 'incidentTemplate' failed to satisfy constraint: Member must not be null"
    ]


def test_pattern_failure_names_the_member_and_the_model_pattern():
    assert _failures("CreateResponsePlan", {**PLAN, "name": "has space"}) == [
        "Value 'has space' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]*$"
    ]


def test_list_members_use_one_based_paths():
    params = {
        **PLAN,
        "actions": [
            {
                "ssmAutomation": {
                    "documentName": "doc",
                    "roleArn": "arn:aws:iam::111122223333:role/r",
                    "parameters": {},
                }
            }
        ],
    }
    assert _failures("CreateResponsePlan", params) == [
        "Value '{}' at 'actions.1.member.ssmAutomation.parameters' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ]


def test_range_and_length_limits():
    params = {"name": "ok", "incidentTemplate": {"title": "x" * 201, "impact": 6}}
    assert _failures("CreateResponsePlan", params) == [
        "Value '6' at 'incidentTemplate.impact' failed to satisfy constraint: "
        "Member must have value less than or equal to 5",
        f"Value '{'x' * 201}' at 'incidentTemplate.title' failed to satisfy constraint: "
        "Member must have length less than or equal to 200",
    ]


def test_union_with_two_members_or_none_is_refused():
    both = {**PLAN, "chatChannel": {"empty": {}, "chatbotSns": ["arn:aws:sns:us-east-1:111122223333:t"]}}
    none = {**PLAN, "chatChannel": {}}
    for params in (both, none):
        assert any("exactly one member" in f for f in _failures("CreateResponsePlan", params))


def test_map_key_constraints_are_reported_on_the_map():
    failures = _failures("CreateResponsePlan", {**PLAN, "tags": {"aws:reserved": "v"}})
    assert len(failures) == 1
    assert failures[0].startswith("Value '{aws:reserved=v}' at 'tags' failed to satisfy constraint: Map keys must")


def test_wrong_types_are_failures_not_crashes():
    failures = _failures("CreateResponsePlan", {"name": 5, "incidentTemplate": {"title": ["t"], "impact": "1"}})
    assert len(failures) == 3


def test_enum_failure_lists_the_allowed_values():
    failures = _failures(
        "UpdateIncidentRecord",
        {"arn": "arn:aws:ssm-incidents::111122223333:incident-record/p/1", "status": "CLOSED"},
    )
    assert failures == [
        "Value 'CLOSED' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [OPEN, RESOLVED]"
    ]


def test_render_shows_values_as_java_does():
    assert render([1, "a", None, True]) == "[1, a, null, true]"
    assert render({"k": [1]}) == "{k=[1]}"


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=200))
def test_any_name_within_the_pattern_and_length_is_accepted(name: str) -> None:
    assert _failures("CreateResponsePlan", {**PLAN, "name": name}) == []


@given(st.text(min_size=1, max_size=300))
def test_a_name_is_refused_exactly_when_it_breaks_the_pattern_or_length(name: str) -> None:
    allowed = set(string.ascii_letters + string.digits + "-_")
    should_fail = len(name) > 200 or not set(name) <= allowed
    assert bool(_failures("CreateResponsePlan", {**PLAN, "name": name})) == should_fail


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=20,
    )
)
def test_arbitrary_json_never_crashes_validation(value: object) -> None:
    for op in ("CreateResponsePlan", "StartIncident", "ListIncidentRecords", "UpdateRelatedItems"):
        check_input(_shape(op), value if isinstance(value, dict) else {"name": value})


def test_a_nul_character_in_a_string_is_refused_on_every_database():
    # PostgreSQL text can't hold NUL; refusing it everywhere keeps SQLite's answer the same (found by tests/fuzz).
    assert _failures("CreateResponsePlan", {**PLAN, "name": "a\x00b"}) == [
        "Value 'a\\u0000b' at 'name' failed to satisfy constraint: Member must not contain the null character"
    ]


def test_a_trailing_newline_does_not_slip_past_a_dollar_anchor():
    # Python's $ also matches before a final newline; the model's ECMAScript $ does not.
    assert _failures("CreateResponsePlan", {**PLAN, "name": "ok\n"}) == [
        "Value 'ok\n' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]*$"
    ]
