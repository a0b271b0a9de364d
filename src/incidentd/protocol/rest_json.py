"""AWS restJson1 (ssm-incidents): routes by method and URI template, members from path, query, headers and body."""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

from incidentd.protocol.errors import ServiceError
from incidentd.protocol.serialize import Outputs, dumps
from incidentd.protocol.wire import ErrorShapes, WireRequest, WireResponse, parse_json_object

_Route = tuple[tuple[str, ...], OperationModel]


class RestJsonProtocol:
    """Parses and serialises one restJson1 service as its botocore model describes it."""

    content_type = "application/json"

    def __init__(self, service_model: ServiceModel) -> None:
        self.service_model = service_model
        self.errors = ErrorShapes(service_model)
        self.outputs = Outputs()
        self._inputs: dict[str, _Inputs] = {}
        self._literal: dict[tuple[str, str], OperationModel] = {}
        self._templated: dict[str, list[_Route]] = {}
        for name in service_model.operation_names:
            op = service_model.operation_model(name)
            path = op.http["requestUri"].split("?", 1)[0]
            if "{" in path:
                segments = tuple(path.strip("/").split("/"))
                self._templated.setdefault(op.http["method"], []).append((segments, op))
            else:
                self._literal[(op.http["method"], path)] = op

    def route(self, method: str, raw_path: bytes) -> tuple[OperationModel, dict[str, str]] | None:
        """The operation a request addresses and its URI labels, decoded; None when nothing matches."""
        path = raw_path.decode("latin-1")
        op = self._literal.get((method, path))
        if op is not None:
            return op, {}
        # Labels are matched on the raw path so that an encoded '/' (%2F) inside an ARN stays in its label.
        parts = path.strip("/").split("/")
        for segments, candidate in self._templated.get(method, ()):
            labels = _match(segments, parts)
            if labels is not None:
                return candidate, labels
        return None

    def parse(self, op: OperationModel, labels: dict[str, str], request: WireRequest) -> dict[str, Any]:
        """The input members found in the URI, query string, headers and JSON body."""
        found = self._inputs.get(op.name)
        if found is None:
            found = self._inputs[op.name] = _Inputs.of(op.input_shape)
        body_members, located = found
        params: dict[str, Any] = parse_json_object(request.body) if body_members else {}
        params = {name: params[name] for name in body_members if name in params}
        # Most requests have no query string, and parsing an empty one still costs tens of microseconds.
        query = []
        if request.query_string:
            query = query_pairs(request.query_string)
        for name, location, wire_name, member in located:
            if location == "uri" and wire_name in labels:
                params[name] = labels[wire_name]
            elif location == "querystring":
                values = [value for key, value in query if key == wire_name]
                if values:
                    params[name] = _from_text(member, values)
            elif location == "header" and wire_name.lower() in request.headers:
                params[name] = _from_text(member, [request.headers[wire_name.lower()]])
        return params

    def serialize(self, op: OperationModel, result: dict[str, Any]) -> WireResponse:
        """The modelled success status with the output shape as JSON (no body with 204)."""
        status = op.http.get("responseCode", 200)
        if status == 204:
            return WireResponse(204)
        body = self.outputs.to_wire(op, result)
        return WireResponse(status, dumps(body), [("content-type", self.content_type)])

    def serialize_error(self, error: ServiceError, status: int | None = None) -> WireResponse:
        """The error's modelled status, the x-amzn-ErrorType header and a {"message": …} body."""
        shape = self.errors.get(error.code)
        if status is None:
            status = shape.metadata.get("error", {}).get("httpStatusCode", 400) if shape is not None else 400
        headers = [("content-type", self.content_type), ("x-amzn-errortype", error.code)]
        return WireResponse(status, dumps(self.errors.body(error, "message")), headers)


class _Inputs(NamedTuple):
    """Where an operation's input members travel, read from its shape once."""

    body: list[str]  # members in the JSON body
    located: list[tuple[str, str, str, Shape]]  # (member, location, name on the wire, shape) of the others

    @classmethod
    def of(cls, shape: Shape | None) -> _Inputs:
        """The input shape's members sorted by where they travel."""
        members = shape.members.items() if shape is not None else ()
        return cls(
            [name for name, member in members if not member.serialization.get("location")],
            [
                (name, member.serialization["location"], member.serialization.get("name", name), member)
                for name, member in members
                if member.serialization.get("location")
            ],
        )


def _match(segments: tuple[str, ...], parts: list[str]) -> dict[str, str] | None:
    if len(segments) != len(parts):
        return None
    labels = {}
    for segment, part in zip(segments, parts, strict=True):
        if segment.startswith("{") and segment.endswith("}"):
            if not part:
                return None
            labels[segment[1:-1].rstrip("+")] = unquote(part, encoding="utf-8", errors="replace")
        elif segment != part:
            return None
    return labels


def _from_text(shape: Shape, values: list[str]) -> Any:
    """Query and header values are text; convert them to the member's type (validation reports mismatches)."""
    if shape.type_name == "list":
        return [_scalar(shape.member, value) for value in values]
    return _scalar(shape, values[0])


def _scalar(shape: Shape, text: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "timestamp":
            return float(text) if text.replace(".", "", 1).isdigit() else text
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs, as parse_qsl(keep_blank_values=True) gives them, in a third of its time."""
    pairs = []
    for piece in query_string.decode("utf-8", errors="replace").split("&"):
        if piece:
            name, _, value = piece.partition("=")
            pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


def _unquote_plus(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return unquote(text.replace("+", " "), errors="replace")
