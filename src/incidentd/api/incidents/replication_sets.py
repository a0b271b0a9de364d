"""The replication set: onboarding, regions, deletion protection (aws-behaviour §3.1)."""

from __future__ import annotations

import copy
from typing import Any

from incidentd.api.context import CallContext
from incidentd.api.incidents.common import SERVICE, not_found
from incidentd.api.registry import handles
from incidentd.domain import arns, ids
from incidentd.domain.jobs import SETTLE_REPLICATION_SET
from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.store import replication, tags

DEFAULT_KEY = "DefaultKey"  # what AWS reports when the AWS-owned key encrypts a region (aws-behaviour §3.1)


def _load(ctx: CallContext, arn: str) -> dict[str, Any]:
    current = replication.get(ctx.conn, ctx.account_id)
    if current is None or current["arn"] != arn:
        raise not_found("REPLICATION_SET", arn, "Replication set")
    return current


def _region(key: str | None, now: float) -> dict[str, Any]:
    # _addedTime is internal (the output shape drops it): regions may be deleted only 24 h after they were added.
    return {
        "sseKmsKeyId": key or DEFAULT_KEY,
        "status": "CREATING",
        "statusUpdateDateTime": now,
        "_addedTime": now,
    }


def _settle_later(ctx: CallContext) -> None:
    delay_ms = int(ctx.settings.replication.settle_seconds * 1000)
    ctx.enqueue(SETTLE_REPLICATION_SET, {}, delay_ms)


def _check_keys(keys: list[str]) -> None:
    # AWS-owned keys in every region or customer keys in every region, never a mix (UG replication.md).
    if len({key == DEFAULT_KEY for key in keys}) > 1:
        raise validation_error("All Regions must use the AWS owned key, or all must use customer managed keys.")


@handles(SERVICE, "CreateReplicationSet", needs_onboarding=False)
def create_replication_set(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Onboard the account; a second replication set is ServiceQuotaExceededException (aws-behaviour §3.1)."""
    existing = replication.get(ctx.conn, ctx.account_id)
    if existing is not None:
        raise ServiceError(
            "ServiceQuotaExceededException",
            f"Replication set {existing['arn']} already exists in this account.",
            resourceIdentifier=existing["arn"],
            resourceType="REPLICATION_SET",
            serviceCode=SERVICE,
            quotaCode="replication-sets-per-account",
        )
    regions = params["regions"]
    _check_keys([(info or {}).get("sseKmsKeyId") or DEFAULT_KEY for info in regions.values()])
    arn = arns.replication_set(ctx.account_id, ids.time_ordered())
    doc = {
        "arn": arn,
        "createdBy": ctx.caller_arn,
        "createdTime": ctx.now,
        "deletionProtected": False,
        "lastModifiedBy": ctx.caller_arn,
        "lastModifiedTime": ctx.now,
        "regionMap": {name: _region((info or {}).get("sseKmsKeyId"), ctx.now) for name, info in regions.items()},
        "status": "CREATING",
    }
    replication.insert(ctx.conn, ctx.account_id, arn, doc)
    tags.put(ctx.conn, ctx.account_id, arn, params.get("tags") or {})
    _settle_later(ctx)
    return {"arn": arn}


@handles(SERVICE, "GetReplicationSet", needs_onboarding=False, cacheable=True)
def get_replication_set(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The replication set with its regions."""
    doc = _load(ctx, params["arn"])
    return {"replicationSet": doc}


@handles(SERVICE, "ListReplicationSets", needs_onboarding=False)
def list_replication_sets(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The account's replication set ARN (there is at most one)."""
    doc = replication.get(ctx.conn, ctx.account_id)
    return {"replicationSetArns": [doc["arn"]] if doc else []}


@handles(SERVICE, "UpdateReplicationSet", needs_onboarding=False)
def update_replication_set(ctx: CallContext, params: dict[str, Any]) -> None:
    """Add or delete one region; the set goes UPDATING and settles shortly after."""
    doc = copy.deepcopy(_load(ctx, params["arn"]))
    if doc["status"] != "ACTIVE":
        # CloudFormation waits for ACTIVE before updating; AWS refuses concurrent changes (aws-behaviour §3.1).
        raise ServiceError(
            "ConflictException",
            f"The replication set is {doc['status']}; wait until it is ACTIVE before updating it.",
            resourceIdentifier=doc["arn"],
            resourceType="REPLICATION_SET",
        )
    action = params["actions"][0]
    regions = doc["regionMap"]
    if "addRegionAction" in action:
        add = action["addRegionAction"]
        name = add["regionName"]
        if name in regions:
            raise validation_error(f"Region {name} is already in the replication set.")
        if len(regions) >= 3:
            raise validation_error("A replication set can have at most 3 Regions.")
        region = _region(add.get("sseKmsKeyId"), ctx.now)
        _check_keys([info["sseKmsKeyId"] for info in regions.values()] + [region["sseKmsKeyId"]])
        regions[name] = region
    else:
        name = action["deleteRegionAction"]["regionName"]
        if name not in regions:
            raise validation_error(f"Region {name} is not in the replication set.")
        if len(regions) == 1:
            raise validation_error(
                "The last Region of a replication set can't be removed; use DeleteReplicationSet instead."
            )
        min_age_ms = int(ctx.settings.replication.region_min_age_hours * 3_600_000)
        added_ms = round(regions[name].get("_addedTime", doc["createdTime"]) * 1000)
        if ctx.now_ms - added_ms < min_age_ms:
            # UG replication.md: a Region can be deleted only 24 hours after it was added.
            raise validation_error(f"Region {name} can't be deleted until 24 hours after it was added.")
        regions[name].update(status="DELETING", statusUpdateDateTime=ctx.now)
    doc.update(status="UPDATING", lastModifiedBy=ctx.caller_arn, lastModifiedTime=ctx.now)
    replication.save(ctx.conn, ctx.account_id, doc)
    _settle_later(ctx)
    return None


@handles(SERVICE, "UpdateDeletionProtection", needs_onboarding=False)
def update_deletion_protection(ctx: CallContext, params: dict[str, Any]) -> None:
    """Allow or forbid deleting the last region, and with it the replication set."""
    doc = copy.deepcopy(_load(ctx, params["arn"]))
    doc.update(deletionProtected=params["deletionProtected"], lastModifiedBy=ctx.caller_arn, lastModifiedTime=ctx.now)
    replication.save(ctx.conn, ctx.account_id, doc)
    return None


@handles(SERVICE, "DeleteReplicationSet", needs_onboarding=False)
def delete_replication_set(ctx: CallContext, params: dict[str, Any]) -> None:
    """Delete the replication set and, as AWS does, all of the account's Incident Manager data."""
    doc = _load(ctx, params["arn"])
    if doc["deletionProtected"]:
        raise validation_error(
            "Deletion protection is enabled for this replication set. "
            "Turn it off with UpdateDeletionProtection before deleting it."
        )
    replication.delete_account(ctx.conn, ctx.account_id)
    return None
