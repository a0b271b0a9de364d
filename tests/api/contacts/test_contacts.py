"""CreateContact, GetContact, UpdateContact, DeleteContact and ListContacts (aws-behaviour §4.2)."""

from __future__ import annotations

import pytest

from support import refused, status_of

ACCOUNT_PATTERN = "arn:aws:ssm-contacts:us-east-1:{account}:contact/{alias}"


def stage(duration: int, *targets: dict) -> dict:  # type: ignore[type-arg]
    return {"DurationInMinutes": duration, "Targets": list(targets)}


def contact_target(arn: str, essential: bool = True) -> dict:  # type: ignore[type-arg]
    return {"ContactTargetInfo": {"ContactId": arn, "IsEssential": essential}}


def channel_target(arn: str) -> dict:  # type: ignore[type-arg]
    return {"ChannelTargetInfo": {"ContactChannelId": arn, "RetryIntervalInMinutes": 1}}


def test_a_contact_is_created_and_read_back(onboarded_contacts, account):
    response = onboarded_contacts.create_contact(
        Alias="akuam", DisplayName="Akua Mansa", Type="PERSONAL", Plan={"Stages": []}
    )

    arn = response["ContactArn"]
    assert status_of(response) == 200
    assert arn == ACCOUNT_PATTERN.format(account=account.account_id, alias="akuam")
    got = onboarded_contacts.get_contact(ContactId=arn)
    assert {k: got[k] for k in ("ContactArn", "Alias", "DisplayName", "Type", "Plan")} == {
        "ContactArn": arn,
        "Alias": "akuam",
        "DisplayName": "Akua Mansa",
        "Type": "PERSONAL",
        "Plan": {"Stages": []},
    }


def test_a_taken_alias_is_a_conflict_naming_the_contact(onboarded_contacts, new_contact):
    arn = new_contact("akuam")

    error = refused(onboarded_contacts.create_contact, Alias="akuam", Type="ESCALATION", Plan={"Stages": []})

    assert error["Error"]["Code"] == "ConflictException"
    assert status_of(error) == 400
    assert error["ResourceId"] == arn
    assert error["ResourceType"] == "CONTACT"
    assert onboarded_contacts.get_contact(ContactId=arn)["Type"] == "PERSONAL"


def test_an_escalation_plan_engages_personal_contacts_and_schedules(onboarded_contacts, new_contact):
    person = new_contact("akuam")
    schedule = new_contact("primary-schedule", "ONCALL_SCHEDULE")
    plan = {"Stages": [stage(5, contact_target(person)), stage(0, contact_target(schedule, essential=False))]}

    arn = new_contact("example_escalation", "ESCALATION", plan)

    assert onboarded_contacts.get_contact(ContactId=arn)["Plan"] == plan


@pytest.mark.parametrize(
    ("make_plan", "reason"),
    [
        pytest.param(lambda p, e: {"Stages": [stage(5, contact_target(e))]}, "can't engage the ESCALATION", id="esc"),
        pytest.param(lambda p, e: {"Stages": [stage(5, contact_target(p + "x"))]}, "does not exist", id="missing"),
        pytest.param(
            lambda p, e: {"Stages": [stage(5, contact_target(p.replace("us-east-1", "eu-west-1")))]},
            "does not exist",
            id="other-region",
        ),
        pytest.param(
            lambda p, e: {"Stages": [stage(5, {"ContactTargetInfo": {"IsEssential": True}})]}, "ContactId", id="no-id"
        ),
        pytest.param(lambda p, e: {"Stages": [stage(5, channel_target(p))]}, "ContactTargetInfo", id="channel-target"),
        pytest.param(lambda p, e: {"Stages": [stage(0)]}, "DurationInMinutes of 0", id="zero-duration-no-target"),
        pytest.param(lambda p, e: {"Stages": [stage(5, {})]}, "exactly one", id="empty-target"),
        pytest.param(lambda p, e: {"RotationIds": [p]}, "RotationIds", id="rotation-ids"),
    ],
)
def test_an_escalation_plan_that_cannot_run_is_refused(onboarded_contacts, new_contact, make_plan, reason):
    person = new_contact("akuam")
    other_plan = new_contact("other_escalation", "ESCALATION")

    error = refused(
        onboarded_contacts.create_contact, Alias="esc", Type="ESCALATION", Plan=make_plan(person, other_plan)
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].startswith("Invalid value provided - ")
    assert reason in error["Error"]["Message"]
    assert status_of(error) == 400
    assert onboarded_contacts.list_contacts(AliasPrefix="esc")["Contacts"] == []


def test_a_wait_stage_without_targets_is_allowed(onboarded_contacts, new_contact):
    arn = new_contact("esc", "ESCALATION", {"Stages": [stage(10)]})

    assert onboarded_contacts.get_contact(ContactId=arn)["Plan"] == {"Stages": [stage(10)]}


def test_a_personal_plan_engages_only_its_own_channels(onboarded_contacts, new_contact, new_channel):
    akuam, alejr = new_contact("akuam"), new_contact("alejr")
    own, foreign = new_channel(akuam), new_channel(alejr)

    onboarded_contacts.update_contact(ContactId=akuam, Plan={"Stages": [stage(5, channel_target(own))]})
    error = refused(
        onboarded_contacts.update_contact, ContactId=akuam, Plan={"Stages": [stage(5, channel_target(foreign))]}
    )
    by_contact = refused(
        onboarded_contacts.update_contact, ContactId=akuam, Plan={"Stages": [stage(5, contact_target(alejr))]}
    )

    assert error["Error"]["Code"] == "ValidationException"
    assert "is not a channel of this contact" in error["Error"]["Message"]
    assert by_contact["Error"]["Code"] == "ValidationException"
    assert "ChannelTargetInfo" in by_contact["Error"]["Message"]
    assert onboarded_contacts.get_contact(ContactId=akuam)["Plan"] == {"Stages": [stage(5, channel_target(own))]}


def test_an_on_call_schedule_takes_rotations_and_refuses_stages(onboarded_contacts, new_contact, new_rotation):
    person = new_contact("akuam")
    rotation = new_rotation([person])

    arn = new_contact("schedule", "ONCALL_SCHEDULE", {"RotationIds": [rotation]})
    error = refused(
        onboarded_contacts.update_contact, ContactId=arn, Plan={"Stages": [stage(5, contact_target(person))]}
    )

    assert onboarded_contacts.get_contact(ContactId=arn)["Plan"] == {"RotationIds": [rotation]}
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == "Invalid value provided - ONCALL SCHEDULE contact cannot have stages in plan"


def test_a_schedule_names_at_most_eight_existing_rotations(onboarded_contacts, new_contact, new_rotation):
    person = new_contact("akuam")
    rotations = [new_rotation([person], name=f"r{i}") for i in range(9)]

    too_many = refused(
        onboarded_contacts.create_contact, Alias="s", Type="ONCALL_SCHEDULE", Plan={"RotationIds": rotations}
    )
    missing = refused(
        onboarded_contacts.create_contact,
        Alias="s",
        Type="ONCALL_SCHEDULE",
        Plan={"RotationIds": [rotations[0][:-4] + "0000"]},
    )

    assert too_many["Error"]["Code"] == "ValidationException"
    assert "at most 8 rotations" in too_many["Error"]["Message"]
    assert missing["Error"]["Code"] == "ValidationException"
    assert "does not exist" in missing["Error"]["Message"]
    assert new_contact("s", "ONCALL_SCHEDULE", {"RotationIds": rotations[:8]})


def test_update_changes_only_what_it_is_given(onboarded_contacts, new_contact):
    person = new_contact("akuam", DisplayName="Akua")
    arn = new_contact("esc", "ESCALATION", {"Stages": [stage(5, contact_target(person))]}, DisplayName="Old")

    onboarded_contacts.update_contact(ContactId=arn, DisplayName="New")
    after_name = onboarded_contacts.get_contact(ContactId=arn)
    onboarded_contacts.update_contact(ContactId=arn, Plan={"Stages": [stage(1, contact_target(person, False))]})
    after_plan = onboarded_contacts.get_contact(ContactId=arn)

    assert after_name["DisplayName"] == "New"
    assert after_name["Plan"] == {"Stages": [stage(5, contact_target(person))]}
    assert after_plan["DisplayName"] == "New"
    assert after_plan["Plan"] == {"Stages": [stage(1, contact_target(person, False))]}
    assert (after_plan["Alias"], after_plan["Type"]) == ("esc", "ESCALATION")


def test_a_missing_contact_is_not_found(onboarded_contacts, account):
    arn = ACCOUNT_PATTERN.format(account=account.account_id, alias="nobody")

    for call in (onboarded_contacts.get_contact, onboarded_contacts.delete_contact):
        error = refused(call, ContactId=arn)
        assert error["Error"]["Code"] == "ResourceNotFoundException"
        assert status_of(error) == 400
        assert (error["ResourceId"], error["ResourceType"]) == (arn, "CONTACT")
    update = refused(onboarded_contacts.update_contact, ContactId=arn, DisplayName="x")
    assert update["Error"]["Code"] == "ResourceNotFoundException"


def test_delete_removes_the_contact_its_channels_policy_and_tags(
    onboarded_contacts, new_contact, new_channel, rows, account
):
    arn = new_contact("akuam", Tags=[{"Key": "team", "Value": "sre"}])
    channel = new_channel(arn)
    onboarded_contacts.put_contact_policy(ContactArn=arn, Policy='{"Version": "2012-10-17", "Statement": []}')

    onboarded_contacts.delete_contact(ContactId=arn)

    assert refused(onboarded_contacts.get_contact, ContactId=arn)["Error"]["Code"] == "ResourceNotFoundException"
    assert refused(onboarded_contacts.get_contact_channel, ContactChannelId=channel)["Error"]["Code"] == (
        "ResourceNotFoundException"
    )
    left = {
        table: rows(f"SELECT * FROM {table} WHERE account_id = :a", a=account.account_id)
        for table in ("contacts", "contact_channels", "contact_policies", "tags")
    }
    assert left == {"contacts": [], "contact_channels": [], "contact_policies": [], "tags": []}
    assert new_contact("akuam") == arn  # the alias is free again


def test_a_rotation_member_cannot_be_deleted(onboarded_contacts, new_contact, new_rotation):
    person = new_contact("akuam")
    first, second = new_rotation([person], name="a"), new_rotation([person], name="b")

    error = refused(onboarded_contacts.delete_contact, ContactId=person)

    assert error["Error"]["Code"] == "ConflictException"
    assert (error["ResourceId"], error["ResourceType"]) == (person, "CONTACT")
    assert len(error["DependentEntities"]) == 1
    assert error["DependentEntities"][0]["RelationType"] == "ROTATION_MEMBER"
    assert sorted(error["DependentEntities"][0]["DependentResourceIds"]) == sorted([first, second])
    assert onboarded_contacts.get_contact(ContactId=person)["Alias"] == "akuam"


def test_list_contacts_in_alias_order_with_filters(onboarded_contacts, new_contact):
    for alias in ("zed", "a_b", "a-b", "ab", "oncall"):
        new_contact(alias)
    new_contact("escalate", "ESCALATION")
    new_contact("a_schedule", "ONCALL_SCHEDULE")

    everything = onboarded_contacts.list_contacts()["Contacts"]
    prefixed = onboarded_contacts.list_contacts(AliasPrefix="a_")["Contacts"]
    plans = onboarded_contacts.list_contacts(Type="ESCALATION")["Contacts"]

    assert [c["Alias"] for c in everything] == ["a-b", "a_b", "a_schedule", "ab", "escalate", "oncall", "zed"]
    assert [c["Alias"] for c in prefixed] == ["a_b", "a_schedule"]  # '_' is not a wildcard
    assert [(c["Alias"], c["Type"]) for c in plans] == [("escalate", "ESCALATION")]
    assert set(everything[0]) == {"ContactArn", "Alias", "Type"}


def test_list_contacts_pages_through_every_contact_once(onboarded_contacts, new_contact):
    aliases = [f"c{i:02d}" for i in range(7)]
    for alias in reversed(aliases):
        new_contact(alias)

    pages, token = [], None
    while True:
        response = onboarded_contacts.list_contacts(MaxResults=3, **({"NextToken": token} if token else {}))
        pages.append([c["Alias"] for c in response["Contacts"]])
        token = response.get("NextToken")
        if not token:
            break

    assert pages == [aliases[0:3], aliases[3:6], aliases[6:7]]
    paginator = onboarded_contacts.get_paginator("list_contacts")
    assert [c["Alias"] for p in paginator.paginate(PaginationConfig={"PageSize": 2}) for c in p["Contacts"]] == aliases


def test_a_forged_page_token_is_refused(onboarded_contacts):
    error = refused(onboarded_contacts.list_contacts, NextToken="WzFd")  # [1]: well-formed, not an alias

    assert error["Error"]["Code"] == "ValidationException"


def test_a_retried_create_returns_the_first_contact(onboarded_contacts):
    request = {"Alias": "akuam", "Type": "PERSONAL", "Plan": {"Stages": []}, "IdempotencyToken": "retry-1"}

    first = onboarded_contacts.create_contact(**request)["ContactArn"]
    second = onboarded_contacts.create_contact(**request)["ContactArn"]

    assert first == second
    assert len(onboarded_contacts.list_contacts()["Contacts"]) == 1
