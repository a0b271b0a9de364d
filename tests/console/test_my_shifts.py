"""My shifts, as plain HTTP: the console's home and its own page list the linked person's shifts across every
schedule (overrides marked), and tell a person without a contact how to link one."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta

from console_support import add_user, signed_in
from test_feeds import Rota, listed_shifts, make_rota

from support import Account, Server

TIME = re.compile(r'<time datetime="([^"]+)"')


def starts_shown(page: str) -> list[str]:
    """The datetime attribute of every <time> a page shows, in order."""
    return TIME.findall(page)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_the_home_and_my_shifts_show_the_persons_shifts(server: Server, account: Account) -> None:
    rota: Rota = make_rota(server, account)
    alices = [
        s for s in listed_shifts(rota.contacts, rota.week, time.time()) if rota.people["alice"] in s["ContactIds"]
    ]
    day = alices[1]["StartTime"] + timedelta(hours=1)  # bob covers two hours of a shift of alice's
    rota.contacts.create_rotation_override(
        RotationId=rota.week, NewContactIds=[rota.people["bob"]], StartTime=day, EndTime=day + timedelta(hours=2)
    )
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer", contact="bob"))
    now = time.time()
    bobs = sorted(
        [s for r in (rota.week, rota.weekend) for s in listed_shifts(rota.contacts, r, now)],
        key=lambda s: s["StartTime"],
    )
    bobs = [s for s in bobs if rota.people["bob"] in s["ContactIds"]]

    home = client.get("/console/")
    assert home.status_code == 200
    panel = home.text.split('id="my-shifts-title"')[1].split("</section>")[0]
    assert ">My shifts</h2>" in panel
    first = bobs[0]
    assert starts_shown(panel)[:2] == [iso(first["StartTime"]), iso(first["EndTime"])]
    assert len(starts_shown(panel)) == 6  # the first three, from and until
    assert f"({len(bobs) - 3} more)" in panel and 'href="/console/my-shifts"' in panel

    page = client.get("/console/my-shifts")
    assert page.status_code == 200
    table = html.unescape(page.text.split("<tbody>")[1].split("</tbody>")[0])
    assert starts_shown(table) == [iso(t) for s in bobs for t in (s["StartTime"], s["EndTime"])]
    assert table.count("<tr>") == len(bobs)
    assert "Primary, Secondary / Weekend rotation" in table and "Primary / Week rotation" in table
    assert table.count(">Override</span>") == 1
    override_row = [row for row in table.split("<tr>") if "Override" in row][0]
    assert starts_shown(override_row) == [iso(day), iso(day + timedelta(hours=2))]
    assert "bob" in override_row and "for alice" in override_row


def test_a_person_without_a_contact_is_told_how_to_link_one(server: Server, account: Account) -> None:
    make_rota(server, account)
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "responder"))
    home = client.get("/console/")
    assert home.status_code == 200 and ">My shifts</h2>" in home.text
    assert "--contact ALIAS" in home.text and "contact_claim" in home.text
    page = client.get("/console/my-shifts")
    assert page.status_code == 200 and "--contact ALIAS" in page.text and "<table" not in page.text


def test_a_contact_that_is_not_there_or_on_no_rotation(server: Server, account: Account) -> None:
    rota = make_rota(server, account)
    rota.contacts.create_contact(Alias="dave", Type="PERSONAL", Plan={"Stages": []})
    dave = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer", contact="dave"))
    assert "You have no shifts in the next 90 days." in dave.get("/console/").text
    ghost = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer", contact="ghost"))
    home = ghost.get("/console/")
    assert home.status_code == 200 and "linked to the contact ghost, which this account does not have" in home.text


def test_the_lists_refresh_does_not_render_my_shifts(server: Server, account: Account) -> None:
    make_rota(server, account)
    client = signed_in(server.endpoint, add_user(server.database_url, account.account_id, "viewer", contact="alice"))
    rows = client.get("/console/incidents/rows")
    assert rows.status_code == 200 and "My shifts" not in rows.text
    started = time.perf_counter()
    assert client.get("/console/").status_code == 200
    assert time.perf_counter() - started < 2.0
