"""A daily 09:00 hand-off across daylight saving changes (2027): 09:00 every day in the rotation's own zone, and in
UTC the hour moves by one on the day the clocks change."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from console_support import signed_in
from test_on_call import DAILY_9

from support import Server

CHANGES = [  # (zone, a month with a change, the local day of the change)
    ("Europe/Berlin", 3, 28),
    ("Europe/Berlin", 10, 31),
    ("America/New_York", 3, 14),
    ("America/New_York", 11, 7),
    ("Australia/Sydney", 4, 4),
    ("Australia/Sydney", 10, 3),
]


def dst_schedule(contacts, zone: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A schedule of one rotation in `zone` handing off daily at 09:00 since 1 January 2027; (alias, rotation id)."""
    people = [
        contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        for alias in ("ama", "yaw")
    ]
    rotation = contacts.create_rotation(
        Name=f"{zone.replace('/', ' ')} daily",
        ContactIds=people,
        StartTime=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
        TimeZoneId=zone,
        Recurrence=DAILY_9,
    )["RotationArn"]
    contacts.create_contact(Alias="dst", DisplayName="DST", Type="ONCALL_SCHEDULE", Plan={"RotationIds": [rotation]})
    return "dst", rotation.rsplit("/", 1)[-1]


def hand_offs(page: str, rotation_id: str) -> dict[str, list[str]]:
    """The hand-off times the calendar shows in a rotation's rows (one a week), by day."""
    rows = "".join(chunk.split("</tr>")[0] for chunk in page.split(f'data-rotation="{rotation_id}"')[1:])
    return {
        day: re.findall(r'data-handoff="([^"]+)"', cell)
        for day, cell in re.findall(r'<td data-day="([\d-]+)"(.*?)</td>', rows, re.S)
    }


@pytest.mark.parametrize(("zone", "month", "change"), CHANGES)
def test_a_daily_hand_off_stays_at_nine_in_its_zone_and_moves_an_hour_in_utc(
    server: Server, contacts, admin: str, zone: str, month: int, change: int
) -> None:
    alias, rotation_id = dst_schedule(contacts, zone)
    client = signed_in(server.endpoint, admin)
    path = f"/console/on-call/schedules/{alias}"

    own = hand_offs(
        client.get(path, params={"view": "month", "start": f"2027-{month:02d}-01", "zone": zone}).text, rotation_id
    )
    utc = hand_offs(
        client.get(path, params={"view": "month", "start": f"2027-{month:02d}-01", "zone": "UTC"}).text, rotation_id
    )

    assert len(own) >= 28 and all(times == ["09:00"] for times in own.values()), own
    local = ZoneInfo(zone)
    expected: dict[str, list[str]] = {}
    for day in own:
        moment = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(9), local)
        in_utc = moment.astimezone(datetime.UTC)
        expected.setdefault(in_utc.date().isoformat(), []).append(in_utc.strftime("%H:%M"))
    shown = {day: times for day, times in utc.items() if times}
    assert {day: expected[day] for day in shown if day in expected} == {d: t for d, t in shown.items() if d in expected}
    hours = sorted({t for times in shown.values() for t in times})
    assert len(hours) == 2 and abs(int(hours[0][:2]) - int(hours[1][:2])) == 1, hours
    day = datetime.date(2027, month, change)
    one = datetime.timedelta(days=1)
    before = datetime.datetime.combine(day - one, datetime.time(9), local).astimezone(datetime.UTC)
    after = datetime.datetime.combine(day, datetime.time(9), local).astimezone(datetime.UTC)  # clocks change at night
    assert shown[before.date().isoformat()] != shown[after.date().isoformat()]
