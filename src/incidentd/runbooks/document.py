"""Automation documents: parsing YAML or JSON content and checking it is a runnable schema 0.3 document."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml  # type: ignore[import-untyped]

from incidentd.runbooks import safe_yaml
from incidentd.runbooks.parameters import PatternError, compile_pattern

SCHEMA_VERSION = "0.3"
# The actions this engine runs; any other aws: action is accepted in a document and fails when its step runs.
SUPPORTED_ACTIONS = (
    "aws:pause",
    "aws:approve",
    "aws:sleep",
    "aws:branch",
    "aws:executeAwsApi",
    "aws:executeScript",
)
PARAMETER_TYPES = ("String", "StringList", "Integer", "Boolean", "MapList", "StringMap")
MAX_CONTENT_BYTES = 64 * 1024  # AWS's limit on a document's content (CreateDocument; MaxDocumentSizeExceeded)
# What a document may hold once YAML aliases are expanded. The size is AWS's content limit, counted on the
# expanded content (about its compact JSON); a 64 KB document without aliases stays within the others too.
LIMITS = safe_yaml.Limits(expanded_bytes=MAX_CONTENT_BYTES, nodes=20_000, depth=50, aliases=100)
_ACTION = re.compile(r"^aws:[a-zA-Z]{3,40}$")
# Step names end up in {{ Step.Output }} references, so they can't hold a dot or braces.
_STEP_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,50}$")
_REQUIRED_INPUTS = {
    "aws:approve": ("Approvers",),
    "aws:branch": ("Choices",),
    "aws:executeAwsApi": ("Service", "Api"),
    "aws:executeScript": ("Runtime", "Handler"),
}


class DocumentError(Exception):
    """Content the service refuses; code is the modelled error of the operation that received it."""

    def __init__(self, message: str, code: str = "InvalidDocumentContent") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse(content: str, fmt: str) -> dict[str, Any]:
    """The content as a mapping, read as the declared format (YAML or JSON) within LIMITS."""
    if fmt == "TEXT":
        raise DocumentError("Automation documents are YAML or JSON; DocumentFormat TEXT is not supported.")
    try:
        doc = _json(content) if fmt == "JSON" else safe_yaml.load(content, LIMITS)
    except safe_yaml.LimitExceeded as exc:
        raise DocumentError(
            str(exc), "MaxDocumentSizeExceeded" if exc.too_large else "InvalidDocumentContent"
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise DocumentError(f"The content is not valid YAML: {_yaml_problem(exc)}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise DocumentError(f"The content is not valid {fmt}: {_first_line(exc)}") from None
    if not isinstance(doc, dict):
        raise DocumentError(f"The content must be a {fmt} object with schemaVersion and mainSteps.")
    return doc


def render(doc: dict[str, Any], fmt: str) -> str:
    """The document as text of the given format (GetDocument's DocumentFormat conversion)."""
    if fmt == "JSON":
        return json.dumps(doc, indent=2)
    return str(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False))


def validate(doc: dict[str, Any]) -> None:
    """Refuse a document this engine could not run, naming the first problem found."""
    schema = str(doc.get("schemaVersion", ""))
    if schema != SCHEMA_VERSION:
        raise DocumentError(
            f"schemaVersion {schema or '(missing)'} is not supported: Automation documents use schemaVersion 0.3.",
            "InvalidDocumentSchemaVersion",
        )
    _check_parameters(doc.get("parameters", {}))
    steps = doc.get("mainSteps")
    if not isinstance(steps, list) or not steps:
        raise DocumentError("mainSteps must be a non-empty list of steps.")
    names: list[str] = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise DocumentError(f"Step {number} of mainSteps is not an object.")
        name = step.get("name")
        if not isinstance(name, str) or not _STEP_NAME.match(name):
            raise DocumentError(f"Step {number} needs a name of letters, digits, '_' and '-'.")
        if name in names:
            raise DocumentError(f"Two steps are named {name}.")
        names.append(name)
    for step in steps:
        _check_step(step, names)
    outputs = doc.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(o, str) and "." in o for o in outputs):
        raise DocumentError("outputs must be a list of 'StepName.OutputName' strings.")
    for field in ("description", "assumeRole"):
        if field in doc and not isinstance(doc[field], str):
            raise DocumentError(f"{field} must be a string.")


def _check_parameters(parameters: Any) -> None:
    if not isinstance(parameters, dict):
        raise DocumentError("parameters must be an object of parameter definitions.")
    for name, spec in parameters.items():
        if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
            raise DocumentError(f"Parameter name {name!r} is not valid.")
        if not isinstance(spec, dict):
            raise DocumentError(f"Parameter {name} must be an object with a type.")
        kind = spec.get("type")
        # Types such as AWS::EC2::Instance::Id are strings that AWS checks against resources; here they are strings.
        if kind not in PARAMETER_TYPES and not (isinstance(kind, str) and kind.startswith("AWS::")):
            raise DocumentError(f"Parameter {name} has type {kind!r}; use one of {', '.join(PARAMETER_TYPES)}.")
        allowed = spec.get("allowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise DocumentError(f"allowedValues of parameter {name} must be a list.")
        pattern = spec.get("allowedPattern")
        if pattern is not None:
            try:
                compile_pattern(str(pattern))
            except PatternError as error:
                raise DocumentError(
                    f"allowedPattern of parameter {name} is not a regular expression incidentd can run ({error}): "
                    "patterns are matched with RE2, which has no backreferences, lookahead or lookbehind."
                ) from None


def _check_step(step: dict[str, Any], names: list[str]) -> None:
    name, action = step["name"], step.get("action")
    if not isinstance(action, str) or not _ACTION.match(action):
        raise DocumentError(f"Step {name} needs an action such as aws:pause.")
    inputs = step.get("inputs", {})
    if not isinstance(inputs, dict):
        raise DocumentError(f"inputs of step {name} must be an object.")
    for required in _REQUIRED_INPUTS.get(action, ()):
        if required not in inputs:
            raise DocumentError(f"Step {name} ({action}) needs the input {required}.")
    if action == "aws:sleep" and ("Duration" in inputs) == ("Timestamp" in inputs):
        raise DocumentError(f"Step {name} (aws:sleep) needs exactly one of the inputs Duration, Timestamp.")
    targets = [step.get("nextStep")]
    on_failure = step.get("onFailure", "Abort")
    if not isinstance(on_failure, str) or not (on_failure in ("Abort", "Continue") or on_failure.startswith("step:")):
        raise DocumentError(f"onFailure of step {name} must be Abort, Continue or step:<name>.")
    if on_failure.startswith("step:"):
        targets.append(on_failure[5:])
    if action == "aws:branch":
        choices = inputs["Choices"]
        if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
            raise DocumentError(f"Choices of step {name} must be a non-empty list of choices.")
        targets += [choice.get("NextStep") for choice in choices]
        if any(choice.get("NextStep") is None for choice in choices):
            raise DocumentError(f"Every choice of step {name} needs a NextStep.")
        targets.append(inputs.get("Default"))
    for target in targets:
        if target is not None and target not in names:
            raise DocumentError(f"Step {name} refers to a step {target} that the document does not have.")
    for field, kind in (("maxAttempts", int), ("timeoutSeconds", int), ("isEnd", bool), ("isCritical", bool)):
        value = step.get(field)
        if value is not None and (not isinstance(value, kind) or (kind is int and value < 1)):
            raise DocumentError(f"{field} of step {name} must be a {'positive integer' if kind is int else kind}.")
    outputs = step.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(o, dict) and "Name" in o for o in outputs):
        raise DocumentError(f"outputs of step {name} must be a list of {{Name, Selector, Type}}.")


def describe_parameters(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's parameters as DescribeDocument lists them."""
    described = []
    for name, spec in doc.get("parameters", {}).items():
        entry: dict[str, Any] = {"Name": name, "Type": spec.get("type")}
        if "description" in spec:
            entry["Description"] = str(spec["description"])
        if "default" in spec:
            default = spec["default"]
            entry["DefaultValue"] = default if isinstance(default, str) else json.dumps(default)
        described.append(entry)
    return described


def _json(content: str) -> Any:
    """JSON content, refused when nested deeper than LIMITS.depth (JSON has no aliases: its size is its own)."""
    try:
        doc = json.loads(content)
    except RecursionError:  # the decoder recurses once per level
        raise safe_yaml.LimitExceeded(f"The content is nested too deeply (more than {LIMITS.depth} levels).") from None
    # Iterative, so that checking depth never recurses itself.
    pending = [(doc, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= LIMITS.depth:
                raise safe_yaml.LimitExceeded(f"The content is nested too deeply (more than {LIMITS.depth} levels).")
            pending.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return doc


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """What the YAML parser found wrong and where, in one line."""
    where = f" (line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1})" if exc.problem_mark else ""
    return f"{exc.problem or exc.context or type(exc).__name__}{where}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
