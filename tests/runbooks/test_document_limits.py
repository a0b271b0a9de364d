"""One request must not stall the server: catastrophic allowedPatterns, YAML alias bombs and deep documents."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

import support
from support import Server

CONFIG = """
[replication]
settle_seconds = 0.2
"""
MIB = 1024 * 1024
PAUSE_STEP = [{"name": "Wait", "action": "aws:pause"}]
# Accounts no other module uses: these tests run on servers of their own.
FIRST_ACCOUNT = 4900


@pytest.fixture(scope="module")
def documents_server(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own: an attack that stalls it must not stall the session's server."""
    running = Server(own_database, tmp_path_factory.mktemp("document-limits"), CONFIG).start()
    yield running
    running.stop()


def ssm_client(server: Server, index: int, **config: Any):  # type: ignore[no-untyped-def]
    return server.client(support.test_account(FIRST_ACCOUNT + index), "ssm", **config)


def create(ssm, name: str, content: str, fmt: str = "YAML") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return dict(ssm.create_document(Name=name, Content=content, DocumentType="Automation", DocumentFormat=fmt))


def refusal(call) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The error code and message a call that must fail got."""
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def is_absent(ssm, name: str) -> bool:  # type: ignore[no-untyped-def]
    code, _ = refusal(lambda: ssm.get_document(Name=name))
    return code == "InvalidDocument"


def billion_laughs(levels: int = 8) -> str:
    """A 471-byte document whose parameter default is nine lists of nine aliases, eight levels deep (9^8 leaves)."""
    lines = ['schemaVersion: "0.3"', "parameters:", "  B:", "    type: StringMap", "    default:"]
    lines.append('      a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
    for level in range(1, levels):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"      {name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines += ["mainSteps:", "  - name: W", "    action: aws:pause"]
    return "\n".join(lines) + "\n"


def peak_rss(server: Server) -> int:
    """The server process's peak resident set size (VmHWM), in bytes."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


def test_a_catastrophic_allowed_pattern_is_answered_within_a_second_and_stalls_nobody(documents_server):
    attacker = ssm_client(documents_server, 1, read_timeout=20)
    bystander = ssm_client(documents_server, 2)
    parameters = {"Word": {"type": "String", "allowedPattern": "^(a+)+$"}}
    create(
        attacker, "redos", yaml.safe_dump({"schemaVersion": "0.3", "parameters": parameters, "mainSteps": PAUSE_STEP})
    )
    value = "a" * 26 + "!"  # 27 characters: a backtracking engine tries 2^26 ways before it says no
    answered: dict[str, Any] = {}

    def attack() -> None:
        started = time.monotonic()
        try:
            attacker.start_automation_execution(DocumentName="redos", Parameters={"Word": [value]})
        except ClientError as error:
            answered["code"] = error.response["Error"]["Code"]
            answered["message"] = error.response["Error"]["Message"]
        except Exception as error:  # a read timeout, before the fix
            answered["code"] = type(error).__name__
        answered["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=attack)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    create(bystander, "bystander", yaml.safe_dump({"schemaVersion": "0.3", "mainSteps": PAUSE_STEP}))
    bystander_seconds = time.monotonic() - started
    thread.join()
    assert answered["code"] == "InvalidAutomationExecutionParametersException", answered
    assert "Word" in answered["message"] and "^(a+)+$" in answered["message"]
    assert answered["seconds"] < 1, answered
    assert bystander_seconds < 1
    assert attacker.describe_automation_executions()["AutomationExecutionMetadataList"] == []
    # The same pattern still takes the values it describes.
    started_id = attacker.start_automation_execution(DocumentName="redos", Parameters={"Word": ["a" * 500]})
    assert started_id["AutomationExecutionId"]


def test_an_allowed_pattern_a_linear_engine_cannot_run_is_refused_naming_its_parameter(documents_server):
    ssm = ssm_client(documents_server, 3)
    for pattern in (r"^(a+)\1$", r"^(?=a)\w+$", r"^(?!x)\w+$", r"^(?<=a)b$"):
        parameters = {"Repeated": {"type": "String", "allowedPattern": pattern}}
        content = yaml.safe_dump({"schemaVersion": "0.3", "parameters": parameters, "mainSteps": PAUSE_STEP})
        code, message = refusal(lambda content=content: create(ssm, "backreference", content))
        assert code == "InvalidDocumentContent", pattern
        assert "Repeated" in message and "allowedPattern" in message
    assert is_absent(ssm, "backreference")


def test_a_yaml_alias_bomb_is_refused_within_a_second_using_under_50_mb(own_database, tmp_path_factory):
    # A server of the test's own, so that its peak memory is this request's and nobody else's.
    server = Server(own_database, tmp_path_factory.mktemp("alias-bomb"), CONFIG).start()
    try:
        ssm = ssm_client(server, 4, read_timeout=60)
        create(ssm, "warm-up", yaml.safe_dump({"schemaVersion": "0.3", "mainSteps": PAUSE_STEP}))
        content = billion_laughs()
        assert len(content.encode()) == 471
        before = peak_rss(server)
        started = time.monotonic()
        code, message = refusal(lambda: create(ssm, "laughs", content))
        seconds = time.monotonic() - started
        grown = peak_rss(server) - before
    finally:
        server.stop()
    assert code in ("InvalidDocumentContent", "MaxDocumentSizeExceeded"), message
    assert seconds < 1
    assert grown < 50 * MIB, f"the server's peak memory grew by {grown / MIB:.0f} MB"


def test_a_few_aliases_of_a_large_value_are_held_to_the_size_limit_once_expanded(documents_server):
    ssm = ssm_client(documents_server, 5)
    big = "x" * 30_000
    content = (
        'schemaVersion: "0.3"\nparameters:\n  P:\n    type: StringList\n'
        f"    default: [&big {big}, *big, *big]\nmainSteps:\n  - name: W\n    action: aws:pause\n"
    )
    assert len(content.encode()) < 64 * 1024
    code, message = refusal(lambda: create(ssm, "expanded", content))
    assert code == "MaxDocumentSizeExceeded", message
    assert is_absent(ssm, "expanded")
    # An anchor used once or twice within the limit is still a document.
    small = content.replace(big, "x" * 100)
    assert create(ssm, "expanded", small)["DocumentDescription"]["Name"] == "expanded"


@pytest.mark.parametrize("depth", [500, 5000])
@pytest.mark.parametrize("fmt", ["YAML", "JSON"])
def test_a_deeply_nested_document_is_refused_as_invalid_content(documents_server, fmt, depth):
    ssm = ssm_client(documents_server, 6)
    nested = "[" * depth + "]" * depth
    doc = {"schemaVersion": "0.3", "parameters": {"P": {"type": "StringList", "default": "NESTED"}}}
    doc["mainSteps"] = PAUSE_STEP
    content = json.dumps(doc).replace('"NESTED"', nested)
    code, message = refusal(lambda: create(ssm, f"deep-{fmt.lower()}", content, fmt))
    assert code == "InvalidDocumentContent", message
    assert "deep" in message or "depth" in message, message
    assert is_absent(ssm, f"deep-{fmt.lower()}")


def test_a_nested_document_of_ordinary_depth_is_accepted(documents_server):
    ssm = ssm_client(documents_server, 7)
    nested: Any = "leaf"
    for _ in range(20):
        nested = {"inner": nested}
    doc = {
        "schemaVersion": "0.3",
        "parameters": {"P": {"type": "StringMap", "default": nested}},
        "mainSteps": PAUSE_STEP,
    }
    for fmt, content in (("YAML", yaml.safe_dump(doc)), ("JSON", json.dumps(doc))):
        created = create(ssm, f"ordinary-{fmt.lower()}", content, fmt)
        assert created["DocumentDescription"]["Parameters"][0]["Name"] == "P"


def test_yaml_values_json_cannot_hold_stay_text(documents_server):
    ssm = ssm_client(documents_server, 8)
    content = (
        'schemaVersion: "0.3"\nparameters:\n  Day:\n    type: String\n    default: 2024-01-01\n'
        "  Blob:\n    type: String\n    default: !!binary aGVsbG8=\n"
        "mainSteps:\n  - name: Nap\n    action: aws:sleep\n    inputs:\n      Timestamp: 2020-01-01T00:00:00Z\n"
    )
    described = create(ssm, "timestamps", content)["DocumentDescription"]
    defaults = {p["Name"]: p["DefaultValue"] for p in described["Parameters"]}
    assert defaults == {"Day": "2024-01-01", "Blob": "aGVsbG8="}
    as_json = json.loads(ssm.get_document(Name="timestamps", DocumentFormat="JSON")["Content"])
    assert as_json["mainSteps"][0]["inputs"]["Timestamp"] == "2020-01-01T00:00:00Z"


def test_a_parameter_value_longer_than_aws_allows_is_refused(documents_server):
    ssm = ssm_client(documents_server, 9)
    parameters = {"Word": {"type": "String", "allowedPattern": "^a+$"}}
    create(ssm, "long", yaml.safe_dump({"schemaVersion": "0.3", "parameters": parameters, "mainSteps": PAUSE_STEP}))
    ssm_unchecked = ssm_client(documents_server, 9, parameter_validation=False)
    code, message = refusal(
        lambda: ssm_unchecked.start_automation_execution(DocumentName="long", Parameters={"Word": ["a" * 513]})
    )
    assert code == "ValidationException" and "512" in message
