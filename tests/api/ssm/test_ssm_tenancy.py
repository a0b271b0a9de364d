"""Documents and executions belong to one account: another sees, changes and stops none of them."""

from __future__ import annotations

import boto3
from botocore.config import Config
from ssm_support import pause_document

from support import refused


def test_another_account_sees_no_document(ssm, other_ssm, account):
    pause_document(ssm, name="private-doc")
    arn = f"arn:aws:ssm:us-east-1:{account.account_id}:document/private-doc"

    assert refused(other_ssm.get_document, Name="private-doc")["Error"]["Code"] == "InvalidDocument"
    assert refused(other_ssm.describe_document, Name=arn)["Error"]["Code"] == "InvalidDocument"
    assert refused(other_ssm.delete_document, Name="private-doc")["Error"]["Code"] == "InvalidDocument"
    assert "private-doc" not in [d["Name"] for d in other_ssm.list_documents()["DocumentIdentifiers"]]
    start = refused(other_ssm.start_automation_execution, DocumentName=arn)
    assert start["Error"]["Code"] == "AutomationDefinitionNotFoundException"
    # The other account may use the same name for its own document.
    assert other_ssm.create_document(
        Name="private-doc", Content="schemaVersion: '0.3'\nmainSteps:\n- name: A\n  action: aws:pause\n"
    )


def test_another_account_sees_no_execution(ssm, other_ssm):
    pause_document(ssm, name="tenant-run")
    execution_id = ssm.start_automation_execution(DocumentName="tenant-run")["AutomationExecutionId"]

    for call, params in (
        (other_ssm.get_automation_execution, {}),
        (other_ssm.stop_automation_execution, {}),
        (other_ssm.send_automation_signal, {"SignalType": "Resume"}),
    ):
        assert refused(call, AutomationExecutionId=execution_id, **params)["Error"]["Code"] == (
            "AutomationExecutionNotFoundException"
        )
    listed = other_ssm.describe_automation_executions()["AutomationExecutionMetadataList"]
    assert execution_id not in [e["AutomationExecutionId"] for e in listed]
    assert ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]


def test_another_region_sees_no_document(server, account, ssm):
    pause_document(ssm, name="east-only")
    client = boto3.client(
        "ssm",
        endpoint_url=server.endpoint,
        region_name="us-west-2",
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
        config=Config(retries={"max_attempts": 1}),
    )
    assert refused(client.get_document, Name="east-only")["Error"]["Code"] == "InvalidDocument"
