"""Shifts as an iCalendar (RFC 5545) feed, written by the `icalendar` library: one VEVENT per shift, in UTC.

Each event's UID is a hash of the rotation's ARN (as account and resource, so its spelling does not matter), the
shift's start to the millisecond, and what the feed is of (the person's contact ARN, or the schedule's): fetching the
feed again gives the same shift the same UID, so calendar apps update their copy instead of adding another. A shift
that an override cuts in pieces becomes one event per piece; the first keeps the shift's UID, the others get their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from incidentd.console.my_shifts import Shift, key

PRODUCT = "-//incidentd//On-call calendar feed//EN"
REFRESH = timedelta(hours=1)  # how often calendar apps that honour it fetch the feed again (RFC 7986)
UID_DOMAIN = "incidentd"


def uid(shift: Shift, subject: str) -> str:
    """The stable UID of a shift in a feed of `subject` (a contact's or a schedule's ARN)."""
    account, resource = key(shift.rotation_arn)
    subject_account, subject_resource = key(subject)
    seed = f"{account}:{resource}|{round(shift.start * 1000)}|{subject_account}:{subject_resource}"
    return f"{hashlib.sha256(seed.encode()).hexdigest()[:40]}@{UID_DOMAIN}"


def summary(shift: Shift) -> str:
    """'Primary / Week rotation: alice'."""
    return f"{shift.place}: {', '.join(shift.who)}"


def description(shift: Shift) -> str:
    """The details a calendar app shows under the title."""
    lines = [f"On call: {', '.join(shift.who)}", f"Rotation: {shift.rotation} ({shift.time_zone})"]
    if shift.schedules:
        lines.append(f"On-call schedule: {', '.join(shift.schedules)}")
    if shift.override:
        lines.append(f"Override, covering for {', '.join(shift.covers_for) or 'nobody'}")
    return "\n".join(lines)


def calendar(name: str, subject: str, shifts: Sequence[Shift], now: float) -> bytes:
    """The feed's VCALENDAR: one event per shift."""
    cal = Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", REFRESH)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    stamp = datetime.fromtimestamp(round(now), UTC)
    for shift in shifts:
        event = Event()
        event.add("uid", uid(shift, subject))
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.fromtimestamp(shift.start, UTC))
        event.add("dtend", datetime.fromtimestamp(shift.end, UTC))
        event.add("summary", summary(shift))
        event.add("description", description(shift))
        event.add("categories", ["On call", "Override"] if shift.override else ["On call"])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return bytes(cal.to_ical())
