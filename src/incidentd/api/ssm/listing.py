"""ListDocuments: the account's documents and the built-in ones, filtered and paged by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.api.ssm.common import PAGES, PLATFORMS, SERVICE
from incidentd.protocol.errors import ServiceError
from incidentd.runbooks import builtin
from incidentd.store import documents

# Owner values: Self and Private are the caller's own (nothing is shared into an account here), Amazon and Public
# the built-ins, ThirdParty nothing, All everything.
_OWNERS = {"self": "own", "private": "own", "amazon": "amazon", "public": "amazon", "thirdparty": "none", "all": "all"}

Entry = dict[str, Any]


def _identifier(entry: Entry) -> Entry:
    identifier = {
        "Name": entry["Name"],
        "CreatedDate": entry["CreatedDate"],
        "DisplayName": entry.get("DisplayName"),
        "Owner": entry["Owner"],
        "VersionName": entry.get("VersionName"),
        "PlatformTypes": PLATFORMS,
        "DocumentVersion": str(entry["_default"]),
        "DocumentType": entry["DocumentType"],
        "SchemaVersion": entry["SchemaVersion"],
        "DocumentFormat": entry["DocumentFormat"],
        "TargetType": entry.get("TargetType"),
        "Tags": entry.get("Tags", []),
    }
    return {key: value for key, value in identifier.items() if value is not None}


def _owner_test(values: list[str], account: str) -> Callable[[Entry], bool]:
    kinds = set()
    for value in values:
        kind = _OWNERS.get(value.lower())
        if kind is None:
            raise ServiceError("InvalidFilterKey", f"Owner {value} is not one of Self, Amazon, Private, Public, All.")
        kinds.add(kind)
    if "all" in kinds:
        return lambda entry: True
    return lambda entry: (
        ("own" in kinds and entry["Owner"] == account) or ("amazon" in kinds and entry["Owner"] == builtin.OWNER)
    )


def _test(key: str, values: list[str], account: str) -> Callable[[Entry], bool]:
    """The predicate of one filter: true when any of its values matches."""
    if key == "Owner":
        return _owner_test(values, account)
    if key == "DocumentType":
        return lambda entry: entry["DocumentType"] in values
    if key == "Name":
        # Names match by prefix, so a full name finds its document and a prefix finds a family.
        return lambda entry: any(entry["Name"].startswith(prefix) for prefix in values)
    if key == "SearchKeyword":
        return lambda entry: any(word.lower() in entry["Name"].lower() for word in values)
    if key == "PlatformTypes":
        return lambda entry: any(platform in PLATFORMS for platform in values)
    if key == "TargetType":
        return lambda entry: entry.get("TargetType") in values
    if key.startswith("tag:") and len(key) > 4:
        return lambda entry: _tagged(entry, key[4:], values)
    raise ServiceError("InvalidFilterKey", f"The filter key {key!r} is not supported.")


def _tests(params: dict[str, Any], account: str) -> list[Callable[[Entry], bool]]:
    """One predicate per filter: AND across filters, OR across a filter's values."""
    pairs = [(str(f["key"]), [str(f["value"])]) for f in params.get("DocumentFilterList", [])]
    pairs += [(str(f.get("Key", "")), list(f.get("Values", []))) for f in params.get("Filters", [])]
    return [_test(key, values, account) for key, values in pairs]


def _tagged(entry: Entry, key: str, values: list[str]) -> bool:
    tags = {tag["Key"]: tag["Value"] for tag in entry.get("Tags", [])}
    return key in tags and (not values or tags[key] in values)


@handles(SERVICE, "ListDocuments", needs_onboarding=False)
def list_documents(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Documents in name order, the built-ins among them."""
    tests = _tests(params, ctx.account_id)
    entries = documents.listing(ctx.conn, ctx.account_id, ctx.region)
    entries.append({**builtin.HEAD, **builtin.VERSION})
    chosen = sorted((e for e in entries if all(test(e) for test in tests)), key=lambda e: e["Name"])
    page, token = PAGES.page_of(chosen, lambda e: [e["Name"]], params, str)
    result: dict[str, Any] = {"DocumentIdentifiers": [_identifier(entry) for entry in page]}
    if token:
        result["NextToken"] = token
    return result
