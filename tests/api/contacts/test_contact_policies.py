"""PutContactPolicy and GetContactPolicy (aws-behaviour §4.4)."""

from __future__ import annotations

import json

from support import refused, status_of


def policy_for(arn: str) -> str:
    """The shape of the model's PutContactPolicy example, for the given contact."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "SharePolicyForDocumentationDralia",
                    "Effect": "Allow",
                    "Principal": {"AWS": "222233334444"},
                    "Action": ["ssm-contacts:GetContact", "ssm-contacts:StartEngagement"],
                    "Resource": [arn, arn.replace(":contact/", ":engagement/") + "/*"],
                }
            ],
        },
        indent=1,
    )


def test_a_policy_is_stored_and_read_back_verbatim(onboarded_contacts, new_contact):
    arn = new_contact("akuam")

    response = onboarded_contacts.put_contact_policy(ContactArn=arn, Policy=policy_for(arn))

    assert status_of(response) == 200
    got = onboarded_contacts.get_contact_policy(ContactArn=arn)
    assert (got["ContactArn"], got["Policy"]) == (arn, policy_for(arn))


def test_a_new_policy_replaces_the_old_one(onboarded_contacts, new_contact):
    arn = new_contact("esc", "ESCALATION")
    onboarded_contacts.put_contact_policy(ContactArn=arn, Policy=policy_for(arn))

    onboarded_contacts.put_contact_policy(ContactArn=arn, Policy='{"Version": "2012-10-17", "Statement": []}')

    assert (
        onboarded_contacts.get_contact_policy(ContactArn=arn)["Policy"] == '{"Version": "2012-10-17", "Statement": []}'
    )


def test_a_contact_without_a_policy_answers_without_one(onboarded_contacts, new_contact):
    arn = new_contact("akuam")

    got = onboarded_contacts.get_contact_policy(ContactArn=arn)

    assert got["ContactArn"] == arn
    assert "Policy" not in got


def test_a_policy_that_is_not_a_json_object_is_refused(onboarded_contacts, new_contact):
    arn = new_contact("akuam")

    for text in ("not json", "[1, 2]", '"a string"'):
        error = refused(onboarded_contacts.put_contact_policy, ContactArn=arn, Policy=text)
        assert error["Error"]["Code"] == "ValidationException"
    assert "Policy" not in onboarded_contacts.get_contact_policy(ContactArn=arn)


def test_a_policy_of_a_missing_contact_is_not_found(onboarded_contacts, new_contact):
    missing = new_contact("akuam") + "x"

    put = refused(onboarded_contacts.put_contact_policy, ContactArn=missing, Policy=policy_for(missing))
    get = refused(onboarded_contacts.get_contact_policy, ContactArn=missing)

    assert (put["Error"]["Code"], put["ResourceType"]) == ("ResourceNotFoundException", "CONTACT")
    assert (get["Error"]["Code"], get["ResourceType"]) == ("ResourceNotFoundException", "CONTACT")
