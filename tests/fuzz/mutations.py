"""Mutations of valid requests: each says whether every server must refuse the result."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from botocore.model import OperationModel, Shape
from fuzz_requests import Raw

from incidentd.protocol.wire import MAX_BODY_BYTES

Path = tuple[Any, ...]
Node = tuple[Path, Shape]
JSON_SERVICES = {"ssm-contacts": "SSMContacts", "ssm": "AmazonSSM"}

_WRONG: dict[str, list[Any]] = {
    "string": [7, [], {}, True],
    "integer": ["7", [], {}, True, 1.5],
    "long": ["7", [], {}, True, 1.5],
    "float": ["1.5", [], {}, True],
    "double": ["1.5", [], {}, True],
    "boolean": ["true", 1, [], {}],
    "timestamp": [{}, [], True],
    "blob": [1, {}, []],
    "list": [{}, "x", 1],
    "map": [[], "x", 1],
    "structure": [[], "x", 1],
}
_UNICODE = ["𝄞", "\u200b", "\u202e", "é", "\ufeff", "\U0010ffff", "ß", "中", "\u0301"]


def body_members(op: OperationModel) -> dict[str, Shape]:
    """The input members that travel in the JSON body, keyed by their wire names."""
    shape = op.input_shape
    if shape is None:
        return {}
    return {
        member.serialization.get("name", name): member
        for name, member in shape.members.items()
        if not member.serialization.get("location")
    }


def parses_body(raw: Raw, op: OperationModel) -> bool:
    """Whether the server must read the body as JSON (restJson ignores it when no member lives there)."""
    return raw.service in JSON_SERVICES or bool(body_members(op))


def _nodes(value: Any, shape: Shape, path: Path) -> list[Node]:
    found: list[Node] = [(path, shape)] if path else []
    kind = shape.type_name
    if kind == "structure" and not shape.metadata.get("document") and isinstance(value, dict):
        members = {m.serialization.get("name", n): m for n, m in shape.members.items()}
        for key, item in value.items():
            if key in members:
                found += _nodes(item, members[key], (*path, key))
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            found += _nodes(item, shape.member, (*path, index))
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, shape.value, (*path, key))
    return found


def _set(document: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


def _delete(document: Any, path: Path) -> None:
    for key in path[:-1]:
        document = document[key]
    del document[path[-1]]


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


class Mutator:
    """Turns a valid request into a broken one of a chosen kind."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.kinds: dict[str, Callable[[Raw, OperationModel], Raw | None]] = {
            name.removeprefix("_m_"): getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }

    def mutate(self, raw: Raw, op: OperationModel) -> Raw:
        """One mutation of the request, chosen at random among those that apply to it."""
        for kind in self.rng.sample(sorted(self.kinds), k=len(self.kinds)):
            mutated = self.kinds[kind](raw, op)
            if mutated is not None:
                return mutated.but(mutation=kind)
        raise AssertionError("no mutation applies")

    # Helpers over the JSON body.

    def _document(self, raw: Raw, op: OperationModel) -> tuple[dict[str, Any], list[Node]] | None:
        if not body_members(op) or not raw.body.strip():
            return None
        document = json.loads(raw.body)
        shape = op.input_shape
        return document, _nodes(document, shape, ())

    def _with_body(self, raw: Raw, document: Any, must_refuse: bool, ascii_only: bool = False) -> Raw:
        body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        return raw.but(body=body, must_refuse=must_refuse)

    def _pick(self, nodes: list[Node], wanted: Callable[[Shape], bool]) -> Node | None:
        fitting = [node for node in nodes if wanted(node[1])]
        return self.rng.choice(fitting) if fitting else None

    # Mutations every server must refuse.

    def _m_wrong_type(self, raw: Raw, op: OperationModel) -> Raw | None:
        found = self._document(raw, op)
        node = found and self._pick(found[1], lambda s: s.type_name in _WRONG and not s.metadata.get("document"))
        if not found or not node:
            return None
        document, _ = found
        _set(document, node[0], self.rng.choice(_WRONG[node[1].type_name]))
        return self._with_body(raw, document, True)

    def _m_out_of_range(self, raw: Raw, op: OperationModel) -> Raw | None:
        found = self._document(raw, op)
        if not found:
            return None
        document, nodes = found
        node = self._pick(
            nodes, lambda s: bool(s.metadata.get("enum")) or "max" in s.metadata or s.metadata.get("min", 0) > 0
        )
        if node is None:
            return None
        path, shape = node
        low, high, kind = shape.metadata.get("min"), shape.metadata.get("max"), shape.type_name
        if shape.metadata.get("enum"):
            value: Any = "NOT_" + str(shape.metadata["enum"][0]) + "_FUZZ"
        elif kind in ("integer", "long", "float", "double"):
            value = high + 1 if high is not None and (low is None or self.rng.random() < 0.5) else low - 1
        elif kind == "string":
            value = "x" * (high + 1) if high is not None and (not low or self.rng.random() < 0.5) else ""
            if high is not None and high + 1 > MAX_BODY_BYTES // 2:
                return None
        elif kind == "list" and high is not None and high < 1000:
            current = self._value_at(document, path)
            value = (current * (high + 1))[: high + 1] if current else None
            if not value:
                return None
        elif kind == "list" and low:
            value = []
        else:
            return None
        _set(document, path, value)
        return self._with_body(raw, document, True)

    def _value_at(self, document: Any, path: Path) -> Any:
        for key in path:
            document = document[key]
        return document

    def _m_missing_required(self, raw: Raw, op: OperationModel) -> Raw | None:
        members = body_members(op)
        required = [name for name in op.input_shape.required_members if name in members] if op.input_shape else []
        found = self._document(raw, op)
        if not required or not found:
            return None
        document = found[0]
        document.pop(self.rng.choice(required), None)
        return self._with_body(raw, document, True)

    def _m_lone_surrogate(self, raw: Raw, op: OperationModel) -> Raw | None:
        found = self._document(raw, op)
        node = found and self._pick(found[1], lambda s: s.type_name == "string")
        if not found or not node:
            return None
        document = found[0]
        _set(document, node[0], self.rng.choice(["\ud800", "a\udfff", "\udc00b"]))
        return self._with_body(raw, document, True, ascii_only=True)

    def _m_invalid_utf8(self, raw: Raw, op: OperationModel) -> Raw | None:
        found = self._document(raw, op)
        node = found and self._pick(found[1], lambda s: s.type_name == "string")
        if not found or not node:
            return None
        document = found[0]
        _set(document, node[0], "FUZZMARK")
        bad = self.rng.choice([b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xff", b"\xc3"])
        mutated = self._with_body(raw, document, True)
        return mutated.but(body=mutated.body.replace(b"FUZZMARK", bad))

    def _m_broken_json(self, raw: Raw, op: OperationModel) -> Raw | None:
        if not parses_body(raw, op):
            return None
        body = raw.body if len(raw.body) > 2 else b'{"a": 1}'
        choice = self.rng.randrange(4)
        if choice == 0:
            broken = body[: self.rng.randrange(1, len(body))]
        elif choice == 1:
            at = self.rng.randrange(1, len(body))
            broken = body[:at] + self.rng.choice([b"\x00", b"}", b",,", b'"', b"\\", b"NaN x"]) + body[at:]
        elif choice == 2:
            broken = self.rng.choice([b"[]", b'"x"', b"1", b"null", b"true", b"[{}]"])
        else:
            broken = b"{" * self.rng.randint(1, 50000)
        # Text inserted inside a string literal can leave the JSON valid: then the request may pass.
        return raw.but(body=broken, must_refuse=not _is_json_object(broken))

    def _m_oversize(self, raw: Raw, op: OperationModel) -> Raw | None:
        # Few of these: each sends more than a MiB.
        if self.rng.random() > 0.08:
            return None
        filler = "x" * (MAX_BODY_BYTES + self.rng.randint(1, 4096))
        return raw.but(body=json.dumps({"fuzz": filler}).encode(), must_refuse=True)

    def _m_bad_signature(self, raw: Raw, op: OperationModel) -> Raw:
        return raw.but(signing="tampered", must_refuse=True)

    def _m_no_signature(self, raw: Raw, op: OperationModel) -> Raw:
        return raw.but(signing="none", must_refuse=True)

    def _m_expired_signature(self, raw: Raw, op: OperationModel) -> Raw:
        return raw.but(signing="past", must_refuse=True)

    def _m_unknown_key(self, raw: Raw, op: OperationModel) -> Raw:
        return raw.but(extra={"key": "AKIDFUZZUNKNOWN00000"}, must_refuse=True)

    def _m_other_signing_service(self, raw: Raw, op: OperationModel) -> Raw:
        other = self.rng.choice([s for s in ("ssm-incidents", "ssm-contacts", "ssm", "s3") if s != raw.signing_service])
        return raw.but(signing_service=other, must_refuse=True)

    def _m_wrong_target(self, raw: Raw, op: OperationModel) -> Raw | None:
        if raw.service not in JSON_SERVICES:
            return None
        prefix = JSON_SERVICES[raw.service]
        target = self.rng.choice(
            [
                f"{prefix}.Fuzz{op.name}",
                f"{prefix}.",
                prefix,
                "",
                f"Other.{op.name}",
                f"{prefix}.{op.name.lower()}",
                f"{prefix}.{op.name}\u00e9",
                f"{prefix}..{op.name}",
                f"{prefix}.{op.name}.{op.name}",
            ]
        )
        headers = {k: v for k, v in raw.headers.items() if k.lower() != "x-amz-target"}
        if target or self.rng.random() < 0.5:
            headers["X-Amz-Target"] = target
        return raw.but(headers=headers, must_refuse=True, routed=False)

    def _m_odd_path(self, raw: Raw, op: OperationModel) -> Raw:
        if raw.service in JSON_SERVICES:
            path = self.rng.choice(["/x", "//", "/%2F", f"/{op.name}", "/./", "/%00"])
            return raw.but(target=path, must_refuse=True, routed=False)
        base = raw.target.split("?", 1)[0]
        path = self.rng.choice(
            [
                base + "/extra",
                base.upper(),
                base + "%00",
                "/%C0%AF",
                "/..%2F..%2Fetc",
                base + "x",
                "/" + "a" * 5000,
                "/" + "%FF" * 20,
                base.replace("/", "//", 1),
                "/tags",
                "/tags/",
                "/tags//x",
            ]
        )
        # A templated path (/tags/{resourceArn}) may still route after a change, a literal one never does.
        literal = "{" not in op.http["requestUri"]
        return raw.but(target=path, must_refuse=literal and path != base, routed=False)

    # Mutations a server may accept: anything but a 5xx or an unmodelled error is fine.

    def _m_odd_method(self, raw: Raw, op: OperationModel) -> Raw:
        method = self.rng.choice([m for m in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "POST") if m != raw.method])
        return raw.but(method=method, must_refuse=raw.service in JSON_SERVICES, routed=False)

    def _m_content_type(self, raw: Raw, op: OperationModel) -> Raw:
        headers = {k: v for k, v in raw.headers.items() if k.lower() != "content-type"}
        kind = self.rng.choice(
            [
                "text/plain",
                "application/xml",
                "",
                "application/json; charset=latin-1",
                "multipart/form-data; boundary=x",
                "application/x-amz-json-1.0",
            ]
        )
        if kind:
            headers["Content-Type"] = kind
        return raw.but(headers=headers)

    def _m_odd_label_or_query(self, raw: Raw, op: OperationModel) -> Raw | None:
        if raw.service in JSON_SERVICES:
            return None
        path, _, query = raw.target.partition("?")
        junk = self.rng.choice(["%00", "%FF%FE", "%25", "%2F%2F", "%E2%9C%93", "%ZZ", "a%", "%C0%AF", "+", "%20"])
        if "{" in op.http["requestUri"] and self.rng.random() < 0.6:
            head, _, label = path.rpartition("/")
            return raw.but(target=f"{head}/{label}{junk}" + (f"?{query}" if query else ""))
        extra = self.rng.choice([f"arn={junk}", f"{junk}={junk}", "tagKeys=", "a&a&a", "=", "nextToken=" + junk])
        return raw.but(target=f"{path}?{query + '&' if query else ''}{extra}")

    def _m_odd_values(self, raw: Raw, op: OperationModel) -> Raw | None:
        found = self._document(raw, op)
        if not found or not found[1]:
            return None
        document, nodes = found
        path, shape = self.rng.choice(nodes)
        if shape.type_name == "string":
            value: Any = self.rng.choice(
                ["a\u0000b", "".join(self.rng.choices(_UNICODE, k=3)), "x" * 20000, " ", "\t\n", "null"]
            )
        elif shape.type_name in ("integer", "long", "float", "double", "timestamp"):
            value = self.rng.choice([2**63, -(2**63) - 1, 10**30, 1e308, -0.0, 2**31, -1, 0, 1e-300])
        else:
            value = None
        _set(document, path, value)
        if self.rng.random() < 0.3:
            document["fuzzUnknownMember"] = {"a": [1, 2]}
        return self._with_body(raw, document, False)
