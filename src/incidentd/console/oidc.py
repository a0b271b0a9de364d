"""Single sign-on: OpenID Connect's authorization code flow with PKCE (S256), against any standard provider.

GET /console/sign-in/sso stores a state, a nonce and a code verifier in the database (so that whichever node the
callback reaches can finish it), gives the browser the state in a cookie, and sends it to the provider.
GET /console/sign-in/callback takes them back once (in that browser only), exchanges the code for tokens, verifies
the ID token, and maps the person's claim ([console.oidc] claim) to an account and a role (and contact_claim, when
set, to the person's own contact, for "my shifts"). Every call to the provider blocks, so both endpoints run on the
thread pool; whatever the provider does wrong ends in a page that says so, never in a 500.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.config.console import OidcSettings
from incidentd.console.app import PREFIX, Console
from incidentd.console.sign_in_view import safe_next
from incidentd.store import calendar_feeds, console_sessions

log = logging.getLogger("incidentd.console")

TIMEOUT_S = 10.0
CACHE_S = 600.0  # the discovery document and keys are fetched again after this long: providers rotate keys
SIGN_IN_MS = 10 * 60_000  # a sign-in that is not back from its provider within this long is refused
MAX_IN_FLIGHT = 10_000  # anyone can start sign-ins: past this many in flight, new ones are refused
LEEWAY_S = 60  # clock skew allowed between this node and the provider
MAX_STATE = 64  # the state column's width: a longer one is no state of ours
MAX_NEXT = 2048  # the next_path column's width
MAX_DETAIL = 200  # of a provider's error description shown on the page
# Signature algorithms an ID token may use: asymmetric only, so the provider's published keys are what verify it.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
NOT_IN_USER_NAME = re.compile(r"[^\w+=,.@-]+", re.ASCII)  # IAM user names allow [\w+=,.@-], ASCII only

ERROR_CODE = re.compile(r"[\w.-]{1,64}", re.ASCII)  # OAuth error codes are short ASCII words
# The browser that started a sign-in keeps its state in this cookie: a callback is finished only in that browser, so
# nobody can send another person a callback of their own sign-in and have them signed in as themselves.
STATE_COOKIE = "incidentd_sso"
STATE_PATH = f"{PREFIX}/sign-in"

AGAIN = "Sign in again."
EXPIRED = f"This sign-in has expired, was already used, or was started in another browser. {AGAIN}"


class ProviderError(Exception):
    """The provider failed or answered something unusable; the message is for the person signing in."""


class Provider:
    """One OpenID provider: its discovery document and keys (kept for CACHE_S), the code exchange, the ID token."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        # (expiry on the monotonic clock, value); replaced whole, so threads need no lock to read them
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def metadata(self) -> dict[str, Any]:
        """The discovery document, checked to be this issuer's."""
        cached = self._metadata
        if cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + CACHE_S, self._discover())
            self._metadata = cached
        return cached[1]

    def keys(self, refresh: bool = False) -> KeySet:
        """The provider's signing keys (fetched again when refresh is set: a new key id means they rotated)."""
        cached = self._keys
        if refresh or cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + CACHE_S, self._fetch_keys())
            self._keys = cached
        return cached[1]

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        """Where to send the browser to sign in."""
        endpoint = str(self.metadata()["authorization_endpoint"])
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.settings.scopes),
                "state": state,
                "nonce": nonce,
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def sign_in(self, code: str, verifier: str, nonce: str, redirect_uri: str, now_s: int) -> dict[str, Any]:
        """The person's verified claims for an authorization code: the ID token's, and userinfo's if needed."""
        tokens = self._exchange(code, verifier, redirect_uri)
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str):
            raise ProviderError(f"The identity provider sent no ID token. {AGAIN}")
        claims = self._verify(id_token, nonce, access_token if isinstance(access_token, str) else None, now_s)
        wanted = {self.settings.claim, self.settings.name_claim} | ({self.settings.contact_claim} - {""})
        if isinstance(access_token, str) and not wanted <= claims.keys() and self.metadata().get("userinfo_endpoint"):
            claims = {**self._userinfo(access_token, claims["sub"]), **claims}  # the signed token's claims win
        return claims

    def _discover(self) -> dict[str, Any]:
        url = f"{self.settings.issuer}/.well-known/openid-configuration"
        found = _json_object(_call("GET", url, "discovery document"), "discovery document")
        # The document must name the issuer it was fetched for (OpenID Connect Discovery 1.0, section 4.3).
        if str(found.get("issuer", "")).rstrip("/") != self.settings.issuer:
            raise ProviderError(
                f"The identity provider's discovery document names another issuer: {found.get('issuer')!r}."
            )
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not str(found.get(name, "")).startswith(("https://", "http://")):
                raise ProviderError(f"The identity provider's discovery document has no {name}.")
        return found

    def _fetch_keys(self) -> KeySet:
        found = _json_object(_call("GET", str(self.metadata()["jwks_uri"]), "keys"), "keys")
        try:
            return KeySet.import_key_set(found)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise ProviderError(f"The identity provider's signing keys are unusable ({error}).") from error

    def _exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth = None
        if not self.settings.client_secret:  # a public client: PKCE alone proves the code is ours
            form["client_id"] = self.settings.client_id
        elif self._posts_secret():
            form.update(client_id=self.settings.client_id, client_secret=self.settings.client_secret)
        else:  # RFC 6749 section 2.3.1: each part is form-encoded before it is joined
            auth = httpx.BasicAuth(quote(self.settings.client_id), quote(self.settings.client_secret))
        answer = _call("POST", str(self.metadata()["token_endpoint"]), "token endpoint", data=form, auth=auth)
        found = _json_object(answer, "token answer")
        if answer.status_code != 200:
            raise ProviderError(f"The identity provider refused the sign-in ({_described(found)}). {AGAIN}")
        return found

    def _posts_secret(self) -> bool:
        """Whether the token endpoint takes the client secret in the form rather than in Basic authentication."""
        methods = self.metadata().get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        return "client_secret_basic" not in methods and "client_secret_post" in methods

    def _verify(self, id_token: str, nonce: str, access_token: str | None, now_s: int) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=ALGORITHMS)
            except InvalidKeyIdError:
                token = jwt.decode(id_token, self.keys(refresh=True), algorithms=ALGORITHMS)
            options = {
                "iss": {"essential": True, "value": self.metadata()["issuer"]},
                "aud": {"essential": True, "value": self.settings.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "iat": {"essential": True},
            }
            params = {"nonce": nonce, "client_id": self.settings.client_id, "access_token": access_token}
            claims = CodeIDToken(token.claims, token.header, options, params)
            claims.validate(now=now_s, leeway=LEEWAY_S)
        except ClaimError as error:
            raise ProviderError(
                f"The identity provider's ID token is not valid: {_claim_problem(error)}. {AGAIN}"
            ) from error
        except BadSignatureError as error:
            raise ProviderError(f"The ID token's signature is not the identity provider's. {AGAIN}") from error
        except (JoseError, ValueError, TypeError) as error:
            raise ProviderError(f"The identity provider's ID token could not be verified ({error}). {AGAIN}") from error
        return dict(claims)

    def _userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        url = str(self.metadata()["userinfo_endpoint"])
        answer = _call("GET", url, "userinfo endpoint", headers={"authorization": f"Bearer {access_token}"})
        found = _json_object(answer, "userinfo answer")
        if answer.status_code != 200:
            raise ProviderError(f"The identity provider's userinfo endpoint refused ({_described(found)}). {AGAIN}")
        # OpenID Connect Core 1.0, section 5.3.2: claims about another subject must not be used.
        if found.get("sub") != subject:
            raise ProviderError(f"The identity provider's userinfo is about another user. {AGAIN}")
        return found


def _call(method: str, url: str, what: str, **options: Any) -> httpx.Response:
    """One request to the provider, with the timeout; a network failure becomes a ProviderError."""
    try:
        return httpx.request(method, url, timeout=TIMEOUT_S, **options)
    except httpx.HTTPError as error:
        raise ProviderError(f"The identity provider's {what} could not be reached ({type(error).__name__}).") from error


def _json_object(answer: httpx.Response, what: str) -> dict[str, Any]:
    """A provider's answer as a JSON object."""
    try:
        found = answer.json()
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise ProviderError(f"The identity provider's {what} is not a JSON object (HTTP {answer.status_code}).")
    return found


def _described(found: Mapping[str, Any]) -> str:
    """An OAuth error answer as 'error: description', shortened."""
    error, description = str(found.get("error") or "no error code"), found.get("error_description")
    return f"{error}: {str(description)[:MAX_DETAIL]}" if description else error[:MAX_DETAIL]


def _claim_problem(error: ClaimError) -> str:
    """What a failed claim check means, in words."""
    meanings = {
        "nonce": "it was issued for another sign-in (nonce)",
        "aud": "it was issued to another application (aud)",
        "azp": "it was issued to another application (azp)",
        "iss": "it was issued by another provider (iss)",
        "exp": "it has expired (exp)",
        "iat": "it was issued in the future (iat)",
    }
    return meanings.get(error.claim, error.description)


def user_name(claims: Mapping[str, Any], name_claim: str) -> str | None:
    """The IAM user name the person acts as: name_claim, else email, else sub, made what IAM allows."""
    for key in (name_claim, "email", "sub"):
        value = claims.get(key)
        cleaned = NOT_IN_USER_NAME.sub("_", value).strip("_")[:64] if isinstance(value, str) else ""
        if cleaned:
            return cleaned
    return None


def redirect_uri(console: Console, request: Request) -> str:
    """Where the provider sends the browser back: under public_url when it is set, else under this request's host."""
    base = console.settings.console.public_url or str(request.base_url).rstrip("/")
    return f"{base}{PREFIX}/sign-in/callback"


def _refused(console: Console, request: Request, status: int, message: str) -> Response:
    return console.page(request, None, "sign_in_error.html", status=status, message=message)


def begin(console: Console, provider: Provider, request: Request) -> Response:
    """GET /console/sign-in/sso: remember a new sign-in and send the browser to the provider."""
    state, nonce, verifier = generate_token(40), generate_token(40), generate_token(64)
    try:
        location = provider.authorization_url(redirect_uri(console, request), state, nonce, verifier)
    except ProviderError as error:
        log.warning("single sign-on: %s", error)
        return _refused(console, request, 400, f"{error} Try again later, or sign in with a user name and password.")
    next_path = safe_next(request.query_params.get("next"))
    next_path = next_path if len(next_path) <= MAX_NEXT else f"{PREFIX}/"
    now = console.clock.now_ms()
    with console.db.write() as conn:
        # Rows are written before anyone has signed in: the count keeps a flood of requests from filling the table.
        if console_sessions.sign_ins_in_flight(conn, now - SIGN_IN_MS) >= MAX_IN_FLIGHT:
            busy = True
        else:
            busy = False
            console_sessions.begin_sign_in(conn, state, verifier, nonce, next_path, now)
    if busy:
        log.warning("single sign-on: %d sign-ins in flight, refusing more", MAX_IN_FLIGHT)
        return _refused(console, request, 503, "Too many sign-ins are in progress. Wait a few minutes and try again.")
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=SIGN_IN_MS // 1000,
        path=STATE_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back, a top-level navigation
        secure=console.settings.console.secure_cookies,
    )
    return response


def finish(console: Console, provider: Provider, request: Request) -> Response:
    """GET /console/sign-in/callback: the sign-in's end, whatever it is; the state's cookie goes either way."""
    response = _finish(console, provider, request)
    response.delete_cookie(
        STATE_COOKIE, path=STATE_PATH, httponly=True, samesite="lax", secure=console.settings.console.secure_cookies
    )
    return response


def _finish(console: Console, provider: Provider, request: Request) -> Response:
    """Check what the provider sent back and start the session."""
    query = request.query_params
    state = query.get("state", "")
    ours = bool(state) and hmac.compare_digest(state.encode(), request.cookies.get(STATE_COOKIE, "").encode())
    pending = _take(console, state) if ours else None  # taken even when the provider refused: used once
    if query.get("error"):
        return _provider_refused(console, request, pending is not None)
    if pending is None:
        return _refused(console, request, 400, EXPIRED)
    verifier, nonce, next_path = pending
    code = query.get("code")
    if not code:
        return _refused(console, request, 400, f"The identity provider sent no authorization code. {AGAIN}")
    try:
        claims = provider.sign_in(code, verifier, nonce, redirect_uri(console, request), _now_s(console))
    except ProviderError as error:
        log.warning("single sign-on failed: %s", error)
        return _refused(console, request, 400, str(error))
    return _start_session(console, request, claims, next_path)


def _provider_refused(console: Console, request: Request, ours: bool) -> Response:
    """The provider's error= answer; its description only for a sign-in of ours, as anyone can make up such a link."""
    error, description = request.query_params["error"], request.query_params.get("error_description")
    code = error if ERROR_CODE.fullmatch(error) else "an unknown error"
    refusal = f"{code}: {description[:MAX_DETAIL]}" if ours and description else code
    log.info("single sign-on refused by the provider: %r", refusal)
    status = 403 if code == "access_denied" else 400
    return _refused(console, request, status, f"The identity provider did not sign you in ({refusal}).")


def _take(console: Console, state: str) -> tuple[str, str, str] | None:
    """The sign-in in flight of a state (verifier, nonce, next path), forgotten as it is taken."""
    if not state or len(state) > MAX_STATE:
        return None
    with console.db.write() as conn:
        return console_sessions.finish_sign_in(conn, state, console.clock.now_ms() - SIGN_IN_MS)


def _now_s(console: Console) -> int:
    return console.clock.now_ms() // 1000


def _start_session(console: Console, request: Request, claims: Mapping[str, Any], next_path: str) -> Response:
    """A session for a verified person whose claim maps to an account; otherwise a page saying why not."""
    settings = console.settings.console.oidc
    assert settings is not None  # these routes exist only when it is set
    name = user_name(claims, settings.name_claim)
    grant = settings.grant(claims)
    if grant is None:
        log.info("single sign-on: %s has no %s mapped to the console", name or claims.get("sub"), settings.claim)
        if name is not None:  # their access is gone: so are the calendar feeds that read as them
            with console.db.write() as conn:
                calendar_feeds.revoke_all_of(conn, "oidc", name)
        who = f"Your account ({name})" if name else "Your account"
        return _refused(console, request, 403, f"{who} has no access to the console. Ask an administrator for access.")
    if name is None:
        return _refused(console, request, 400, "The identity provider sent no user name, email or subject.")
    with console.db.write() as conn:
        # The provider just vouched for the person's role here: their calendar feeds read with it for a while more.
        calendar_feeds.confirm_role(conn, "oidc", name, grant.account_id, grant.role, console.clock.now_ms())
    contact = settings.contact_alias(claims)
    session_id = console.sessions.start(name, "oidc", grant.account_id, grant.role, contact)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    console.set_cookie(response, session_id)
    return response


def routes(console: Console) -> list[BaseRoute]:
    """GET /sign-in/sso and GET /sign-in/callback, relative to the console's mount; none without [console.oidc]."""
    settings = console.settings.console.oidc
    if settings is None:
        return []
    provider = Provider(settings)  # one per process: its cache lives as long as the process

    async def sso(request: Request) -> Response:
        return await run_in_threadpool(begin, console, provider, request)

    async def callback(request: Request) -> Response:
        return await run_in_threadpool(finish, console, provider, request)

    return [Route("/sign-in/sso", sso, methods=["GET"]), Route("/sign-in/callback", callback, methods=["GET"])]
