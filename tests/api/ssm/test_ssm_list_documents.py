"""ListDocuments: owners, types, names, tags, pages."""

from __future__ import annotations

from ssm_support import pause_document

from support import refused

BUILTIN = "AWSIncidents-CriticalIncidentRunbookTemplate"


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [d["Name"] for d in response["DocumentIdentifiers"]]


def test_owner_filters_split_own_and_builtin(ssm, account):
    pause_document(ssm, name="mine-1")

    own = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])
    amazon = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Amazon"]}])
    everything = ssm.list_documents()
    legacy = ssm.list_documents(DocumentFilterList=[{"key": "Owner", "value": "Self"}])

    assert names(own) == names(legacy) == ["mine-1"]
    assert names(amazon) == [BUILTIN]
    assert names(everything) == [BUILTIN, "mine-1"]
    identifier = own["DocumentIdentifiers"][0]
    assert identifier["Owner"] == account.account_id
    assert identifier["DocumentType"] == "Automation" and identifier["SchemaVersion"] == "0.3"
    assert identifier["DocumentVersion"] == "1" and identifier["DocumentFormat"] == "YAML"


def test_type_name_and_tag_filters(ssm):
    pause_document(ssm, name="team-a-restart", Tags=[{"Key": "team", "Value": "a"}])
    pause_document(ssm, name="team-b-restart", Tags=[{"Key": "team", "Value": "b"}])

    automation = ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Automation"]}])
    commands = ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Command"]}])
    by_prefix = ssm.list_documents(Filters=[{"Key": "Name", "Values": ["team-a"]}])
    by_tag = ssm.list_documents(Filters=[{"Key": "tag:team", "Values": ["b"]}])
    both = ssm.list_documents(
        Filters=[{"Key": "Owner", "Values": ["Self"]}, {"Key": "SearchKeyword", "Values": ["restart"]}]
    )

    assert names(automation) == [BUILTIN, "team-a-restart", "team-b-restart"]
    assert names(commands) == []
    assert names(by_prefix) == ["team-a-restart"]
    assert names(by_tag) == ["team-b-restart"]
    assert names(both) == ["team-a-restart", "team-b-restart"]


def test_pages_follow_name_order(ssm):
    for number in range(5):
        pause_document(ssm, name=f"paged-{number}")
    own = [{"Key": "Owner", "Values": ["Self"]}]

    first = ssm.list_documents(Filters=own, MaxResults=2)
    second = ssm.list_documents(Filters=own, MaxResults=2, NextToken=first["NextToken"])
    third = ssm.list_documents(Filters=own, MaxResults=2, NextToken=second["NextToken"])
    paginated = [
        d["Name"]
        for page in ssm.get_paginator("list_documents").paginate(Filters=own)
        for d in page["DocumentIdentifiers"]
    ]

    assert names(first) + names(second) + names(third) == [f"paged-{n}" for n in range(5)]
    assert "NextToken" not in third
    assert paginated == [f"paged-{n}" for n in range(5)]


def test_bad_filters_and_tokens(ssm):
    assert refused(ssm.list_documents, Filters=[{"Key": "Colour", "Values": ["red"]}])["Error"]["Code"] == (
        "InvalidFilterKey"
    )
    assert refused(ssm.list_documents, Filters=[{"Key": "Owner", "Values": ["Nobody"]}])["Error"]["Code"] == (
        "InvalidFilterKey"
    )
    assert refused(ssm.list_documents, NextToken="not-a-token")["Error"]["Code"] == "InvalidNextToken"
    assert refused(ssm.list_documents, MaxResults=51)["Error"]["Code"] == "ValidationException"
