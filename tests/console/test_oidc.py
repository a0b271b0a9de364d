"""Single sign-on to the console with OpenID Connect (code flow, PKCE S256), against a stand-in provider on loopback.

The browser is an httpx client that follows no redirect by itself: each hop (console → provider → console) is taken
by hand, so that the tests see what the console asks of the provider and what it answers.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from incidentd.config.console import ClaimMapping, OidcSettings
from incidentd.console import oidc
from incidentd.store import console_sessions
from incidentd.store.db import Database
from incidentd.store.tables import console_sessions as console_sessions_table
from incidentd.store.tables import console_sign_ins
from oidc_standin import CLIENT_ID, CLIENT_SECRET, OidcStandIn, s256
from support import Server, free_port
from support import test_account as numbered_account

ACCOUNT = numbered_account(4999).account_id  # the account "sre" maps to; a database of this module's own
COOKIE = "incidentd_session"
STATE_COOKIE = "incidentd_sso"  # the browser's own sign-in in flight
SSO_LINK = re.compile(r'href="([^"]*/sign-in/sso[^"]*)"')


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcStandIn]:
    """The stand-in OpenID provider."""
    with OidcStandIn() as standin:
        yield standin


@pytest.fixture(autouse=True)
def well_behaved(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with the provider signing carol in, nothing wrong."""
    yield
    if "provider" in request.fixturenames:
        request.getfixturevalue("provider").reset()


def server_config(provider: OidcStandIn) -> str:
    """[console.oidc] for the stand-in: members of "sre" respond in ACCOUNT; incidentd_contact is their contact."""
    return f"""
[console]

[console.oidc]
issuer = "{provider.url}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
scopes = ["openid", "profile", "email", "groups"]
contact_claim = "incidentd_contact"

[[console.oidc.mappings]]
value = "sre"
account_id = "{ACCOUNT}"
role = "responder"
"""


@pytest.fixture(scope="module")
def console_server(
    own_database: str, provider: OidcStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server of its own whose console signs people in with the stand-in."""
    running = Server(own_database, tmp_path_factory.mktemp("oidc"), server_config(provider)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def db(own_database: str) -> Iterator[Database]:
    """The server's database, to look at (and plant) sign-ins in flight."""
    database = Database(own_database)
    yield database
    database.dispose()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A browser that keeps cookies and takes redirects one at a time."""
    with httpx.Client(follow_redirects=False, timeout=15) as client:
        yield client


def browser_with_state(state: str) -> httpx.Client:
    """Another browser, holding the state cookie of a sign-in (as if it had started that sign-in)."""
    client = httpx.Client(follow_redirects=False, timeout=15)
    client.cookies.set(STATE_COOKIE, state, domain="127.0.0.1", path="/console/sign-in")
    return client


def query_of(url: str) -> dict[str, str]:
    """A URL's query parameters (each once)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def to_provider(browser: httpx.Client, server: Server, next_path: str = "/console/") -> str:
    """Start single sign-on at the console; the authorization request it sends the browser to."""
    answer = browser.get(f"{server.endpoint}/console/sign-in/sso", params={"next": next_path})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def back_from_provider(browser: httpx.Client, authorization: str) -> str:
    """Let the provider sign the browser in; the callback URL it sends the browser back to."""
    answer = browser.get(authorization)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def sign_in(browser: httpx.Client, server: Server, next_path: str = "/console/") -> httpx.Response:
    """The whole round trip; the console's answer to the callback."""
    return browser.get(back_from_provider(browser, to_provider(browser, server, next_path)))


def assert_refused(browser: httpx.Client, server: Server, answer: httpx.Response, status: int, words: str) -> None:
    """The callback ended in an error page saying `words`, and the browser has no session."""
    assert answer.status_code == status, answer.text
    assert words in html.unescape(answer.text)
    assert COOKIE not in answer.headers.get("set-cookie", "")
    assert COOKIE not in browser.cookies
    home = browser.get(f"{server.endpoint}/console/")
    assert home.status_code == 303 and "/console/sign-in" in home.headers["location"]


# --- the stand-in's own checks (so that a console that skipped PKCE could not pass) ------------------------------


def authorization_code(provider: OidcStandIn, verifier: str, redirect_uri: str = "http://127.0.0.1:9/callback") -> str:
    """A code from the stand-in for an authorization with the verifier's S256 challenge."""
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    answer = httpx.get(f"{provider.url}/authorize", params=params)
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["location"])["code"]


def token_request(
    provider: OidcStandIn, code: str, verifier: str | None, secret: str = CLIENT_SECRET
) -> httpx.Response:
    """POST /token as a confidential client with Basic authentication."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:9/callback"}
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(f"{provider.url}/token", data=form, auth=(CLIENT_ID, secret))


def test_standin_checks_the_pkce_verifier(provider: OidcStandIn) -> None:
    right, wrong = "v" * 43, "w" * 43
    refused = token_request(provider, authorization_code(provider, right), wrong)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "PKCE verification failed"}
    missing = token_request(provider, authorization_code(provider, right), None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    accepted = token_request(provider, authorization_code(provider, right), right)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["id_token"].count(".") == 2


def test_standin_codes_are_used_once_and_need_the_client_secret(provider: OidcStandIn) -> None:
    verifier = "v" * 43
    code = authorization_code(provider, verifier)
    assert token_request(provider, code, verifier, secret="guessed").status_code == 401
    code = authorization_code(provider, verifier)
    assert token_request(provider, code, verifier).status_code == 200
    assert token_request(provider, code, verifier).json()["error"] == "invalid_grant"


def test_standin_requires_s256(provider: OidcStandIn) -> None:
    answer = httpx.get(
        f"{provider.url}/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:9/cb",
            "scope": "openid",
            "code_challenge": "v" * 43,
            "code_challenge_method": "plain",
        },
    )
    assert answer.status_code == 400


# --- the console against the stand-in ----------------------------------------------------------------------------


def test_sign_in_with_single_sign_on(console_server: Server, provider: OidcStandIn, browser: httpx.Client) -> None:
    server = console_server
    # A browser without a session is sent to sign in, and the sign-in page offers single sign-on.
    first = browser.get(f"{server.endpoint}/console/preferences")
    assert first.status_code == 303
    page = browser.get(f"{server.endpoint}{first.headers['location']}")
    assert page.status_code == 200
    link = SSO_LINK.search(page.text)
    assert link, page.text
    start = browser.get(f"{server.endpoint}{html.unescape(link.group(1))}")
    assert start.status_code == 303

    authorization = start.headers["location"]
    assert authorization.startswith(f"{provider.url}/authorize?")
    asked = query_of(authorization)
    assert asked["response_type"] == "code"
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == f"{server.endpoint}/console/sign-in/callback"
    assert asked["scope"].split() == ["openid", "profile", "email", "groups"]
    assert asked["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", asked["code_challenge"])  # a base64url SHA-256
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32

    callback = back_from_provider(browser, authorization)
    assert callback.startswith(f"{server.endpoint}/console/sign-in/callback?")
    done = browser.get(callback)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/console/preferences"  # back where the browser was going
    assert COOKIE in browser.cookies

    # The console redeemed the code with the verifier of that challenge, authenticated as the client.
    (exchange,) = provider.token_requests
    assert exchange.status == 200
    assert s256(exchange.form["code_verifier"]) == asked["code_challenge"]
    assert exchange.form["redirect_uri"] == asked["redirect_uri"]
    assert exchange.authorization and exchange.authorization.startswith("Basic ")

    home = browser.get(f"{server.endpoint}/console/")
    assert home.status_code == 200, home.text
    assert "carol" in home.text
    assert ACCOUNT in home.text and "responder" in home.text


def test_a_callback_is_used_once(console_server: Server, browser: httpx.Client) -> None:
    callback = back_from_provider(browser, to_provider(browser, console_server))
    assert browser.cookies[STATE_COOKIE] == query_of(callback)["state"]
    assert browser.get(callback).status_code == 303
    assert STATE_COOKIE not in browser.cookies  # done with
    # Even a browser that kept the state's cookie cannot use the state again.
    with browser_with_state(query_of(callback)["state"]) as replay:
        assert_refused(replay, console_server, replay.get(callback), 400, "already used")


def test_a_callback_is_finished_only_in_the_browser_that_started_it(
    console_server: Server, browser: httpx.Client
) -> None:
    # Someone sends another person the callback of their own sign-in, to have them work as that someone.
    callback = back_from_provider(browser, to_provider(browser, console_server))
    with httpx.Client(follow_redirects=False, timeout=15) as victim:
        assert_refused(victim, console_server, victim.get(callback), 400, "started in another browser")
    assert browser.get(callback).status_code == 303  # the state was not spent by the refusal


def test_a_made_up_provider_error_shows_no_made_up_text(console_server: Server, browser: httpx.Client) -> None:
    query = urlencode({"error": "access_denied", "error_description": "Call +1 555 0100 to unlock your account"})
    answer = browser.get(f"{console_server.endpoint}/console/sign-in/callback?{query}")
    assert_refused(browser, console_server, answer, 403, "access_denied")
    assert "555" not in answer.text


MISBEHAVIOUR = {
    "wrong nonce": ({"token_changes": {"nonce": "from-another-sign-in"}}, 400, "issued for another sign-in"),
    "wrong audience": ({"token_changes": {"aud": "another-client"}}, 400, "issued to another application (aud)"),
    "wrong issuer": ({"token_changes": {"iss": "https://elsewhere.example"}}, 400, "issued by another provider"),
    "expired": ({"token_changes": {"exp": int(time.time()) - 3600}}, 400, "expired"),
    "forged signature": ({"forge": True}, 400, "signature is not the identity provider's"),
    "access denied": ({"deny": "access_denied"}, 403, "access_denied"),
    "no mapping": (
        {"next_user": {"sub": "u2", "preferred_username": "dave", "groups": ["finance"]}},
        403,
        "Your account (dave) has no access to the console",
    ),
}


@pytest.mark.parametrize("case", list(MISBEHAVIOUR))
def test_refused_sign_ins_start_no_session(
    console_server: Server, provider: OidcStandIn, browser: httpx.Client, case: str
) -> None:
    changes, status, words = MISBEHAVIOUR[case]
    for name, value in changes.items():
        setattr(provider, name, value)
    assert_refused(browser, console_server, sign_in(browser, console_server), status, words)


def test_groups_only_in_userinfo_are_used(console_server: Server, provider: OidcStandIn, browser: httpx.Client) -> None:
    provider.userinfo_only = frozenset({"groups", "preferred_username"})
    assert sign_in(browser, console_server).status_code == 303
    home = browser.get(f"{console_server.endpoint}/console/")
    assert home.status_code == 200 and "carol" in home.text


def test_unknown_state_and_missing_code_are_refused(console_server: Server, browser: httpx.Client) -> None:
    with browser_with_state("made-up") as other:
        unknown = other.get(f"{console_server.endpoint}/console/sign-in/callback?state=made-up&code=x")
        assert_refused(other, console_server, unknown, 400, "has expired")
    callback = back_from_provider(browser, to_provider(browser, console_server))
    state = query_of(callback)["state"]
    no_code = browser.get(f"{console_server.endpoint}/console/sign-in/callback?{urlencode({'state': state})}")
    assert_refused(browser, console_server, no_code, 400, "no authorization code")


def test_a_sign_in_older_than_ten_minutes_is_refused(console_server: Server, db: Database) -> None:
    eleven_minutes_ago = time.time_ns() // 1_000_000 - 11 * 60_000
    with db.write() as conn:
        console_sessions.begin_sign_in(conn, "old-state", "v" * 64, "n", "/console/", eleven_minutes_ago)
    with browser_with_state("old-state") as other:
        answer = other.get(f"{console_server.endpoint}/console/sign-in/callback?state=old-state&code=x")
        assert_refused(other, console_server, answer, 400, "has expired")


def test_sign_ins_in_flight_are_bounded(console_server: Server, db: Database, browser: httpx.Client) -> None:
    now = time.time_ns() // 1_000_000
    rows = [
        {"state": f"flood-{n}", "verifier": "v" * 64, "nonce": "n", "next_path": "/console/", "created_ms": now}
        for n in range(oidc.MAX_IN_FLIGHT)
    ]
    with db.write() as conn:
        conn.execute(sa.insert(console_sign_ins), rows)
    try:
        answer = browser.get(f"{console_server.endpoint}/console/sign-in/sso")
        assert answer.status_code == 503
        assert "Too many sign-ins" in answer.text
    finally:
        with db.write() as conn:
            conn.execute(sa.delete(console_sign_ins).where(console_sign_ins.c.state.like("flood-%")))
    assert browser.get(f"{console_server.endpoint}/console/sign-in/sso").status_code == 303


def test_next_must_stay_in_the_console(console_server: Server, browser: httpx.Client) -> None:
    assert sign_in(browser, console_server, "https://evil.example/").headers["location"] == "/console/"


# --- the provider client on its own: what one server cannot show --------------------------------------------------


def settings_for(provider: OidcStandIn, **changes: Any) -> OidcSettings:
    """[console.oidc] for a stand-in."""
    found: dict[str, Any] = {
        "issuer": provider.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "mappings": (ClaimMapping("sre", ACCOUNT, "responder"),),
    }
    return OidcSettings(**{**found, **changes})


def provider_sign_in(client: oidc.Provider, provider: OidcStandIn) -> dict[str, Any]:
    """A sign-in through the stand-in by the provider client alone; the claims."""
    verifier, nonce = "v" * 50, "nonce-1"
    redirect = "http://127.0.0.1:9/callback"
    answer = httpx.get(client.authorization_url(redirect, "state-1", nonce, verifier))
    code = query_of(answer.headers["location"])["code"]
    return client.sign_in(code, verifier, nonce, redirect, int(time.time()))


def test_client_secret_post_when_discovery_says_so() -> None:
    with OidcStandIn(auth_method="client_secret_post") as provider:
        claims = provider_sign_in(oidc.Provider(settings_for(provider)), provider)
        assert claims["preferred_username"] == "carol" and claims["aud"] == CLIENT_ID
        (exchange,) = provider.token_requests
        assert exchange.authorization is None and exchange.form["client_secret"] == CLIENT_SECRET


def test_rotated_keys_are_fetched_again(provider: OidcStandIn) -> None:
    client = oidc.Provider(settings_for(provider))
    assert provider_sign_in(client, provider)["sub"] == "u1"
    provider.kid = "standin-2"  # a key id the cached set does not know
    try:
        assert provider_sign_in(client, provider)["sub"] == "u1"
    finally:
        provider.kid = "standin-1"


def test_discovery_is_cached(provider: OidcStandIn) -> None:
    client = oidc.Provider(settings_for(provider))
    before = provider.discovery_fetches
    for _ in range(3):
        provider_sign_in(client, provider)
    assert provider.discovery_fetches == before + 1


def test_an_unreachable_provider_is_a_provider_error() -> None:
    client = oidc.Provider(OidcSettings(issuer=f"http://127.0.0.1:{free_port()}", client_id=CLIENT_ID))
    with pytest.raises(oidc.ProviderError, match="could not be reached"):
        client.authorization_url("http://127.0.0.1:9/callback", "s", "n", "v" * 43)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"preferred_username": "carol"}, "carol"),
        ({"preferred_username": "Carol Smith (SRE)"}, "Carol_Smith_SRE"),
        ({"preferred_username": "josé"}, "jos"),
        ({"email": "carol+ops@example.com", "sub": "u1"}, "carol+ops@example.com"),
        ({"preferred_username": "   ", "sub": "auth0|12345"}, "auth0_12345"),
        ({"preferred_username": "x" * 100}, "x" * 64),
        ({"preferred_username": ["not", "a", "string"], "sub": "u1"}, "u1"),
        ({}, None),
    ],
)
def test_user_names_are_what_iam_allows(claims: dict[str, Any], expected: str | None) -> None:
    assert oidc.user_name(claims, "preferred_username") == expected


# --- "my shifts" and calendar feeds of a single sign-on user ----------------------------------------------------


def test_the_contact_claim_gives_a_single_sign_on_user_their_shifts(
    console_server: Server, provider: OidcStandIn, browser: httpx.Client, db: Database
) -> None:
    from test_feeds import feed_urls, make_rota

    rota = make_rota(console_server, numbered_account(4999))
    alice = rota.people["alice"]
    provider.next_user = {
        "sub": "u3",
        "preferred_username": "alice-sso",
        "groups": ["sre"],
        "incidentd_contact": "alice",
    }
    assert sign_in(browser, console_server).status_code == 303
    with db.read() as conn:
        stored = conn.execute(sa.select(console_sessions_table.c.contact_alias)).scalars().all()
    assert "alice" in stored

    home = browser.get(f"{console_server.endpoint}/console/")
    assert home.status_code == 200 and "alice-sso" in home.text
    panel = home.text.split('id="my-shifts-title"')[1].split("</section>")[0]
    shifts = rota.contacts.list_rotation_shifts(
        RotationId=rota.week, StartTime=datetime.now(UTC), EndTime=datetime.now(UTC) + timedelta(days=7)
    )["RotationShifts"]
    first = next(s for s in shifts if alice in s["ContactIds"])
    assert first["EndTime"].astimezone(UTC).isoformat().replace("+00:00", "Z") in panel
    assert "Primary / Week rotation" in panel and "--contact" not in panel

    # A feed of their shifts reads as them; once the provider no longer grants them access, it stops.
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert csrf is not None
    made = browser.post(f"{console_server.endpoint}/console/feeds", data={"csrf": csrf.group(1), "schedule": ""})
    url, _ = feed_urls(made)
    assert httpx.get(url).status_code == 200 and "Primary / Week rotation: alice" in httpx.get(url).text
    provider.next_user = {"sub": "u3", "preferred_username": "alice-sso", "groups": ["finance"]}
    with httpx.Client(follow_redirects=False, timeout=15) as later:
        assert sign_in(later, console_server).status_code == 403
    assert httpx.get(url).status_code == 404


def test_without_the_contact_claim_a_single_sign_on_user_is_told_how_to_link(
    console_server: Server, browser: httpx.Client
) -> None:
    assert sign_in(browser, console_server).status_code == 303  # carol: no incidentd_contact claim
    home = browser.get(f"{console_server.endpoint}/console/")
    assert home.status_code == 200 and "contact_claim" in home.text
