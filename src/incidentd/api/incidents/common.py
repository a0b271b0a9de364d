"""Look-ups and errors that several ssm-incidents handlers share."""

from __future__ import annotations

import os
import time
from typing import Any

from incidentd.api.context import RequestContext
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.store import incidents, paging, plans

SERVICE = "ssm-incidents"


def not_found(resource_type: str, identifier: str, what: str) -> ServiceError:
    """A ResourceNotFoundException naming the resource."""
    return ServiceError(
        "ResourceNotFoundException",
        f"{what} {identifier} does not exist.",
        resourceIdentifier=identifier,
        resourceType=resource_type,
    )


def plan_name_of(ctx: RequestContext, arn: str) -> str | None:
    """The plan name inside a response-plan ARN of the caller's own account, else None."""
    parsed = arns.parse(arn)
    if parsed is None or parsed.service != SERVICE or parsed.account != ctx.account_id:
        return None
    kind, _, name = parsed.resource.partition("/")
    return name if kind == "response-plan" and name and "/" not in name else None


def load_plan(ctx: RequestContext, arn: str) -> dict[str, Any]:
    """The caller's response plan with this ARN, or ResourceNotFoundException (also for other accounts' ARNs)."""
    name = plan_name_of(ctx, arn)
    plan = plans.get(ctx.conn, ctx.account_id, name) if name else None
    if plan is None:
        raise not_found("RESPONSE_PLAN", arn, "Response plan")
    return plan


def load_incident(ctx: RequestContext, arn: str) -> dict[str, Any]:
    """The caller's incident record with this ARN, or ResourceNotFoundException."""
    record = incidents.get(ctx.conn, ctx.account_id, arn)
    if record is None:
        raise not_found("INCIDENT_RECORD", arn, "Incident record")
    return record


def new_id() -> str:
    """A fresh identifier in the 36-character UUID form AWS uses for incidents and events, ordered by time.

    The layout is UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Incident
    ARNs end in this id and key the incident, timeline, tag and related-item rows, so ids that grow with
    time put each new incident's rows next to the last one's in every B-tree instead of on a random page
    (fewer pages written per commit, and a working set that stays small as the tables grow). The random
    part keeps ids unguessable; the time they reveal is the record's own creationTime.
    """
    random_bits = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 for rand_a, 62 for rand_b, 6 unused
    value = (
        (time.time_ns() // 1_000_000) << 80
        | 0x7 << 76
        | (random_bits >> 68) << 64
        | 0b10 << 62
        | random_bits & ((1 << 62) - 1)
    )
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def page_size(params: dict[str, Any], default: int = 100) -> int:
    """The requested page size (the model already bounds it)."""
    return int(params.get("maxResults") or default)


def read_token(params: dict[str, Any], *types: type) -> list[Any] | None:
    """The keyset position in nextToken, or ValidationException for a token this server did not issue."""
    token = params.get("nextToken")
    if not token:
        return None
    try:
        return paging.decode(token, *types)
    except paging.BadToken:
        raise validation_error("The nextToken is not valid.") from None
