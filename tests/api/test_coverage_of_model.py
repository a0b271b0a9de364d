"""The model is the contract: every operation of a served service has a handler, and no handler is orphaned."""

from incidentd.api.registry import load_all
from incidentd.protocol import model

SERVED = [model.INCIDENTS, model.CONTACTS]


def test_every_operation_of_every_served_service_has_a_handler():
    handlers = load_all()
    missing = [
        f"{service} {name}"
        for service in SERVED
        for name in model.service_model(service).operation_names
        if (service, name) not in handlers
    ]
    assert missing == []


# incidentd serves a slice of ssm: the Automation documents and executions that runbooks need (issue 4).
SSM_SLICE = [
    "CreateDocument",
    "GetDocument",
    "DescribeDocument",
    "UpdateDocument",
    "UpdateDocumentDefaultVersion",
    "DeleteDocument",
    "ListDocuments",
    "ListDocumentVersions",
    "StartAutomationExecution",
    "GetAutomationExecution",
    "DescribeAutomationExecutions",
    "DescribeAutomationStepExecutions",
    "StopAutomationExecution",
    "SendAutomationSignal",
]


def test_every_operation_of_the_ssm_slice_has_a_handler():
    handlers = load_all()
    assert [name for name in SSM_SLICE if (model.SSM, name) not in handlers] == []
    assert sorted(name for service, name in handlers if service == model.SSM) == sorted(SSM_SLICE)


def test_every_handler_serves_an_operation_of_the_model():
    for service, name in load_all():
        assert name in model.service_model(service).operation_names, f"{service} has no operation {name}"


def test_ssm_incidents_has_the_31_operations_the_issue_names():
    assert len(model.service_model(model.INCIDENTS).operation_names) == 31


def test_ssm_contacts_has_the_39_operations_the_issue_names():
    assert len(model.service_model(model.CONTACTS).operation_names) == 39
