"""Shifts of a stored rotation, and of an unsaved one for the console's preview (aws-behaviour §4.5)."""

from __future__ import annotations

from typing import Any

from incidentd.api.contacts.common import PAGES, SERVICE, epoch, invalid, load_rotation, utc
from incidentd.api.contacts.rotations import check_schedule
from incidentd.api.context import CallContext
from incidentd.api.registry import handles
from incidentd.domain import rotations as rules
from incidentd.store import rotations

# Shifts are computed per request; a window of at most a year (and a day, for leap years) bounds that work.
MAX_WINDOW_SECONDS = 366 * 24 * 3600


def _window(ctx: CallContext, params: dict[str, Any]) -> tuple[float, float]:
    """[StartTime, EndTime) of the listing: StartTime defaults to now, and the window must be short and not empty."""
    start, end = params.get("StartTime", ctx.now), params["EndTime"]
    if end <= start:
        raise invalid("EndTime must be after StartTime")
    if end - start > MAX_WINDOW_SECONDS:
        raise invalid("the time range between StartTime and EndTime can't be longer than 366 days")
    return start, end


def _wire(shift: rules.Shift) -> dict[str, Any]:
    """A RotationShift: ShiftDetails only on an overridden shift."""
    wire: dict[str, Any] = {
        "ContactIds": list(shift.contact_ids),
        "StartTime": epoch(shift.start),
        "EndTime": epoch(shift.end),
        "Type": shift.type,
    }
    if shift.overridden_contact_ids is not None:
        wire["ShiftDetails"] = {"OverriddenContactIds": list(shift.overridden_contact_ids)}
    return wire


def _page(shifts: list[rules.Shift], params: dict[str, Any]) -> dict[str, Any]:
    """One page of shifts; the token is the last shift's position (its start and end in milliseconds)."""
    items = [_wire(shift) for shift in shifts]
    page, token = PAGES.page_of(
        items, lambda s: [round(s["StartTime"] * 1000), round(s["EndTime"] * 1000)], params, int, int
    )
    result: dict[str, Any] = {"RotationShifts": page}
    if token:
        result["NextToken"] = token
    return result


@handles(SERVICE, "ListRotationShifts")
def list_rotation_shifts(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """The rotation's shifts in [StartTime, EndTime), with its overrides applied, in time order."""
    rotation = load_rotation(ctx, params["RotationId"])
    start, end = _window(ctx, params)
    overrides = rotations.overrides_in_force(
        ctx.conn, ctx.account_id, rotation["RotationArn"], round(start * 1000), round(end * 1000)
    )
    found = rules.shifts(
        rotation["ContactIds"],
        utc(rotation["StartTime"]),
        rotation["TimeZoneId"],
        rotation["Recurrence"],
        overrides,
        utc(start),
        utc(end),
    )
    return _page(found, params)


@handles(SERVICE, "ListPreviewRotationShifts")
def list_preview_rotation_shifts(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """Shifts of a rotation that is not saved: Members are free strings that nobody looks up (model)."""
    members = params["Members"]
    check_schedule(params["TimeZoneId"], params["Recurrence"], len(members))
    start, end = _window(ctx, params)
    overrides = []
    for number, override in enumerate(params.get("Overrides") or [], 1):
        if "StartTime" not in override or "EndTime" not in override:
            raise invalid(f"override {number} needs a StartTime and an EndTime")
        if override["EndTime"] <= override["StartTime"]:
            raise invalid(f"override {number} must end after it starts")
        new_members = tuple(override.get("NewMembers") or ())
        overrides.append(rules.Override(new_members, utc(override["StartTime"]), utc(override["EndTime"])))
    # The first shift starts at RotationStartTime (model); without one, where the listing starts (our decision, §7.6).
    rotation_start = params.get("RotationStartTime", start)
    found = rules.shifts(
        members, utc(rotation_start), params["TimeZoneId"], params["Recurrence"], overrides, utc(start), utc(end)
    )
    return _page(found, params)
