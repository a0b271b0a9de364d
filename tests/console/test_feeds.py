"""Calendar feeds as plain HTTP (JavaScript off): made from the console, fetched without a session by a calendar app,
compared event for event with ListRotationShifts (overrides included), stored hashed, revoked, and kept to their own
account and their maker's access."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from console_support import add_user, csrf_of, database, signed_in
from icalendar import Calendar

from incidentd.console.feeds_view import MAX_FEEDS, addresses
from incidentd.console.my_shifts import window
from incidentd.store import console_users
from incidentd.store.tables import calendar_feeds
from support import Account, Server, wait_until

HTTPS_LINK = re.compile(r'<a href="(http[^"]*/console/feeds/[^"]+\.ics)"[^>]*>Calendar feed</a>')
WEBCAL_LINK = re.compile(r'<a href="(webcal://[^"]*/console/feeds/[^"]+\.ics)"[^>]*>Calendar feed</a>')
DAILY_BERLIN = {"DailySettings": [{"HourOfDay": 9, "MinuteOfHour": 0}], "NumberOfOnCalls": 1, "RecurrenceMultiplier": 1}


@dataclass(frozen=True)
class Rota:
    """An account's on-call set-up: three people, two rotations, two schedules."""

    contacts: Any  # the boto3 ssm-contacts client
    people: dict[str, str]  # alias -> ARN
    week: str  # "Week rotation" (alice, bob, carol) in schedule Primary
    weekend: str  # "Weekend rotation" (bob, carol) in schedules Primary and Secondary


def onboard(server: Server, account: Account) -> Any:
    """The account's ssm-contacts client, once the account has a replication set."""
    incidents = server.client(account)
    arn = incidents.create_replication_set(regions={"us-east-1": {}})["arn"]
    wait_until(lambda: incidents.get_replication_set(arn=arn)["replicationSet"]["status"] == "ACTIVE")
    return server.client(account, "ssm-contacts")


def make_rota(server: Server, account: Account) -> Rota:
    """Contacts alice, bob and carol; Week rotation (daily 09:00 Berlin, all three) and Weekend rotation (bob and carol,
    every Saturday); schedules primary ("Primary": both) and secondary ("Secondary": Weekend rotation)."""
    contacts = onboard(server, account)
    people = {
        alias: contacts.create_contact(Alias=alias, Type="PERSONAL", Plan={"Stages": []})["ContactArn"]
        for alias in ("alice", "bob", "carol")
    }
    began = datetime.now(UTC) - timedelta(days=3)
    week = contacts.create_rotation(
        Name="Week rotation",
        ContactIds=[people["alice"], people["bob"], people["carol"]],
        StartTime=began,
        TimeZoneId="Europe/Berlin",
        Recurrence=DAILY_BERLIN,
    )["RotationArn"]
    weekend = contacts.create_rotation(
        Name="Weekend rotation",
        ContactIds=[people["bob"], people["carol"]],
        StartTime=began,
        TimeZoneId="America/New_York",
        Recurrence={
            "WeeklySettings": [{"DayOfWeek": "SAT", "HandOffTime": {"HourOfDay": 8, "MinuteOfHour": 30}}],
            "NumberOfOnCalls": 1,
            "RecurrenceMultiplier": 1,
        },
    )["RotationArn"]
    contacts.create_contact(
        Alias="primary", DisplayName="Primary", Type="ONCALL_SCHEDULE", Plan={"RotationIds": [week, weekend]}
    )
    contacts.create_contact(
        Alias="secondary", DisplayName="Secondary", Type="ONCALL_SCHEDULE", Plan={"RotationIds": [weekend]}
    )
    return Rota(contacts, people, week, weekend)


def listed_shifts(contacts: Any, rotation_arn: str, now: float) -> list[dict[str, Any]]:
    """ListRotationShifts over the feeds' window, every page, the shifts that have not ended."""
    start, end = window(now)
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "RotationId": rotation_arn,
        "StartTime": datetime.fromtimestamp(start, UTC),
        "EndTime": datetime.fromtimestamp(end, UTC),
        "MaxResults": 100,
    }
    while True:
        answer = contacts.list_rotation_shifts(**params)
        found += answer["RotationShifts"]
        if not answer.get("NextToken"):
            return [shift for shift in found if shift["EndTime"].timestamp() > now]
        params["NextToken"] = answer["NextToken"]


def expected_events(rota: Rota, place: dict[str, str], now: float, only: str | None = None) -> set[tuple[Any, ...]]:
    """(start, end, summary, override?) of each shift of the rotations in `place` (rotation ARN -> "Schedule /
    Rotation"), of one person's only when told."""
    names = {arn: alias for alias, arn in rota.people.items()}
    found = set()
    for rotation, where in place.items():
        for shift in listed_shifts(rota.contacts, rotation, now):
            if only is not None and rota.people[only] not in shift["ContactIds"]:
                continue
            who = ", ".join(names[arn] for arn in shift["ContactIds"])
            found.add((shift["StartTime"], shift["EndTime"], f"{where}: {who}", shift["Type"] == "OVERRIDDEN"))
    return found


def events_of(feed: bytes) -> list[Any]:
    """The VEVENTs of a feed, parsed by icalendar."""
    return list(Calendar.from_ical(feed).walk("VEVENT"))


def as_tuples(events: list[Any]) -> set[tuple[Any, ...]]:
    """(start, end, summary, override?) of each event."""
    return {
        (e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"]), "Override" in str(e.get("categories").to_ical()))
        for e in events
    }


def create_feed(client: httpx.Client, schedule: str = "") -> httpx.Response:
    """Post "Create calendar feed" from the new-feed page of a schedule (or of the person's own shifts)."""
    preview = client.get("/console/feeds/new", params={"schedule": schedule} if schedule else {})
    assert preview.status_code == 200, preview.text
    assert "Create calendar feed" in preview.text
    return client.post("/console/feeds", data={"csrf": csrf_of(client, "/console/feeds"), "schedule": schedule})


def feed_urls(answer: httpx.Response) -> tuple[str, str]:
    """The https (here http: the test server's own base URL) and webcal links of a created feed's page, each once."""
    assert answer.status_code == 200, answer.text
    https, webcal = HTTPS_LINK.findall(answer.text), WEBCAL_LINK.findall(answer.text)
    assert len(https) == 1 and len(webcal) == 1, answer.text
    assert webcal[0] == "webcal://" + https[0].split("://", 1)[1]
    return https[0], webcal[0]


def fetch(url: str) -> httpx.Response:
    """What a calendar app gets: no cookie, no session."""
    return httpx.get(url, timeout=30)


def stored_feeds(server: Server) -> list[dict[str, Any]]:
    """The calendar_feeds rows."""
    with database(server.database_url).read() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(calendar_feeds))]


@pytest.fixture
def rota(server: Server, account: Account) -> Rota:
    """The test account's on-call set-up."""
    return make_rota(server, account)


def test_a_schedules_feed_says_what_list_rotation_shifts_says_overrides_included(
    server: Server, account: Account, rota: Rota
) -> None:
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer"))
    url, _ = feed_urls(create_feed(client, "primary"))

    answer = fetch(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(answer.content)
    assert str(calendar["x-wr-calname"]) == "On call: Primary"
    place = {rota.week: "Primary / Week rotation", rota.weekend: "Primary / Weekend rotation"}
    events = events_of(answer.content)
    assert as_tuples(events) == expected_events(rota, place, time.time())
    assert len(events) == len(as_tuples(events)) > 90  # a shift a day for 90 days, and the weekends
    for event in events:
        for name in ("dtstart", "dtend", "dtstamp"):  # in UTC: 20261205T133000Z
            assert re.fullmatch(rb"\d{8}T\d{6}Z", event[name].to_ical()), event[name].to_ical()
        assert str(event["uid"]).endswith("@incidentd")

    # Carol covers the day after tomorrow from 12:00 to 18:00 UTC: one shift becomes three events.
    day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=2)
    rota.contacts.create_rotation_override(
        RotationId=rota.week, NewContactIds=[rota.people["carol"]], StartTime=day, EndTime=day + timedelta(hours=6)
    )
    after = events_of(fetch(url).content)
    assert as_tuples(after) == expected_events(rota, place, time.time())
    overrides = [e for e in after if "Override" in str(e.get("categories").to_ical())]
    assert [(e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"])) for e in overrides] == [
        (day, day + timedelta(hours=6), "Primary / Week rotation: carol")
    ]
    assert "covering for" in str(overrides[0]["description"])

    # UIDs: unique within the feed, and the same shift keeps its UID from one fetch to the next.
    uids = {(e.decoded("dtstart"), str(e["summary"])): str(e["uid"]) for e in after}
    assert len(set(uids.values())) == len(after)
    again = {(e.decoded("dtstart"), str(e["summary"])): str(e["uid"]) for e in events_of(fetch(url).content)}
    assert again == uids
    before = {(e.decoded("dtstart"), str(e["summary"])): str(e["uid"]) for e in events}
    unchanged = before.keys() & uids.keys()
    assert len(unchanged) >= len(before) - 1 and all(before[k] == uids[k] for k in unchanged)


def test_a_persons_feed_holds_their_shifts_across_every_schedule(server: Server, account: Account, rota: Rota) -> None:
    alice = add_user(server.database_url, account.account_id, "responder", contact="alice")
    client = signed_in(server.endpoint, alice)
    url, _ = feed_urls(create_feed(client))
    feed = fetch(url)
    assert feed.status_code == 200
    assert str(Calendar.from_ical(feed.content)["x-wr-calname"]) == "On call: alice"
    mine = expected_events(rota, {rota.week: "Primary / Week rotation"}, time.time(), only="alice")
    assert as_tuples(events_of(feed.content)) == mine and 25 <= len(mine) <= 32  # every third day

    bob = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer", contact="bob"))
    bobs = events_of(fetch(feed_urls(create_feed(bob))[0]).content)
    place = {rota.week: "Primary / Week rotation", rota.weekend: "Primary, Secondary / Weekend rotation"}
    assert as_tuples(bobs) == expected_events(rota, place, time.time(), only="bob")
    assert {str(e["uid"]) for e in bobs}.isdisjoint(str(e["uid"]) for e in events_of(feed.content))


def test_a_person_without_a_contact_is_told_how_to_link_one(server: Server, account: Account, rota: Rota) -> None:
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "responder"))
    page = client.get("/console/feeds/new")
    assert page.status_code == 200 and "--contact ALIAS" in page.text and "Create calendar feed" not in page.text
    refused = client.post("/console/feeds", data={"csrf": csrf_of(client, "/console/feeds"), "schedule": ""})
    assert refused.status_code == 400 and "not linked to a contact" in refused.text
    assert stored_feeds(server) == [] or all(f["account_id"] != account.account_id for f in stored_feeds(server))


def test_feed_tokens_are_stored_hashed_and_shown_once(server: Server, account: Account, rota: Rota) -> None:
    name = add_user(server.database_url, account.account_id, "viewer", contact="alice")
    client = signed_in(server.endpoint, name)
    url, webcal = feed_urls(create_feed(client, "secondary"))
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43 and url.startswith(server.endpoint + "/console/feeds/")

    rows = [row for row in stored_feeds(server) if row["user_name"] == name]
    assert len(rows) == 1
    row = rows[0]
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in " ".join(str(value) for value in row.values())
    assert (row["account_id"], row["source"], row["kind"], row["target"]) == (
        account.account_id,
        "local",
        "schedule",
        "secondary",
    )
    assert row["fetched_ms"] is None

    for path in ("/console/feeds", "/console/feeds/new", "/console/feeds/new?schedule=secondary", "/console/"):
        page = client.get(path)
        assert page.status_code == 200 and token not in page.text and "webcal://" not in page.text, path
    listing = client.get("/console/feeds").text
    assert "Schedule secondary" in listing and "never" in listing

    assert fetch(url).status_code == 200
    fetched = [r for r in stored_feeds(server) if r["user_name"] == name][0]["fetched_ms"]
    assert fetched is not None and abs(fetched / 1000 - time.time()) < 60
    assert fetch(url).status_code == 200  # fetched again within the minute: not written again
    assert [r for r in stored_feeds(server) if r["user_name"] == name][0]["fetched_ms"] == fetched
    assert "never" not in client.get("/console/feeds").text


def test_unknown_and_revoked_feeds_are_404(server: Server, account: Account, rota: Rota) -> None:
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer"))
    url, _ = feed_urls(create_feed(client, "primary"))
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 43, token + "a"):
        answer = fetch(f"{server.endpoint}/console/feeds/{wrong}.ics")
        assert (answer.status_code, answer.text) == (404, "Not found.")

    feed_id = re.search(r'action="/console/feeds/([0-9a-f]+)/revoke"', client.get("/console/feeds").text)
    assert feed_id is not None
    csrf = csrf_of(client, "/console/feeds")
    forged = client.post(f"/console/feeds/{feed_id.group(1)}/revoke", data={"csrf": "forged"})
    assert forged.status_code == 403 and fetch(url).status_code == 200
    revoked = client.post(f"/console/feeds/{feed_id.group(1)}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/console/feeds"
    assert (fetch(url).status_code, fetch(url).text) == (404, "Not found.")
    assert "You have no calendar feeds" in client.get("/console/feeds").text
    assert client.post(f"/console/feeds/{feed_id.group(1)}/revoke", data={"csrf": csrf}).status_code == 404


def test_a_removed_users_feeds_stop_even_if_the_name_comes_back(server: Server, account: Account, rota: Rota) -> None:
    name = add_user(server.database_url, account.account_id, "responder", contact="alice")
    url, _ = feed_urls(create_feed(signed_in(server.endpoint, name)))
    assert fetch(url).status_code == 200
    with database(server.database_url).write() as conn:
        assert console_users.remove(conn, name)
    assert fetch(url).status_code == 404
    time.sleep(0.01)
    add_user(server.database_url, account.account_id, "admin", name=name, contact="alice")
    assert fetch(url).status_code == 404  # someone new of the same name does not inherit the feed


def test_feeds_stay_in_their_account(server: Server, account: Account, other_account: Account, rota: Rota) -> None:
    ours = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer", contact="alice"))
    url, _ = feed_urls(create_feed(ours, "primary"))
    our_feed_id = re.search(r'action="/console/feeds/([0-9a-f]+)/revoke"', ours.get("/console/feeds").text)
    assert our_feed_id is not None

    # The other account has a "primary" schedule of its own, with other people; and no "secondary".
    theirs_rota = make_rota(server, other_account)
    theirs_rota.contacts.update_contact(ContactId=theirs_rota.people["alice"], DisplayName="Their alice")
    theirs = signed_in(server.endpoint, add_user(server.database_url, other_account.account_id, "admin"))
    assert "Schedule primary" not in theirs.get("/console/feeds").text
    their_url, _ = feed_urls(create_feed(theirs, "primary"))
    assert "Their alice" in fetch(their_url).text and "Their alice" not in fetch(url).text

    csrf = csrf_of(theirs, "/console/feeds")
    refused = theirs.post(f"/console/feeds/{our_feed_id.group(1)}/revoke", data={"csrf": csrf})
    assert refused.status_code == 404 and fetch(url).status_code == 200

    # A schedule this account does not have cannot be fed.
    lonely = signed_in(server.endpoint, add_user(server.database_url, other_account.account_id, "viewer"))
    assert lonely.get("/console/feeds/new", params={"schedule": "nonesuch"}).status_code == 404
    answer = lonely.post("/console/feeds", data={"csrf": csrf_of(lonely, "/console/feeds"), "schedule": "nonesuch"})
    assert answer.status_code == 400


def test_a_person_may_have_a_limited_number_of_feeds(server: Server, account: Account, rota: Rota) -> None:
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer"))
    csrf = csrf_of(client, "/console/feeds")
    for _ in range(MAX_FEEDS):
        assert client.post("/console/feeds", data={"csrf": csrf, "schedule": "primary"}).status_code == 200
    refused = client.post("/console/feeds", data={"csrf": csrf, "schedule": "primary"})
    assert refused.status_code == 400 and f"You have {MAX_FEEDS} calendar feeds" in refused.text
    assert client.get("/console/feeds").text.count(">Revoke</button>") == MAX_FEEDS


def test_the_address_is_under_the_public_url_when_there_is_one() -> None:
    assert addresses("https://incidents.example.com", "http://10.0.0.5:8080/", "t0ken") == (
        "https://incidents.example.com/console/feeds/t0ken.ics",
        "webcal://incidents.example.com/console/feeds/t0ken.ics",
    )
    assert addresses("", "http://127.0.0.1:8080/", "t0ken") == (
        "http://127.0.0.1:8080/console/feeds/t0ken.ics",
        "webcal://127.0.0.1:8080/console/feeds/t0ken.ics",
    )
