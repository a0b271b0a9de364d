"""IAM identity policies: what parse refuses, and evaluate's decisions by IAM's documented rules."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from incidentd.auth.patterns import matches
from incidentd.auth.policy import Decision, Policy, PolicyError, evaluate, parse

ACCOUNT = "111122223333"
PLANS = f"arn:aws:ssm-incidents::{ACCOUNT}:response-plan"
PLAN = f"{PLANS}/web"
GET = "ssm-incidents:GetResponsePlan"
DELETE = "ssm-incidents:DeleteResponsePlan"
LIST = "ssm-incidents:ListResponsePlans"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/responder"
ROLE_WITH_COLON = f"arn:aws:iam::{ACCOUNT}:role/a:b"

Value = str | bool | list[str]


class Context:
    """A request's condition values, by lookup key (as evaluate asks for them)."""

    def __init__(self, values: dict[str, Value] | None = None) -> None:
        """No values: a request without any condition key."""
        self.values = values or {}

    def value(self, key: str) -> Value | None:
        """The value, None when the request has none."""
        return self.values.get(key)


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A 2012-10-17 policy document of these statements."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(
    effect: str, action: str | list[str] = GET, resource: str | list[str] = "*", **more: Any
) -> dict[str, Any]:
    """A statement; `more` adds elements (Sid, Condition) or replaces Action/Resource with their Not forms."""
    found: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    for element in ("NotAction", "NotResource"):
        if element in more:
            del found[element.removeprefix("Not")]
    return found | more


def allowed(name: str) -> Decision:
    """An allow by statement `name` of policy 'p'."""
    return Decision(allowed=True, explicit_deny=False, policy="p", statement=name)


def denied(policy: str, name: str) -> Decision:
    """An explicit deny by statement `name` of `policy`."""
    return Decision(allowed=False, explicit_deny=True, policy=policy, statement=name)


IMPLICIT = Decision(allowed=False, explicit_deny=False, policy=None, statement=None)


# --- evaluate: effects, actions, resources ---------------------------------------------------------------------

DECISIONS = [
    pytest.param([statement("Allow", GET)], GET, PLAN, allowed("Statement[0]"), id="allow-exact-action"),
    pytest.param([statement("Allow", GET)], DELETE, PLAN, IMPLICIT, id="implicit-deny-other-action"),
    pytest.param([], GET, PLAN, IMPLICIT, id="implicit-deny-no-statements-that-match"),
    pytest.param([statement("Allow", "*")], "ssm-contacts:ListContacts", PLAN, allowed("Statement[0]"), id="star-all"),
    pytest.param([statement("Allow", "ssm-incidents:get*")], GET, PLAN, allowed("Statement[0]"), id="action-ci-star"),
    pytest.param([statement("Allow", "SSM-Incidents:GetResponsePlan")], GET, PLAN, allowed("Statement[0]"), id="ci"),
    pytest.param(
        [statement("Allow", "ssm-incidents:Get*")],
        "SSM-INCIDENTS:getresponseplan",
        PLAN,
        allowed("Statement[0]"),
        id="request-action-any-case",
    ),
    pytest.param(
        [statement("Allow", "ssm-incidents:?etResponsePlan")],
        GET,
        PLAN,
        allowed("Statement[0]"),
        id="action-question-mark-one-char",
    ),
    pytest.param(
        [statement("Allow", "ssm-incidents:?ResponsePlan")], GET, PLAN, IMPLICIT, id="action-question-mark-not-three"
    ),
    pytest.param(
        [statement("Allow", "ssm-incidents:*")],
        "ssm-contacts:ListContacts",
        PLAN,
        IMPLICIT,
        id="service-wildcard-stays-in-service",
    ),
    pytest.param(
        [statement("Allow", "ssm-incidents:Get*Plan")], GET, PLAN, allowed("Statement[0]"), id="action-star-inside"
    ),
    pytest.param(
        [statement("Allow", "ssm-incidents:Get*Plan")],
        "ssm-incidents:GetResponsePlans",
        PLAN,
        IMPLICIT,
        id="action-whole-string",
    ),
    pytest.param(
        [statement("Allow", NotAction="ssm-incidents:Delete*")],
        GET,
        PLAN,
        allowed("Statement[0]"),
        id="not-action-other",
    ),
    pytest.param(
        [statement("Allow", NotAction=["ssm-incidents:Delete*", "ssm-contacts:*"])],
        DELETE,
        PLAN,
        IMPLICIT,
        id="not-action-listed",
    ),
    pytest.param([statement("Allow", NotAction="ssm-incidents:delete*")], DELETE, PLAN, IMPLICIT, id="not-action-ci"),
    pytest.param([statement("Allow", GET, PLAN)], GET, PLAN, allowed("Statement[0]"), id="resource-exact"),
    pytest.param([statement("Allow", GET, f"{PLANS}/w*")], GET, PLAN, allowed("Statement[0]"), id="resource-star"),
    pytest.param([statement("Allow", GET, f"{PLANS}/W*")], GET, PLAN, IMPLICIT, id="resource-case-sensitive"),
    pytest.param([statement("Allow", GET, f"{PLANS}/w?b")], GET, PLAN, allowed("Statement[0]"), id="resource-?"),
    pytest.param([statement("Allow", GET, f"{PLANS}/w?")], GET, PLAN, IMPLICIT, id="resource-?-one-char"),
    pytest.param(
        [statement("Allow", GET, f"arn:aws:ssm-incidents:*:{ACCOUNT}:response-plan/*")],
        GET,
        PLAN,
        allowed("Statement[0]"),
        id="resource-star-empty-region",
    ),
    pytest.param([statement("Allow", GET, f"{PLANS}/web-prod")], GET, PLAN, IMPLICIT, id="resource-other"),
    pytest.param([statement("Allow", GET, f"{PLANS}/w.b")], GET, f"{PLANS}/wxb", IMPLICIT, id="resource-dot-literal"),
    pytest.param([statement("Allow", GET, f"{PLANS}/w.b*")], GET, f"{PLANS}/wxb", IMPLICIT, id="resource-dot-star"),
    pytest.param(
        [statement("Allow", GET, [f"{PLANS}/other", PLAN])], GET, PLAN, allowed("Statement[0]"), id="resource-list-any"
    ),
    pytest.param([statement("Allow", LIST, "*")], LIST, "*", allowed("Statement[0]"), id="listing-star"),
    pytest.param([statement("Allow", LIST, f"{PLANS}/*")], LIST, "*", IMPLICIT, id="listing-needs-star"),
    pytest.param([statement("Allow", LIST, "arn:aws:*")], LIST, "*", IMPLICIT, id="listing-arn-pattern"),
    pytest.param(
        [statement("Allow", GET, NotResource=f"{PLANS}/secret")],
        GET,
        PLAN,
        allowed("Statement[0]"),
        id="not-resource-other",
    ),
    pytest.param(
        [statement("Allow", GET, NotResource=[f"{PLANS}/secret", f"{PLANS}/w*"])],
        GET,
        PLAN,
        IMPLICIT,
        id="not-resource-listed",
    ),
    pytest.param(
        [statement("Allow", LIST, NotResource=f"{PLANS}/secret")],
        LIST,
        "*",
        allowed("Statement[0]"),
        id="not-resource-takes-in-listing",
    ),
    pytest.param([statement("Allow", LIST, NotResource="*")], LIST, "*", IMPLICIT, id="not-resource-star"),
]


@pytest.mark.parametrize(("statements", "action", "resource", "expected"), DECISIONS)
def test_actions_and_resources_decide_as_iam_does(
    statements: list[dict[str, Any]], action: str, resource: str, expected: Decision
) -> None:
    """Action: case-insensitive wildcards; Resource: case-sensitive ones; Not forms cover everything else."""
    policies = [parse(document(*statements), "p")] if statements else []
    assert evaluate(policies, action, resource, Context()) == expected


def test_an_explicit_deny_in_one_policy_beats_an_allow_in_another_whatever_their_order() -> None:
    """IAM: a matching Deny anywhere wins over every Allow."""
    allow = parse(document(statement("Allow", "ssm-incidents:*", Sid="All")), "ops")
    deny = parse(document(statement("Allow", GET), statement("Deny", "ssm-incidents:Delete*", Sid="NoDeletes")), "no")
    assert evaluate([allow, deny], DELETE, PLAN, Context()) == denied("no", "NoDeletes")
    assert evaluate([deny, allow], DELETE, PLAN, Context()) == denied("no", "NoDeletes")
    # The Deny does not cover GetResponsePlan: the first matching Allow decides.
    assert evaluate([allow, deny], GET, PLAN, Context()) == Decision(True, False, "ops", "All")
    assert evaluate([deny, allow], GET, PLAN, Context()) == Decision(True, False, "no", "Statement[0]")


def test_a_deny_with_not_resource_denies_listings_too() -> None:
    """NotResource matches every resource except those listed; a listing's "*" is not one of them."""
    policy = parse(
        document(statement("Allow", "*", Sid="Everything"), statement("Deny", "*", NotResource=f"{PLANS}/web")), "p"
    )
    assert evaluate([policy], LIST, "*", Context()) == denied("p", "Statement[1]")
    assert evaluate([policy], GET, PLAN, Context()) == allowed("Everything")
    assert evaluate([policy], GET, f"{PLANS}/db", Context()) == denied("p", "Statement[1]")


def test_a_decision_names_the_sid_or_the_place_of_its_statement() -> None:
    """Statement[<index>] counts from 0 within its own policy; a lone Statement object is Statement[0]."""
    first = parse({"Version": "2012-10-17", "Statement": statement("Allow", DELETE)}, "first")
    second = parse(document(statement("Allow", DELETE), statement("Allow", GET), statement("Allow", GET)), "second")
    assert evaluate([first, second], GET, PLAN, Context()) == Decision(True, False, "second", "Statement[1]")
    assert evaluate([second, first], DELETE, PLAN, Context()) == Decision(True, False, "second", "Statement[0]")
    named = parse(document(statement("Allow", GET, Sid="ReadPlans")), "named")
    assert evaluate([named], GET, PLAN, Context()) == Decision(True, False, "named", "ReadPlans")


def test_the_same_policy_decides_the_same_on_repeated_and_mixed_requests() -> None:
    """Remembered action lookups do not leak between actions or resources."""
    policy = parse(document(statement("Allow", "ssm-incidents:Get*", f"{PLANS}/w*")), "p")
    for _ in range(3):
        assert evaluate([policy], GET, PLAN, Context()).allowed
        assert not evaluate([policy], GET, f"{PLANS}/db", Context()).allowed
        assert not evaluate([policy], DELETE, PLAN, Context()).allowed


# --- evaluate: conditions --------------------------------------------------------------------------------------

TEAM = "aws:resourcetag/Team"
KEYS = "aws:tagkeys"
SECURE = "aws:securetransport"
PRINCIPAL = "aws:principalarn"
OWNER = "aws:principalaccount"

CONDITIONS = [
    # StringEquals: exact and case-sensitive; several values are OR; a missing key fails.
    pytest.param({"StringEquals": {"aws:ResourceTag/Team": "ops"}}, {TEAM: "ops"}, True, id="StringEquals-true"),
    pytest.param({"StringEquals": {"aws:ResourceTag/Team": "ops"}}, {TEAM: "Ops"}, False, id="StringEquals-case"),
    pytest.param({"StringEquals": {"aws:ResourceTag/Team": ["db", "ops"]}}, {TEAM: "ops"}, True, id="values-or"),
    pytest.param({"StringEquals": {"aws:ResourceTag/Team": "ops"}}, {}, False, id="StringEquals-missing"),
    pytest.param({"StringEquals": {"aws:ResourceTag/Team": "o*"}}, {TEAM: "ops"}, False, id="StringEquals-no-glob"),
    # StringNotEquals: NOR of the values; a missing key holds.
    pytest.param({"StringNotEquals": {"aws:ResourceTag/Team": "ops"}}, {TEAM: "db"}, True, id="StringNotEquals-true"),
    pytest.param(
        {"StringNotEquals": {"aws:ResourceTag/Team": ["db", "ops"]}}, {TEAM: "ops"}, False, id="StringNotEquals-false"
    ),
    pytest.param({"StringNotEquals": {"aws:ResourceTag/Team": "ops"}}, {}, True, id="StringNotEquals-missing"),
    # StringLike and StringNotLike: wildcards over the whole value, case-sensitive.
    pytest.param({"StringLike": {"aws:ResourceTag/Team": "o?s*"}}, {TEAM: "ops-eu"}, True, id="StringLike-true"),
    pytest.param({"StringLike": {"aws:ResourceTag/Team": "O*"}}, {TEAM: "ops"}, False, id="StringLike-false"),
    pytest.param({"StringLike": {"aws:ResourceTag/Team": "*"}}, {}, False, id="StringLike-missing"),
    pytest.param({"StringNotLike": {"aws:ResourceTag/Team": "o*"}}, {TEAM: "db"}, True, id="StringNotLike-true"),
    pytest.param({"StringNotLike": {"aws:ResourceTag/Team": "o*"}}, {TEAM: "ops"}, False, id="StringNotLike-false"),
    pytest.param({"StringNotLike": {"aws:ResourceTag/Team": "*"}}, {}, True, id="StringNotLike-missing"),
    # ARN operators: part by part, case-sensitive; ArnEquals takes wildcards like ArnLike.
    pytest.param(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/resp*"}}, {PRINCIPAL: ROLE}, True, id="ArnLike-true"
    ),
    pytest.param(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Resp*"}}, {PRINCIPAL: ROLE}, False, id="ArnLike-case"
    ),
    pytest.param(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}},
        {PRINCIPAL: "arn:aws:iam:us-east-1"},
        False,
        id="ArnLike-value-not-an-arn",
    ),
    pytest.param(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam:*:role/a:b"}},
        {PRINCIPAL: ROLE_WITH_COLON},
        False,
        id="ArnLike-star-stays-in-its-part",
    ),
    pytest.param(
        {"StringLike": {"aws:PrincipalArn": "arn:aws:iam:*:role/a:b"}},
        {PRINCIPAL: ROLE_WITH_COLON},
        True,
        id="StringLike-star-crosses-colons",
    ),
    pytest.param({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}}, {}, False, id="ArnLike-missing"),
    pytest.param({"ArnEquals": {"aws:PrincipalArn": ROLE}}, {PRINCIPAL: ROLE}, True, id="ArnEquals-true"),
    pytest.param(
        {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/?esponder"}},
        {PRINCIPAL: ROLE},
        True,
        id="ArnEquals-wildcard",
    ),
    pytest.param({"ArnEquals": {"aws:PrincipalArn": ROLE}}, {PRINCIPAL: ROLE + "2"}, False, id="ArnEquals-false"),
    pytest.param({"ArnEquals": {"aws:PrincipalArn": ROLE}}, {}, False, id="ArnEquals-missing"),
    pytest.param(
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, {PRINCIPAL: ROLE}, True, id="ArnNotLike-true"
    ),
    pytest.param(
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, {PRINCIPAL: ROLE}, False, id="ArnNotLike-false"
    ),
    pytest.param({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, {}, True, id="ArnNotLike-missing"),
    pytest.param({"ArnNotEquals": {"aws:PrincipalArn": ROLE}}, {PRINCIPAL: ROLE + "2"}, True, id="ArnNotEquals-true"),
    pytest.param({"ArnNotEquals": {"aws:PrincipalArn": ROLE}}, {PRINCIPAL: ROLE}, False, id="ArnNotEquals-false"),
    pytest.param({"ArnNotEquals": {"aws:PrincipalArn": ROLE}}, {}, True, id="ArnNotEquals-missing"),
    # Bool: "true"/"false" in any case, or a JSON boolean, against the request's boolean.
    pytest.param({"Bool": {"aws:SecureTransport": "true"}}, {SECURE: True}, True, id="Bool-true"),
    pytest.param({"Bool": {"aws:SecureTransport": "TRUE"}}, {SECURE: True}, True, id="Bool-any-case"),
    pytest.param({"Bool": {"aws:SecureTransport": True}}, {SECURE: True}, True, id="Bool-json-boolean"),
    pytest.param({"Bool": {"aws:SecureTransport": "true"}}, {SECURE: False}, False, id="Bool-false"),
    pytest.param({"Bool": {"aws:SecureTransport": "false"}}, {SECURE: False}, True, id="Bool-false-wanted"),
    pytest.param({"Bool": {"aws:SecureTransport": "false"}}, {}, False, id="Bool-missing"),
    # Null: "true" holds when the key is absent, "false" when present.
    pytest.param({"Null": {"aws:ResourceTag/Team": "true"}}, {}, True, id="Null-true-absent"),
    pytest.param({"Null": {"aws:ResourceTag/Team": "true"}}, {TEAM: "ops"}, False, id="Null-true-present"),
    pytest.param({"Null": {"aws:ResourceTag/Team": "false"}}, {TEAM: "ops"}, True, id="Null-false-present"),
    pytest.param({"Null": {"aws:ResourceTag/Team": False}}, {}, False, id="Null-false-absent"),
    pytest.param({"Null": {"aws:TagKeys": "true"}}, {KEYS: []}, True, id="Null-empty-list-is-absent"),
    # Set operators on aws:TagKeys: ForAllValues holds on no values, ForAnyValue fails on them.
    pytest.param(
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["Team", "Env"]}},
        {KEYS: ["Team"]},
        True,
        id="ForAllValues-subset",
    ),
    pytest.param(
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["Team", "Env"]}},
        {KEYS: ["Team", "Cost"]},
        False,
        id="ForAllValues-one-outside",
    ),
    pytest.param({"ForAllValues:StringEquals": {"aws:TagKeys": "Team"}}, {KEYS: []}, True, id="ForAllValues-empty"),
    pytest.param({"ForAllValues:StringEquals": {"aws:TagKeys": "Team"}}, {}, True, id="ForAllValues-absent"),
    pytest.param(
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Team", "Env"]}},
        {KEYS: ["Cost", "Env"]},
        True,
        id="ForAnyValue-one",
    ),
    pytest.param({"ForAnyValue:StringEquals": {"aws:TagKeys": "Team"}}, {KEYS: ["Cost"]}, False, id="ForAnyValue-none"),
    pytest.param({"ForAnyValue:StringEquals": {"aws:TagKeys": "Team"}}, {KEYS: []}, False, id="ForAnyValue-empty"),
    pytest.param({"ForAnyValue:StringEquals": {"aws:TagKeys": "Team"}}, {}, False, id="ForAnyValue-absent"),
    pytest.param(
        {"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}},
        {KEYS: ["team-a", "team-b"]},
        True,
        id="ForAllValues-StringLike",
    ),
    pytest.param(
        {"ForAnyValue:StringLike": {"aws:TagKeys": "team-*"}},
        {KEYS: ["Team-a"]},
        False,
        id="ForAnyValue-StringLike-case",
    ),
    pytest.param(
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": "Secret"}},
        {KEYS: ["Team", "Env"]},
        True,
        id="ForAllValues-negated-true",
    ),
    pytest.param(
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": "Secret"}},
        {KEYS: ["Team", "Secret"]},
        False,
        id="ForAllValues-negated-false",
    ),
    pytest.param(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "Secret"}},
        {KEYS: ["Secret", "Team"]},
        True,
        id="ForAnyValue-negated-true",
    ),
    pytest.param(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "Secret"}},
        {KEYS: ["Secret"]},
        False,
        id="ForAnyValue-negated-false",
    ),
    pytest.param(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "Secret"}}, {}, False, id="ForAnyValue-negated-absent"
    ),
    pytest.param(
        {"ForAllValues:StringEquals": {"aws:TagKeys": "Team"}}, {KEYS: "Team"}, True, id="set-operator-one-value"
    ),
    # A plain operator on a request with several values: the positive form wants one of them, the negated none.
    pytest.param({"StringEquals": {"aws:TagKeys": "Team"}}, {KEYS: ["Env", "Team"]}, True, id="plain-list-any"),
    pytest.param({"StringNotEquals": {"aws:TagKeys": "Team"}}, {KEYS: ["Env", "Team"]}, False, id="plain-list-none"),
    pytest.param({"StringEquals": {"aws:TagKeys": "Team"}}, {KEYS: []}, False, id="plain-empty-list-is-absent"),
    # Every operator and every key must hold.
    pytest.param(
        {"StringEquals": {"aws:ResourceTag/Team": "ops", "aws:PrincipalAccount": ACCOUNT}},
        {TEAM: "ops", OWNER: ACCOUNT},
        True,
        id="keys-and",
    ),
    pytest.param(
        {"StringEquals": {"aws:ResourceTag/Team": "ops", "aws:PrincipalAccount": ACCOUNT}},
        {TEAM: "ops"},
        False,
        id="keys-and-one-missing",
    ),
    pytest.param(
        {"StringEquals": {"aws:ResourceTag/Team": "ops"}, "Bool": {"aws:SecureTransport": "true"}},
        {TEAM: "ops", SECURE: False},
        False,
        id="operators-and",
    ),
    pytest.param(
        {"StringEquals": {"aws:ResourceTag/Team": "ops"}, "Bool": {"aws:SecureTransport": "true"}},
        {TEAM: "ops", SECURE: True},
        True,
        id="operators-and-both",
    ),
    # Key names are case-insensitive: looked up lower-cased, the tag key part as written.
    pytest.param({"StringEquals": {"AWS:PRINCIPALACCOUNT": ACCOUNT}}, {OWNER: ACCOUNT}, True, id="key-lower-cased"),
    pytest.param({"StringEquals": {"AWS:ResourceTAG/Team": "ops"}}, {TEAM: "ops"}, True, id="tag-prefix-lower-cased"),
    pytest.param(
        {"StringEquals": {"aws:RequestTag/Env": "prod"}}, {"aws:requesttag/Env": "prod"}, True, id="request-tag"
    ),
    pytest.param({}, {}, True, id="empty-condition-block"),
]


@pytest.mark.parametrize(("condition", "values", "holds"), CONDITIONS)
def test_condition_operators_decide_as_iam_does(
    condition: dict[str, Any], values: dict[str, Value], holds: bool
) -> None:
    """One Allow statement with the condition: allowed exactly when the condition holds."""
    policy = parse(document(statement("Allow", GET, Condition=condition)), "p")
    assert evaluate([policy], GET, PLAN, Context(values)) == (allowed("Statement[0]") if holds else IMPLICIT)


def test_a_deny_on_a_negated_operator_applies_when_the_key_is_missing() -> None:
    """Deny unless tagged Team=ops: an untagged plan is denied, as in IAM."""
    policy = parse(
        document(
            statement("Allow", GET),
            statement("Deny", GET, Sid="OpsOnly", Condition={"StringNotEquals": {"aws:ResourceTag/Team": "ops"}}),
        ),
        "p",
    )
    assert evaluate([policy], GET, PLAN, Context()) == denied("p", "OpsOnly")
    assert evaluate([policy], GET, PLAN, Context({TEAM: "db"})) == denied("p", "OpsOnly")
    assert evaluate([policy], GET, PLAN, Context({TEAM: "ops"})) == allowed("Statement[0]")


def test_a_statement_whose_condition_fails_leaves_the_decision_to_the_others() -> None:
    """The first Allow whose condition holds names the allow; one that reads resource tags is tried last."""
    policy = parse(
        document(
            statement("Allow", GET, Sid="Tagged", Condition={"StringEquals": {"aws:ResourceTag/Team": "ops"}}),
            statement("Allow", GET, Sid="Secure", Condition={"Bool": {"aws:SecureTransport": "true"}}),
        ),
        "p",
    )
    assert evaluate([policy], GET, PLAN, Context({SECURE: True})) == allowed("Secure")
    assert evaluate([policy], GET, PLAN, Context({TEAM: "ops", SECURE: True})) == allowed("Secure")
    assert evaluate([policy], GET, PLAN, Context({TEAM: "ops", SECURE: False})) == allowed("Tagged")
    assert evaluate([policy], GET, PLAN, Context({SECURE: False})) == IMPLICIT


class CountingContext(Context):
    """A context that counts the look-ups of resource tags (each a database query in the server)."""

    def __init__(self, values: dict[str, Value]) -> None:
        """Values as for Context, and no look-ups yet."""
        super().__init__(values)
        self.tag_reads = 0

    def value(self, key: str) -> Value | None:
        """The value, counting a look-up of a resource tag."""
        if key.startswith("aws:resourcetag/"):
            self.tag_reads += 1
        return super().value(key)


def test_resource_tags_are_read_only_when_the_decision_needs_them() -> None:
    tagged_allow = statement("Allow", GET, Sid="Tagged", Condition={"StringEquals": {"aws:ResourceTag/Team": "ops"}})
    policy = parse(document(tagged_allow, statement("Allow", GET, Sid="Plain")), "p")
    guarded = parse(
        document(
            statement("Allow", GET, Sid="Plain"),
            statement("Deny", GET, Sid="NotOps", Condition={"StringNotEquals": {"aws:ResourceTag/Team": "ops"}}),
        ),
        "q",
    )

    cheap = CountingContext({TEAM: "ops"})
    assert evaluate([policy], GET, PLAN, cheap) == allowed("Plain")
    assert cheap.tag_reads == 0
    # A Deny must always be looked at, tags and all.
    denying = CountingContext({TEAM: "dev"})
    assert evaluate([guarded], GET, PLAN, denying).explicit_deny
    assert denying.tag_reads == 1


# --- matches ---------------------------------------------------------------------------------------------------

MATCHES = [
    pytest.param("*", "", True, True, id="star-empty"),
    pytest.param("*", "*", True, True, id="star-star"),
    pytest.param("a*", "a", True, True, id="star-zero-chars"),
    pytest.param("a*c", "abbbc", True, True, id="star-run"),
    pytest.param("a*c", "abbbcd", True, False, id="whole-value"),
    pytest.param("a?c", "abc", True, True, id="question-one"),
    pytest.param("a?c", "ac", True, False, id="question-not-zero"),
    pytest.param("a?c", "abbc", True, False, id="question-not-two"),
    pytest.param("a**b", "ab", True, True, id="stars-run"),
    pytest.param("ABC", "abc", True, False, id="case-sensitive"),
    pytest.param("ABC", "abc", False, True, id="case-insensitive"),
    pytest.param("a*C", "AbbC", False, True, id="case-insensitive-star"),
    pytest.param("a.c", "abc", True, False, id="dot-literal"),
    pytest.param("a.c*", "abcd", True, False, id="dot-literal-with-star"),
    pytest.param("a.c*", "a.cd", True, True, id="dot-itself-with-star"),
    pytest.param("a+?", "aab", True, False, id="plus-literal-with-question"),
    pytest.param("[ab]*", "a", True, False, id="brackets-literal-with-star"),
    pytest.param("(a|b)*", "a", True, False, id="alternation-literal-with-star"),
    pytest.param("*a$", "ba", True, False, id="dollar-literal-with-star"),
    pytest.param("*a{2}", "aa", True, False, id="braces-literal-with-star"),
    pytest.param("a.c", "a.c", True, True, id="dot-itself"),
    pytest.param("a+", "aa", True, False, id="plus-literal"),
    pytest.param("[ab]", "a", True, False, id="brackets-literal"),
    pytest.param("[ab]", "[ab]", True, True, id="brackets-itself"),
    pytest.param("(a|b)*", "a", True, False, id="alternation-literal"),
    pytest.param("^a$", "^a$", True, True, id="anchors-literal"),
    pytest.param("a\\d", "a1", True, False, id="backslash-literal"),
    pytest.param("a\\d", "a\\d", True, True, id="backslash-itself"),
    pytest.param("a*", "a\nb", True, True, id="star-newline"),
    pytest.param("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", True, True, id="star-across-slash"),
]


@pytest.mark.parametrize(("pattern", "value", "case_sensitive", "expected"), MATCHES)
def test_iam_wildcards(pattern: str, value: str, case_sensitive: bool, expected: bool) -> None:
    """`*` any run, `?` one character, everything else (regex syntax included) literal."""
    assert matches(pattern, value, case_sensitive=case_sensitive) is expected


# --- parse -----------------------------------------------------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    """An allowing document whose one statement has these elements changed (None removes one)."""
    changed = statement("Allow", GET) | changes
    return document({key: value for key, value in changed.items() if value is not None})


def _condition(condition: Any) -> dict[str, Any]:
    """An allowing document whose one statement has this Condition block."""
    return _with(Condition=condition)


REFUSALS = [
    pytest.param(
        '{"Version": "2012-10-17", ',
        "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 27 (char 26)",
        id="bad-json",
    ),
    pytest.param("[]", "the document is not a JSON object", id="not-an-object"),
    pytest.param(
        '{"Version": "2012-10-17", "Version": "2012-10-17"}',
        "Version: appears twice in the same JSON object",
        id="duplicate-name",
    ),
    pytest.param(
        {"Statement": [statement("Allow")]},
        "Version: missing: incidentd evaluates Version '2012-10-17' policies only",
        id="no-version",
    ),
    pytest.param(
        {"Version": "2008-10-17", "Statement": [statement("Allow")]},
        "Version: '2008-10-17' is not evaluated: incidentd evaluates Version '2012-10-17' policies only",
        id="old-version",
    ),
    pytest.param(
        {"Version": "2012-10-17", "Statment": []},
        "Statment: not a top-level policy element (Version, Id, Statement)",
        id="unknown-top-level",
    ),
    pytest.param({"Version": "2012-10-17"}, "Statement: missing", id="no-statement"),
    pytest.param(document(), "Statement: not a statement or a non-empty list of them", id="empty-statement"),
    pytest.param(
        {"Version": "2012-10-17", "Id": 7, "Statement": [statement("Allow")]}, "Id: not a string", id="id-number"
    ),
    pytest.param(document("Allow"), "Statement[0]: not a JSON object", id="statement-string"),
    pytest.param(_with(Actions=GET), "Statement[0].Actions: not a statement element", id="unknown-element"),
    pytest.param(
        _with(Principal={"AWS": ROLE}),
        "Statement[0].Principal: not allowed in an identity policy (it applies to its holder)",
        id="principal",
    ),
    pytest.param(
        _with(NotPrincipal="*"),
        "Statement[0].NotPrincipal: not allowed in an identity policy (it applies to its holder)",
        id="not-principal",
    ),
    pytest.param(
        _with(NotAction=DELETE),
        "Statement[0]: has both of Action and NotAction: it needs exactly one",
        id="action-and-not-action",
    ),
    pytest.param(
        _with(Action=None), "Statement[0]: has neither of Action and NotAction: it needs exactly one", id="no-action"
    ),
    pytest.param(
        _with(NotResource=PLAN),
        "Statement[0]: has both of Resource and NotResource: it needs exactly one",
        id="resource-and-not",
    ),
    pytest.param(
        _with(Resource=None),
        "Statement[0]: has neither of Resource and NotResource: it needs exactly one",
        id="no-resource",
    ),
    pytest.param(_with(Effect="allow"), "Statement[0].Effect: 'allow' is neither 'Allow' nor 'Deny'", id="effect-case"),
    pytest.param(_with(Effect=None), "Statement[0].Effect: None is neither 'Allow' nor 'Deny'", id="no-effect"),
    pytest.param(_with(Sid=3), "Statement[0].Sid: not a string", id="sid-number"),
    pytest.param(
        document(statement("Allow", Sid="A"), statement("Deny", Sid="A")),
        "Statement[1].Sid: 'A' is the Sid of an earlier statement (IAM wants them unique)",
        id="sid-twice",
    ),
    pytest.param(
        _with(Action=5), "Statement[0].Action: not a string or a non-empty list of strings", id="action-number"
    ),
    pytest.param(_with(Action=[GET, 5]), "Statement[0].Action[1]: not a string", id="action-list-number"),
    pytest.param(
        _with(Action=[]), "Statement[0].Action: not a string or a non-empty list of strings", id="action-empty-list"
    ),
    pytest.param(
        _with(Action="GetResponsePlan"),
        "Statement[0].Action: 'GetResponsePlan' is not an action: 'service:Operation' or '*'",
        id="action-no-service",
    ),
    pytest.param(
        _with(Resource={"arn": PLAN}),
        "Statement[0].Resource: not a string or a non-empty list of strings",
        id="resource-object",
    ),
    pytest.param(
        _with(Resource=["*", "response-plan/web"]),
        "Statement[0].Resource[1]: 'response-plan/web' is not a resource: an ARN or '*'",
        id="resource-not-arn",
    ),
    pytest.param(
        _with(Action="ssm-incidents:${aws:username}"),
        "Statement[0].Action: 'ssm-incidents:${aws:username}' has a policy variable, which incidentd does "
        "not substitute",
        id="variable-action",
    ),
    pytest.param(
        _with(Resource=[f"{PLANS}/${{aws:username}}"]),
        f"Statement[0].Resource[0]: '{PLANS}/${{aws:username}}' has a policy variable, which incidentd does "
        "not substitute",
        id="variable-resource",
    ),
    pytest.param(
        _with(Resource=None, NotResource=f"{PLANS}/${{*}}"),
        f"Statement[0].NotResource: '{PLANS}/${{*}}' has a policy variable, which incidentd does not substitute",
        id="variable-not-resource",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}}),
        "Statement[0].Condition.StringEquals.aws:ResourceTag/Owner: '${aws:username}' has a policy variable, "
        "which incidentd does not substitute",
        id="variable-condition-value",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:ResourceTag/${aws:username}": "x"}}),
        "Statement[0].Condition.StringEquals: 'aws:ResourceTag/${aws:username}' has a policy variable, "
        "which incidentd does not substitute",
        id="variable-condition-key",
    ),
    pytest.param(
        _condition([]), "Statement[0].Condition: not a JSON object of condition operators", id="condition-list"
    ),
    pytest.param(
        _condition({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}),
        "Statement[0].Condition: operator 'DateGreaterThan' is not evaluated by incidentd",
        id="date",
    ),
    pytest.param(
        _condition({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        "Statement[0].Condition: operator 'NumericLessThan' is not evaluated by incidentd",
        id="numeric",
    ),
    pytest.param(
        _condition({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        "Statement[0].Condition: operator 'IpAddress' is not evaluated by incidentd",
        id="ip",
    ),
    pytest.param(
        _condition({"StringEqualsIfExists": {"aws:ResourceTag/Team": "ops"}}),
        "Statement[0].Condition: operator 'StringEqualsIfExists' is not evaluated by incidentd",
        id="ifexists",
    ),
    pytest.param(
        _condition({"StringEqualsIgnoreCase": {"aws:ResourceTag/Team": "ops"}}),
        "Statement[0].Condition: operator 'StringEqualsIgnoreCase' is not evaluated by incidentd",
        id="ignore-case",
    ),
    pytest.param(
        _condition({"ForAllValues:Null": {"aws:TagKeys": "true"}}),
        "Statement[0].Condition: operator 'ForAllValues:Null' is not evaluated by incidentd",
        id="set-null",
    ),
    pytest.param(
        _condition({"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}),
        "Statement[0].Condition: operator 'ForSomeValues:StringEquals' is not evaluated by incidentd",
        id="unknown-set-prefix",
    ),
    pytest.param(
        _condition({"stringequals": {"aws:TagKeys": "a"}}),
        "Statement[0].Condition: operator 'stringequals' is not evaluated by incidentd",
        id="operator-case",
    ),
    pytest.param(
        _condition({"StringEquals": "ops"}),
        "Statement[0].Condition.StringEquals: not a JSON object of condition keys",
        id="operator-string",
    ),
    pytest.param(
        _condition({"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"}}),
        "Statement[0].Condition: operator 'ForAnyValue:StringLikeIfExists' is not evaluated by incidentd",
        id="set-ifexists",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:SourceIp": "10.0.0.1"}}),
        "Statement[0].Condition.StringEquals: key 'aws:SourceIp' is not evaluated by incidentd",
        id="unknown-key",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:PrincipalTag/Team": "ops"}}),
        "Statement[0].Condition.StringEquals: key 'aws:PrincipalTag/Team' is not evaluated by incidentd",
        id="principal-tag",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:ResourceTag/": "ops"}}),
        "Statement[0].Condition.StringEquals: key 'aws:ResourceTag/' is not evaluated by incidentd",
        id="tag-key-empty",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:PrincipalAccount": 111122223333}}),
        "Statement[0].Condition.StringEquals.aws:PrincipalAccount: 111122223333 is not a string or a boolean "
        "(lists of them are fine)",
        id="value-number",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:ResourceTag/Team": ["ops", None]}}),
        "Statement[0].Condition.StringEquals.aws:ResourceTag/Team: None is not a string or a boolean "
        "(lists of them are fine)",
        id="value-list-null",
    ),
    pytest.param(
        _condition({"StringEquals": {"aws:ResourceTag/Team": {"v": "ops"}}}),
        "Statement[0].Condition.StringEquals.aws:ResourceTag/Team: {'v': 'ops'} is not a string or a boolean "
        "(lists of them are fine)",
        id="value-object",
    ),
    pytest.param(
        _condition({"Bool": {"aws:SecureTransport": "yes"}}),
        "Statement[0].Condition.Bool.aws:SecureTransport: Bool takes 'true' or 'false', not 'yes'",
        id="bool-value",
    ),
    pytest.param(
        _condition({"Null": {"aws:ResourceTag/Team": "absent"}}),
        "Statement[0].Condition.Null.aws:ResourceTag/Team: Null takes 'true' or 'false', not 'absent'",
        id="null-value",
    ),
    pytest.param(
        _condition({"ArnLike": {"aws:PrincipalArn": "role/responder"}}),
        "Statement[0].Condition.ArnLike.aws:PrincipalArn: 'role/responder' is not an ARN "
        "(arn:partition:service:region:account:resource)",
        id="arn-value",
    ),
]


@pytest.mark.parametrize(("source", "message"), REFUSALS)
def test_parse_refuses_what_it_does_not_evaluate_and_names_the_place(source: Any, message: str) -> None:
    """The whole message, so that the place it names is checked too."""
    with pytest.raises(PolicyError) as refused:
        parse(source, "ops")
    assert str(refused.value) == f"policy 'ops': {message}"


def test_a_yaml_date_version_is_refused_with_a_hint() -> None:
    """YAML reads an unquoted 2012-10-17 as a date; the refusal says to quote it."""
    with pytest.raises(PolicyError, match=r"Version: datetime\.date\(2012, 10, 17\) is not evaluated: .*quote it"):
        parse({"Version": datetime.date(2012, 10, 17), "Statement": [statement("Allow")]}, "ops")


def test_parse_reads_a_string_or_a_mapping_alike_and_keeps_the_document() -> None:
    """JSON text and a mapping give equal policies; the document is kept as given."""
    source = {
        "Version": "2012-10-17",
        "Id": "ops-policy",
        "Statement": {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "ssm-incidents:Get*",
            "Resource": [PLAN, "*"],
            "Condition": {"Bool": {"aws:SecureTransport": True}, "Null": {"aws:ResourceTag/Team": "FALSE"}},
        },
    }
    from_text = parse(json.dumps(source), "ops")
    from_mapping = parse(source, "ops")
    assert from_text == from_mapping
    assert from_text.document == source and from_text.name == "ops"
    (read,) = from_text.statements
    assert (read.sid, read.effect, read.actions, read.resources) == (
        "Read",
        "Allow",
        ("ssm-incidents:Get*",),
        (PLAN, "*"),
    )
    assert read.conditions == (("Bool", SECURE, ("true",)), ("Null", TEAM, ("false",)))
    assert isinstance(from_text, Policy) and hash(from_text) == hash(from_mapping)
