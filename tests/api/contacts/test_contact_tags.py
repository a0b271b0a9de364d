"""TagResource, UntagResource and ListTagsForResource on contacts of every type and on rotations (§4.6)."""

from __future__ import annotations

import pytest

from support import refused, status_of


@pytest.fixture(params=["PERSONAL", "ESCALATION", "ONCALL_SCHEDULE", "rotation"])
def taggable(request, new_contact, new_rotation) -> str:  # type: ignore[no-untyped-def]
    """Each kind of resource that carries tags."""
    if request.param == "rotation":
        return new_rotation([new_contact("member")])  # type: ignore[no-any-return]
    return new_contact("tagged", request.param)  # type: ignore[no-any-return]


def tags_of(contacts, arn: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return contacts.list_tags_for_resource(ResourceARN=arn)["Tags"]  # type: ignore[no-any-return]


def test_a_new_resource_has_no_tags(onboarded_contacts, taggable):
    assert tags_of(onboarded_contacts, taggable) == []


def test_tags_are_added_overwritten_and_removed(onboarded_contacts, taggable):
    response = onboarded_contacts.tag_resource(
        ResourceARN=taggable, Tags=[{"Key": "team", "Value": "sre"}, {"Key": "env", "Value": "prod:eu/1"}]
    )
    onboarded_contacts.tag_resource(ResourceARN=taggable, Tags=[{"Key": "team", "Value": "platform"}])
    both = tags_of(onboarded_contacts, taggable)
    onboarded_contacts.untag_resource(ResourceARN=taggable, TagKeys=["team", "absent"])

    assert status_of(response) == 200
    assert both == [{"Key": "env", "Value": "prod:eu/1"}, {"Key": "team", "Value": "platform"}]
    assert tags_of(onboarded_contacts, taggable) == [{"Key": "env", "Value": "prod:eu/1"}]


def test_a_contact_is_tagged_when_it_is_created(onboarded_contacts, new_contact):
    arn = new_contact("akuam", Tags=[{"Key": "group1", "Value": "1"}])

    assert tags_of(onboarded_contacts, arn) == [{"Key": "group1", "Value": "1"}]


def test_fifty_tags_at_most(onboarded_contacts, taggable):
    onboarded_contacts.tag_resource(ResourceARN=taggable, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    onboarded_contacts.tag_resource(
        ResourceARN=taggable, Tags=[{"Key": "k0", "Value": "new"}, {"Key": "last", "Value": "v"}]
    )

    error = refused(onboarded_contacts.tag_resource, ResourceARN=taggable, Tags=[{"Key": "one-too-many", "Value": "v"}])

    assert error["Error"]["Code"] == "ServiceQuotaExceededException"
    assert status_of(error) == 400
    assert error["ServiceCode"] == "ssm-contacts"
    assert error["QuotaCode"]
    assert len(tags_of(onboarded_contacts, taggable)) == 50


def test_a_missing_resource_is_not_found(onboarded_contacts, new_contact, new_rotation):
    contact = new_contact("akuam")
    rotation = new_rotation([contact])
    onboarded_contacts.delete_rotation(RotationId=rotation)

    for arn, kind in ((contact + "x", "CONTACT"), (rotation, "ROTATION")):
        for call, extra in (
            (onboarded_contacts.list_tags_for_resource, {}),
            (onboarded_contacts.tag_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
            (onboarded_contacts.untag_resource, {"TagKeys": ["k"]}),
        ):
            error = refused(call, ResourceARN=arn, **extra)
            assert (error["Error"]["Code"], error["ResourceId"], error["ResourceType"]) == (
                "ResourceNotFoundException",
                arn,
                kind,
            )


def test_a_channel_cannot_carry_tags(onboarded_contacts, new_contact, new_channel):
    channel = new_channel(new_contact("akuam"))

    error = refused(onboarded_contacts.tag_resource, ResourceARN=channel, Tags=[{"Key": "k", "Value": "v"}])

    assert error["Error"]["Code"] == "ValidationException"
