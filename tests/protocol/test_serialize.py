"""The compiled output converters produce exactly what the generic walk of the shape does."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.model import Shape
from shape_examples import example

from incidentd.protocol import model
from incidentd.protocol.serialize import Outputs, dumps, to_wire

OPERATIONS = [
    (service, name)
    for service in (model.INCIDENTS, model.CONTACTS, model.SSM)
    for name in model.service_model(service).operation_names
]


def _untidy(shape: Shape, value: Any) -> Any:
    """The example with what a handler may leave in: None members, unmodelled keys, integral timestamps."""
    if shape.type_name == "structure" and isinstance(value, dict) and not shape.metadata.get("document"):
        out = {name: _untidy(shape.members[name], item) for name, item in value.items()}
        for name in list(shape.members)[-1:]:
            out[name] = None
        out["notModelled"] = {"x": 1}
        return out
    if shape.type_name == "list":
        return [_untidy(shape.member, item) for item in value]
    if shape.type_name == "map":
        return {key: _untidy(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp":
        return 1700000000.0
    return value


@pytest.mark.parametrize(("service", "op_name"), OPERATIONS)
def test_compiled_output_matches_the_generic_walk(service: str, op_name: str) -> None:
    op = model.operation(service, op_name)
    if op.output_shape is None:
        assert Outputs().to_wire(op, {}) == {}
        return
    for value in (example(op.output_shape), _untidy(op.output_shape, example(op.output_shape))):
        assert dumps(Outputs().to_wire(op, value)) == dumps(to_wire(op.output_shape, value))
