"""CreateDocument, GetDocument, DescribeDocument, UpdateDocument, UpdateDocumentDefaultVersion, DeleteDocument."""

from __future__ import annotations

import json

import yaml
from ssm_support import PAUSE_YAML, REQUIRED_JSON, pause_document

from support import refused, status_of

BUILTIN = "AWSIncidents-CriticalIncidentRunbookTemplate"


def test_create_describes_version_one(ssm, account):
    description = pause_document(ssm, DisplayName="Wait for me", VersionName="first", Tags=[{"Key": "t", "Value": "1"}])

    assert description["Name"] == "wait-for-me"
    assert description["Owner"] == account.account_id
    assert description["DocumentVersion"] == description["LatestVersion"] == description["DefaultVersion"] == "1"
    assert description["DocumentType"] == "Automation"
    assert description["SchemaVersion"] == "0.3"
    assert description["DocumentFormat"] == "YAML"
    assert description["Status"] == "Active"
    assert description["DisplayName"] == "Wait for me"
    assert description["VersionName"] == "first"
    assert description["Description"] == "Waits for a person."
    assert description["Tags"] == [{"Key": "t", "Value": "1"}]
    assert description["HashType"] == "Sha256" and len(description["Hash"]) == 64
    params = {p["Name"]: p for p in description["Parameters"]}
    assert params["Message"] == {
        "Name": "Message",
        "Type": "String",
        "Description": "What to say.",
        "DefaultValue": "hello",
    }
    assert params["Count"]["DefaultValue"] == "1"


def test_get_returns_the_content_as_written_and_converted(ssm):
    pause_document(ssm)

    as_written = ssm.get_document(Name="wait-for-me")
    as_json = ssm.get_document(Name="wait-for-me", DocumentFormat="JSON")

    assert as_written["Content"] == PAUSE_YAML
    assert as_written["DocumentFormat"] == "YAML" and as_written["DocumentVersion"] == "1"
    assert json.loads(as_json["Content"]) == yaml.safe_load(PAUSE_YAML)
    assert as_json["DocumentFormat"] == "JSON"


def test_json_content_and_an_omitted_format(ssm):
    created = ssm.create_document(Name="needs-target", Content=REQUIRED_JSON, DocumentType="Automation")
    yaml_without_format = ssm.create_document(Name="yaml-no-format", Content=PAUSE_YAML)

    assert created["DocumentDescription"]["DocumentFormat"] == "JSON"
    assert yaml_without_format["DocumentDescription"]["DocumentFormat"] == "YAML"
    assert yaml.safe_load(ssm.get_document(Name="needs-target", DocumentFormat="YAML")["Content"]) == json.loads(
        REQUIRED_JSON
    )


def test_the_document_arn_names_it_too(ssm, account):
    pause_document(ssm)
    arn = f"arn:aws:ssm:us-east-1:{account.account_id}:document/wait-for-me"

    assert ssm.describe_document(Name=arn)["Document"]["Name"] == "wait-for-me"


def test_update_adds_a_version_and_keeps_the_default(ssm):
    pause_document(ssm)
    changed = PAUSE_YAML.replace("Waits for a person.", "Still waits.")

    updated = ssm.update_document(Name="wait-for-me", Content=changed, DocumentVersion="$LATEST", VersionName="two")

    description = updated["DocumentDescription"]
    assert description["DocumentVersion"] == description["LatestVersion"] == "2"
    assert description["DefaultVersion"] == "1"
    assert ssm.get_document(Name="wait-for-me")["DocumentVersion"] == "1"
    assert ssm.get_document(Name="wait-for-me", DocumentVersion="$LATEST")["Content"] == changed
    assert ssm.get_document(Name="wait-for-me", VersionName="two")["DocumentVersion"] == "2"
    assert ssm.describe_document(Name="wait-for-me", DocumentVersion="2")["Document"]["Description"] == "Still waits."


def test_default_version_moves(ssm):
    pause_document(ssm, VersionName="one")
    ssm.update_document(Name="wait-for-me", Content=PAUSE_YAML.replace("hello", "hi"), DocumentVersion="1")

    moved = ssm.update_document_default_version(Name="wait-for-me", DocumentVersion="2")["Description"]

    assert moved == {"Name": "wait-for-me", "DefaultVersion": "2"}
    assert ssm.get_document(Name="wait-for-me")["DocumentVersion"] == "2"
    assert ssm.describe_document(Name="wait-for-me")["Document"]["DefaultVersion"] == "2"


def test_update_refusals(ssm):
    pause_document(ssm, VersionName="one")
    ssm.update_document(Name="wait-for-me", Content=PAUSE_YAML.replace("hello", "hi"))

    old = refused(ssm.update_document, Name="wait-for-me", Content=PAUSE_YAML, DocumentVersion="1")
    same = refused(ssm.update_document, Name="wait-for-me", Content=PAUSE_YAML.replace("hello", "hi"))
    taken = refused(
        ssm.update_document, Name="wait-for-me", Content=PAUSE_YAML.replace("hello", "x"), VersionName="one"
    )
    missing = refused(ssm.update_document, Name="not-there", Content=PAUSE_YAML)

    assert old["Error"]["Code"] == "InvalidDocumentVersion"
    assert same["Error"]["Code"] == "DuplicateDocumentContent"
    assert taken["Error"]["Code"] == "DuplicateDocumentVersionName"
    assert missing["Error"]["Code"] == "InvalidDocument"


def test_create_refusals(ssm):
    pause_document(ssm)

    cases = {
        "DocumentAlreadyExists": {"Name": "wait-for-me", "Content": PAUSE_YAML},
        "InvalidDocumentSchemaVersion": {"Name": "old-schema", "Content": PAUSE_YAML.replace("'0.3'", "'0.2'")},
        "InvalidDocumentContent": {"Name": "broken", "Content": "mainSteps: [", "DocumentFormat": "YAML"},
    }
    for code, params in cases.items():
        assert refused(ssm.create_document, **params)["Error"]["Code"] == code, code
    command = refused(ssm.create_document, Name="a-command", Content=PAUSE_YAML, DocumentType="Command")
    no_steps = refused(ssm.create_document, Name="no-steps", Content="schemaVersion: '0.3'\nmainSteps: []\n")
    bad_next = refused(
        ssm.create_document,
        Name="bad-next",
        Content=PAUSE_YAML.replace("inputs: {}", "inputs: {}\n    nextStep: Nowhere"),
    )
    assert command["Error"]["Code"] == "InvalidDocumentContent"
    assert "Automation" in command["Error"]["Message"]
    assert no_steps["Error"]["Code"] == "InvalidDocumentContent"
    assert "Nowhere" in bad_next["Error"]["Message"]
    assert status_of(command) == 400


def test_model_constraints_and_reserved_names_are_validation_errors(ssm):
    bad_name = refused(ssm.create_document, Name="no spaces allowed", Content=PAUSE_YAML)
    reserved = refused(ssm.create_document, Name="AWS-Mine", Content=PAUSE_YAML)

    assert bad_name["Error"]["Code"] == "ValidationException"
    assert reserved["Error"]["Code"] == "ValidationException"


def test_get_refusals(ssm):
    pause_document(ssm)

    assert refused(ssm.get_document, Name="not-there")["Error"]["Code"] == "InvalidDocument"
    assert (
        refused(ssm.get_document, Name="wait-for-me", DocumentVersion="7")["Error"]["Code"] == "InvalidDocumentVersion"
    )
    assert refused(ssm.describe_document, Name="wait-for-me", VersionName="nope")["Error"]["Code"] == (
        "InvalidDocumentVersion"
    )
    assert refused(ssm.describe_document, Name="not-there")["Error"]["Code"] == "InvalidDocument"


def test_delete_one_version_then_the_document(ssm):
    pause_document(ssm)
    ssm.update_document(Name="wait-for-me", Content=PAUSE_YAML.replace("hello", "hi"))

    default = refused(ssm.delete_document, Name="wait-for-me", DocumentVersion="1")
    ssm.delete_document(Name="wait-for-me", DocumentVersion="2")
    after_version = ssm.describe_document(Name="wait-for-me")["Document"]
    ssm.delete_document(Name="wait-for-me")

    assert default["Error"]["Code"] == "InvalidDocumentOperation"
    assert after_version["LatestVersion"] == "1"
    assert refused(ssm.get_document, Name="wait-for-me")["Error"]["Code"] == "InvalidDocument"
    assert refused(ssm.delete_document, Name="wait-for-me")["Error"]["Code"] == "InvalidDocument"


def test_the_builtin_template_is_readable_and_read_only(ssm):
    description = ssm.describe_document(Name=BUILTIN)["Document"]
    content = yaml.safe_load(ssm.get_document(Name=BUILTIN)["Content"])

    assert description["Owner"] == "Amazon"
    assert description["DocumentType"] == "Automation"
    assert [p["Name"] for p in description["Parameters"]] == ["IncidentRecordArn"]
    assert [step["name"] for step in content["mainSteps"]] == ["Triage", "Diagnosis", "Mitigation", "Recovery"]
    assert {step["action"] for step in content["mainSteps"]} == {"aws:pause"}
    assert refused(ssm.delete_document, Name=BUILTIN)["Error"]["Code"] == "InvalidDocumentOperation"
    assert refused(ssm.update_document, Name=BUILTIN, Content=PAUSE_YAML)["Error"]["Code"] == "InvalidDocumentOperation"
    assert refused(ssm.create_document, Name=BUILTIN, Content=PAUSE_YAML)["Error"]["Code"] in (
        "ValidationException",
        "DocumentAlreadyExists",
    )


def test_list_document_versions_lists_every_version_oldest_first_with_the_default_marked(ssm, account):
    pause_document(ssm, name="versioned", VersionName="first")
    second = PAUSE_YAML.replace("Waits for a person.", "Waits longer.")
    ssm.update_document(Name="versioned", Content=second, DocumentVersion="$LATEST", VersionName="second")
    third = PAUSE_YAML.replace("Waits for a person.", "Waits longest.")
    ssm.update_document(Name="versioned", Content=third, DocumentVersion="$LATEST", DocumentFormat="YAML")
    ssm.update_document_default_version(Name="versioned", DocumentVersion="2")

    pages = list(
        ssm.get_paginator("list_document_versions").paginate(Name="versioned", PaginationConfig={"PageSize": 2})
    )
    listed = [version for page in pages for version in page["DocumentVersions"]]

    assert len(pages) == 2
    assert [v["DocumentVersion"] for v in listed] == ["1", "2", "3"]
    assert [v.get("VersionName") for v in listed] == ["first", "second", None]
    assert [v["IsDefaultVersion"] for v in listed] == [False, True, False]
    assert {(v["Name"], v["DocumentFormat"], v["Status"]) for v in listed} == {("versioned", "YAML", "Active")}
    described = ssm.describe_document(Name="versioned", DocumentVersion="3")["Document"]
    assert listed[2]["CreatedDate"] == described["CreatedDate"]
    by_arn = f"arn:aws:ssm:us-east-1:{account.account_id}:document/versioned"
    assert ssm.list_document_versions(Name=by_arn)["DocumentVersions"] == listed


def test_list_document_versions_of_a_builtin_and_of_nothing(ssm):
    (only,) = ssm.list_document_versions(Name=BUILTIN)["DocumentVersions"]
    assert (only["DocumentVersion"], only["IsDefaultVersion"]) == ("1", True)
    assert refused(ssm.list_document_versions, Name="no-such-document")["Error"]["Code"] == "InvalidDocument"
