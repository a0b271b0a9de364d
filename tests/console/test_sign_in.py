"""Signing in and out of the console: sessions, wrong passwords, throttling, the sign-in form's token, expiry."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from console_support import PASSWORD, add_user, browser, sign_in, signed_in

from support import Account, Server


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(server: Server) -> None:
    client = browser(server.endpoint)
    answer = client.get("/console/incidents/new")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fincidents%2Fnew"


def test_signing_in_sets_an_http_only_lax_cookie_and_opens_the_incident_list(server: Server, responder: str) -> None:
    client = browser(server.endpoint)
    answer = sign_in(client, responder)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and "incidentd_session=" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # the console is plain http here: [console] public_url is not https
    home = client.get("/console/")
    assert home.status_code == 200
    assert responder in home.text and "Sign out" in home.text


def test_sign_in_comes_back_to_the_page_that_asked_for_it_and_never_to_another_site(
    server: Server, responder: str
) -> None:
    client = browser(server.endpoint)
    form = client.get("/console/sign-in?next=/console/plans").text
    assert 'name="next" value="/console/plans"' in form
    for elsewhere in ("https://evil.example/", "//evil.example/console/", "/console\\..\\x"):
        page = client.get("/console/sign-in", params={"next": elsewhere}).text
        assert 'name="next" value="/console/"' in page


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer_and_no_session(
    server: Server, responder: str
) -> None:
    wrong = sign_in(browser(server.endpoint), responder, "not the password")
    unknown = sign_in(browser(server.endpoint), "nobody-at-all", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "The user name or password is wrong." in wrong.text
    assert wrong.text.replace(responder, "NAME") == unknown.text.replace("nobody-at-all", "NAME").replace(
        _token(unknown.text), _token(wrong.text)
    )
    assert "incidentd_session" not in wrong.headers.get("set-cookie", "")


def _token(page: str) -> str:
    return page.split('name="form_token" value="')[1].split('"')[0]


def test_five_failures_pause_a_name_even_for_the_right_password_and_unknown_names_alike(
    server: Server, responder: str
) -> None:
    for name in (responder, "no-such-user-here"):
        client = browser(server.endpoint)
        for _ in range(5):
            assert sign_in(client, name, "guess").status_code == 401
        paused = sign_in(client, name, PASSWORD)
        assert paused.status_code == 429
        assert "Too many failed sign-ins" in paused.text
        assert "incidentd_session" not in paused.headers.get("set-cookie", "")


def test_the_sign_in_form_needs_its_own_token(server: Server, responder: str) -> None:
    client = browser(server.endpoint)
    answer = client.post("/console/sign-in", data={"username": responder, "password": PASSWORD})
    assert answer.status_code == 403
    assert "incidentd_session" not in answer.headers.get("set-cookie", "")


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(server: Server, responder: str) -> None:
    client = signed_in(server.endpoint, responder)
    copy = browser(server.endpoint)
    copy.cookies.update(client.cookies)
    assert copy.get("/console/").status_code == 200
    token = client.get("/console/").text.split('name="csrf" value="')[1].split('"')[0]
    out = client.post("/console/sign-out", data={"csrf": token})
    assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
    assert copy.get("/console/").status_code == 303


def test_a_made_up_session_cookie_signs_nobody_in(server: Server) -> None:
    client = browser(server.endpoint)
    client.cookies.set("incidentd_session", "made-up-value", path="/console")
    assert client.get("/console/").status_code == 303


@pytest.fixture(scope="module")
def short_sessions(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose sessions end after 3 s idle, or about 8 s after sign-in (long enough for a loaded machine)."""
    config = "[console]\nidle_minutes = 0.05\nlifetime_hours = 0.0022\n"
    running = Server(own_database, tmp_path_factory.mktemp("sessions"), config).start()
    yield running
    running.stop()


def test_a_session_ends_when_idle_too_long(short_sessions: Server, account: Account) -> None:
    name = add_user(short_sessions.database_url, account.account_id, "viewer")
    client = signed_in(short_sessions.endpoint, name)
    assert client.get("/console/").status_code == 200
    time.sleep(4)
    assert client.get("/console/").status_code == 303


def test_a_session_in_use_still_ends_at_its_lifetime(short_sessions: Server, account: Account) -> None:
    name = add_user(short_sessions.database_url, account.account_id, "viewer")
    began = time.monotonic()  # the session starts after this, so its end is after began + 7.9 s
    client = signed_in(short_sessions.endpoint, name)
    while time.monotonic() < began + 6:  # used every half second: never idle
        assert client.get("/console/").status_code == 200
        time.sleep(0.5)
    time.sleep(max(0.0, began + 9 - time.monotonic()))
    assert client.get("/console/").status_code == 303


def test_a_server_with_the_console_turned_off_does_not_serve_it(
    own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    running = Server(own_database, tmp_path_factory.mktemp("off"), "[console]\nenabled = false\n").start()
    try:
        answer = browser(running.endpoint).get("/console/sign-in")
        assert answer.status_code >= 400
        assert "Sign in" not in answer.text
    finally:
        running.stop()


def test_a_failed_sign_in_keeps_the_page_to_come_back_to(server: Server, responder: str) -> None:
    client = browser(server.endpoint)
    form = client.get("/console/sign-in?next=/console/plans").text
    token = form.split('name="form_token" value="')[1].split('"')[0]
    data = {"username": responder, "password": "wrong", "form_token": token, "next": "/console/plans"}
    wrong = client.post("/console/sign-in", data=data)
    assert wrong.status_code == 401 and 'name="next" value="/console/plans"' in wrong.text
    right = client.post("/console/sign-in", data=dict(data, password=PASSWORD))
    assert right.status_code == 303 and right.headers["location"] == "/console/plans"
