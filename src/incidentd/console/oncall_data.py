"""What the on-call pages read through the API: every page of a listing, schedules, names and shifts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from incidentd.console.app import Console
from incidentd.console.sessions import SignedIn

CONTACTS = "ssm-contacts"
MAX_ITEMS = 5000  # a listing stops here, so one page never reads without end


def every(
    console: Console, who: SignedIn, name: str, params: dict[str, Any], key: str, page_size: int = 100
) -> list[dict[str, Any]]:
    """Every item of a paginated ssm-contacts listing (up to MAX_ITEMS), as the signed-in person."""
    found: list[dict[str, Any]] = []
    ask = {**params, "MaxResults": page_size}
    while len(found) < MAX_ITEMS:
        answer = console.call(who, CONTACTS, name, ask)
        found += answer.get(key, [])
        if not answer.get("NextToken"):
            break
        ask["NextToken"] = answer["NextToken"]
    return found


def contacts(console: Console, who: SignedIn, kind: str | None = None) -> list[dict[str, Any]]:
    """The account's contacts, of one Type (PERSONAL, ESCALATION, ONCALL_SCHEDULE) or all."""
    params = {"Type": kind} if kind else {}
    return every(console, who, "ListContacts", params, "Contacts")


def names(found: list[dict[str, Any]]) -> dict[str, str]:
    """Each contact's ARN with the name people know it by (display name, else alias)."""
    return {c["ContactArn"]: c.get("DisplayName") or c["Alias"] for c in found}


@dataclass(frozen=True)
class Schedule:
    """An on-call schedule (a contact of type ONCALL_SCHEDULE) with its rotations, in the order it names them."""

    contact: dict[str, Any]
    rotation_ids: list[str]

    @property
    def alias(self) -> str:
        """The schedule's alias, which its console path names."""
        return str(self.contact["Alias"])

    @property
    def title(self) -> str:
        """The name people know it by."""
        return str(self.contact.get("DisplayName") or self.contact["Alias"])


def schedules(console: Console, who: SignedIn) -> list[Schedule]:
    """Every on-call schedule of the account with its rotation ARNs (from GetContact's plan)."""
    found = []
    for contact in contacts(console, who, "ONCALL_SCHEDULE"):
        plan = console.call(who, CONTACTS, "GetContact", {"ContactId": contact["ContactArn"]}).get("Plan", {})
        found.append(Schedule(contact, list(plan.get("RotationIds") or [])))
    return found


def shifts(console: Console, who: SignedIn, rotation_arn: str, start: float, end: float) -> list[dict[str, Any]]:
    """ListRotationShifts of one rotation over [start, end) in epoch seconds, every page, overrides included."""
    return every(
        console,
        who,
        "ListRotationShifts",
        {"RotationId": rotation_arn, "StartTime": start, "EndTime": end},
        "RotationShifts",
        page_size=1024,
    )


def seconds(value: Any) -> float:
    """An API timestamp (a datetime from the invoker, or epoch seconds) as epoch seconds."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def now_and_next(found: list[dict[str, Any]], now: float) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The shift in force at `now` (if any) and the first one after it, from a time-ordered list."""
    current = next((s for s in found if seconds(s["StartTime"]) <= now < seconds(s["EndTime"])), None)
    coming: Iterator[dict[str, Any]] = (s for s in found if seconds(s["StartTime"]) > now)
    return current, next(coming, None)
