"""Every operation round-trips through botocore's own serializer and parser and incidentd's protocol layer."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore import parsers, serialize
from botocore.awsrequest import prepare_request_dict
from shape_examples import example

from incidentd.protocol import model
from incidentd.protocol.aws_json import AwsJsonProtocol
from incidentd.protocol.errors import ServiceError
from incidentd.protocol.rest_json import RestJsonProtocol
from incidentd.protocol.validate import check_input
from incidentd.protocol.wire import WireRequest

SERVICES = [model.INCIDENTS, model.CONTACTS]


def _operations(service: str) -> list[tuple[str, str]]:
    return [(service, name) for name in model.service_model(service).operation_names]


ALL_OPERATIONS = [pair for service in SERVICES for pair in _operations(service)]


def _protocol(service: str) -> RestJsonProtocol | AwsJsonProtocol:
    service_model = model.service_model(service)
    if service_model.protocol == "rest-json":
        return RestJsonProtocol(service_model)
    return AwsJsonProtocol(service_model)


def _wire_request(service: str, op_name: str, params: dict[str, Any]) -> WireRequest:
    """The request botocore would send for these parameters, as incidentd receives it."""
    service_model = model.service_model(service)
    op = service_model.operation_model(op_name)
    serializer = serialize.create_serializer(service_model.protocol, include_validation=False)
    request = serializer.serialize_to_request(params, op)
    prepare_request_dict(request, endpoint_url="http://127.0.0.1:1")
    url = urlsplit(request["url"])
    body = request["body"]
    if isinstance(body, dict):
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    headers = {k.lower(): v for k, v in request["headers"].items()}
    return WireRequest(request["method"], url.path.encode(), url.query.encode(), headers, body or b"")


def _normalise(value: Any) -> Any:
    """Compare as the server sees values: timestamps as epoch floats, bytes as bytes."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value


@pytest.mark.parametrize(("service", "op_name"), ALL_OPERATIONS)
def test_request_parses_to_the_parameters_botocore_serialised(service: str, op_name: str) -> None:
    op = model.operation(service, op_name)
    if op.input_shape is None:
        pytest.skip("operation has no input")
    params = example(op.input_shape)
    protocol = _protocol(service)
    request = _wire_request(service, op_name, params)
    if isinstance(protocol, RestJsonProtocol):
        routed = protocol.route(request.method, request.raw_path)
        assert routed is not None, f"{request.method} {request.raw_path!r} did not route"
        routed_op, labels = routed
        assert routed_op.name == op_name
        parsed = protocol.parse(routed_op, labels, request)
    else:
        routed_op = protocol.route(request.headers["x-amz-target"])
        assert routed_op is not None and routed_op.name == op_name
        parsed = protocol.parse(routed_op, request)
    cleaned, _ = check_input(op.input_shape, parsed)
    assert _normalise(cleaned) == _normalise(params)


@pytest.mark.parametrize(("service", "op_name"), ALL_OPERATIONS)
def test_response_parses_in_botocore_to_what_the_handler_returned(service: str, op_name: str) -> None:
    op = model.operation(service, op_name)
    protocol = _protocol(service)
    result = example(op.output_shape) if op.output_shape is not None else {}
    response = protocol.serialize(op, result)
    parser = parsers.create_parser(model.service_model(service).protocol)
    parsed = parser.parse(
        {"status_code": response.status, "headers": dict(response.headers), "body": response.body},
        op.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    assert response.status == op.http.get("responseCode", 200)
    assert _normalise(parsed) == _normalise(result)


@pytest.mark.parametrize("service", SERVICES)
def test_errors_parse_in_botocore_with_their_code_message_and_members(service: str) -> None:
    service_model = model.service_model(service)
    protocol = _protocol(service)
    parser = parsers.create_parser(service_model.protocol)
    for shape in service_model.error_shapes:
        members = {name: example(member) for name, member in shape.members.items() if name.lower() != "message"}
        response = protocol.serialize_error(ServiceError(shape.name, "it went wrong", **members))
        assert 400 <= response.status < 600
        parsed = parser.parse(
            {"status_code": response.status, "headers": dict(response.headers), "body": response.body}, None
        )
        assert parsed["Error"]["Code"] == shape.name
        assert parsed["Error"]["Message"] == "it went wrong"
        body = json.loads(response.body)
        for name, value in members.items():
            assert body[name] == value
