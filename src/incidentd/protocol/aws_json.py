"""AWS awsJson1_1 (ssm-contacts, ssm): POST / with X-Amz-Target naming the operation, a JSON object both ways."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from incidentd.protocol.errors import ServiceError
from incidentd.protocol.serialize import Outputs, dumps
from incidentd.protocol.wire import ErrorShapes, WireRequest, WireResponse, parse_json_object


class AwsJsonProtocol:
    """Parses and serialises one awsJson1_1 service as its botocore model describes it."""

    content_type = "application/x-amz-json-1.1"

    def __init__(self, service_model: ServiceModel) -> None:
        self.service_model = service_model
        self.target_prefix: str = service_model.metadata["targetPrefix"]
        self.errors = ErrorShapes(service_model)
        self.outputs = Outputs()
        self._operations = {name: service_model.operation_model(name) for name in service_model.operation_names}

    def route(self, target: str) -> OperationModel | None:
        """The operation named by an X-Amz-Target value, or None."""
        prefix, _, name = target.partition(".")
        if prefix != self.target_prefix:
            return None
        return self._operations.get(name)

    def parse(self, op: OperationModel, request: WireRequest) -> dict[str, Any]:
        """The input members of the JSON body."""
        return parse_json_object(request.body)

    def serialize(self, op: OperationModel, result: dict[str, Any]) -> WireResponse:
        """HTTP 200 with the output shape as JSON (an empty object when the output has no members)."""
        body = self.outputs.to_wire(op, result)
        return WireResponse(200, dumps(body), [("content-type", self.content_type)])

    def serialize_error(self, error: ServiceError, status: int | None = None) -> WireResponse:
        """400 for client errors and 500 for server faults (aws-behaviour §1.5), with __type and Message."""
        if status is None:
            status = 500 if error.code.startswith("InternalServer") else 400
        body = {"__type": error.code, **self.errors.body(error, "Message")}
        headers = [("content-type", self.content_type), ("x-amzn-errortype", error.code)]
        return WireResponse(status, dumps(body), headers)
