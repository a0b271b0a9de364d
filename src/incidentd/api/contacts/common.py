"""Look-ups, errors and page tokens that several ssm-contacts handlers share."""

from __future__ import annotations

import datetime
from typing import Any

from incidentd.api import paging
from incidentd.api.context import CallContext
from incidentd.domain import arns
from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.store import channels, contacts, rotations

SERVICE = "ssm-contacts"
PAGES = paging.CONTACTS


def not_found(resource_type: str, identifier: str, what: str) -> ServiceError:
    """A ResourceNotFoundException with the members ssm-contacts requires (ResourceId, ResourceType)."""
    return ServiceError(
        "ResourceNotFoundException",
        f"{what} {identifier} does not exist.",
        ResourceId=identifier,
        ResourceType=resource_type,
    )


def invalid(message: str) -> ServiceError:
    """A ValidationException for a value the model admits but the service refuses."""
    # AWS's own messages for such values read 'Invalid value provided - …' (aws-behaviour §1.5).
    return validation_error(f"Invalid value provided - {message}", Reason="FIELD_VALIDATION_FAILED")


def own_arn(ctx: CallContext, arn: str, resource_type: str) -> str | None:
    """The resource part after 'type/' when the ARN is of the caller's account and region, else None."""
    parsed = arns.parse(arn)
    if parsed is None or parsed.service != SERVICE or parsed.account != ctx.account_id:
        return None
    if parsed.region != ctx.region:
        return None
    kind, _, rest = parsed.resource.partition("/")
    return rest if kind == resource_type and rest else None


# --- Resource look-ups shared by the contact, channel, rotation and tag handlers ---------------------------------


def contact_arn_of(ctx: CallContext, contact_id: str) -> str | None:
    """The canonical ARN of a contact ARN of the caller's account and region, else None."""
    alias = own_arn(ctx, contact_id, "contact")
    return arns.contact(ctx.region, ctx.account_id, alias) if alias and "/" not in alias else None


def channel_arn_of(ctx: CallContext, channel_id: str) -> str | None:
    """The canonical ARN of a contact-channel ARN of the caller's account and region, else None."""
    rest = own_arn(ctx, channel_id, "contact-channel")
    alias, _, channel = (rest or "").partition("/")
    if not alias or not channel or "/" in channel:
        return None
    return arns.contact_channel(ctx.region, ctx.account_id, alias, channel)


def rotation_arn_of(ctx: CallContext, rotation_id: str) -> str | None:
    """The canonical ARN of a rotation ARN of the caller's account and region, else None."""
    rotation = own_arn(ctx, rotation_id, "rotation")
    return arns.rotation(ctx.region, ctx.account_id, rotation) if rotation and "/" not in rotation else None


def load_contact(ctx: CallContext, contact_id: str) -> dict[str, Any]:
    """The caller's contact, or ResourceNotFoundException (also for another account's or region's ARN)."""
    arn = contact_arn_of(ctx, contact_id)
    doc = contacts.get(ctx.conn, ctx.account_id, arn) if arn else None
    if doc is None:
        raise not_found("CONTACT", contact_id, "Contact")
    return doc


def load_channel(ctx: CallContext, channel_id: str, for_update: bool = False) -> channels.Channel:
    """The caller's contact channel, or ResourceNotFoundException; for_update locks its row until the call commits."""
    arn = channel_arn_of(ctx, channel_id)
    found = channels.get(ctx.conn, ctx.account_id, arn, for_update=for_update) if arn else None
    if found is None:
        raise not_found("CONTACT_CHANNEL", channel_id, "Contact channel")
    return found


def load_rotation(ctx: CallContext, rotation_id: str) -> dict[str, Any]:
    """The caller's rotation, or ResourceNotFoundException."""
    arn = rotation_arn_of(ctx, rotation_id)
    doc = rotations.get(ctx.conn, ctx.account_id, arn) if arn else None
    if doc is None:
        raise not_found("ROTATION", rotation_id, "Rotation")
    return doc


def utc(seconds: float) -> datetime.datetime:
    """An epoch-seconds wire timestamp as an aware UTC datetime, as domain.rotations takes them."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def epoch(moment: datetime.datetime) -> float:
    """An aware datetime as epoch seconds."""
    return moment.timestamp()
