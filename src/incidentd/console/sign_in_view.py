"""Signing in (a local user's password, or single sign-on), signing out, and the time-zone preference."""

from __future__ import annotations

import hmac
import secrets
from zoneinfo import available_timezones

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.auth.principals import Principal
from incidentd.console import passwords
from incidentd.console.app import PREFIX, Console, PostedForm, address, read_form, reader, writer
from incidentd.console.sessions import COOKIE, SignedIn
from incidentd.store import console_sessions, console_users

# The sign-in form's own CSRF token lives in a cookie of its own (there is no session yet to hold it).
FORM_COOKIE = "incidentd_sign_in"
WRONG = "The user name or password is wrong."  # the same words whether or not the user exists
PAUSED = "Too many failed sign-ins. Wait a few minutes and try again."
ZONES = sorted(available_timezones())


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of the console, never another site."""
    if value and value.startswith(f"{PREFIX}/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/"


def _form(
    console: Console,
    request: Request,
    status: int = 200,
    error: str | None = None,
    name: str = "",
    next_path: str | None = None,
) -> Response:
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    response = console.page(
        request,
        None,
        "sign_in.html",
        status=status,
        error=error,
        name=name,
        form_token=token,
        next=safe_next(next_path or request.query_params.get("next")),
        sso=console.settings.console.oidc is not None,
    )
    response.set_cookie(
        FORM_COOKIE, token, path=PREFIX, httponly=True, samesite="lax", secure=console.settings.console.secure_cookies
    )
    return response


def routes(console: Console) -> list[BaseRoute]:
    """The sign-in, sign-out and preference endpoints."""

    async def sign_in_form(request: Request) -> Response:
        who = await run_in_threadpool(console.sessions.find, request.cookies.get(COOKIE))
        if who is not None:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        return _form(console, request)

    async def sign_in(request: Request) -> Response:
        form = await read_form(request) or PostedForm([])
        expected = request.cookies.get(FORM_COOKIE, "")
        if not expected or not hmac.compare_digest(form.get("form_token", "").encode(), expected.encode()):
            return _form(console, request, 403, "This form has expired; try again.", next_path=form.get("next"))
        return await run_in_threadpool(_check_password, console, request, form)

    def sign_out(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
        with console.db.write() as conn:
            console_sessions.end(conn, who.session_hash)
        response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    found: list[BaseRoute] = [
        Route("/sign-in", sign_in_form, methods=["GET"]),
        Route("/sign-in", sign_in, methods=["POST"]),
        Route("/sign-out", writer(console, sign_out), methods=["POST"]),
        Route("/preferences", reader(console, _preferences), methods=["GET"]),
        Route("/preferences", writer(console, _save_preferences), methods=["POST"]),
    ]
    if console.settings.console.oidc is not None:
        from incidentd.console import oidc

        found += oidc.routes(console)
    return found


def _check_password(console: Console, request: Request, form: dict[str, str]) -> Response:
    name = form.get("username", "").strip()[:64]
    password = form.get("password", "")
    now = console.clock.now_ms()
    where = address(request)
    if console.throttle.blocked(name, where, now):
        return _form(console, request, 429, PAUSED, name, form.get("next"))
    with console.db.read() as conn:
        user = console_users.get(conn, name) if name else None
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        console.throttle.failed(name, where, now)
        return _form(console, request, 401, WRONG, name, form.get("next"))
    console.throttle.succeeded(name)
    session_id = console.sessions.start(user.name, "local", user.account_id, user.role)
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    console.set_cookie(response, session_id)
    response.delete_cookie(FORM_COOKIE, path=PREFIX)
    return response


def _preferences(console: Console, request: Request, who: SignedIn, error: str | None = None) -> Response:
    return console.page(request, who, "preferences.html", zones=ZONES, error=error, status=400 if error else 200)


def _save_preferences(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    zone = form.get("time_zone", "")
    if zone not in ZONES:
        return _preferences(console, request, who, f"'{zone}' is not a time zone of the IANA database.")
    with console.db.write() as conn:
        console_sessions.set_time_zone(conn, Principal.user(who.account_id, who.user_name).arn, zone)
    return RedirectResponse(safe_next(form.get("next") or f"{PREFIX}/preferences"), status_code=303)
