"""The console's web layer: a Starlette application under /console/, mounted by the composition root.

Pages are rendered on the server; every write is a form post with a CSRF token, answered by a redirect (or, when
the API refuses it, by the page again with the API's own message). Handlers are plain functions run on Starlette's
thread pool, because the database and `invoke` block.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incidentd.api.invoke import Invoker
from incidentd.console import render
from incidentd.console.sessions import COOKIE, Sessions, SignedIn
from incidentd.console.throttle import CodeThrottle, SignInThrottle

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
MAX_FORM_BYTES = 64 * 1024  # the largest form the console has (an incident's summary) is 8 KB

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

# Which part of the navigation each page belongs to, by the first word of its template's name.
_SECTIONS = {"incidents": "incidents", "incident": "incidents", "start": "incidents", "plans": "plans", "plan": "plans"}
_SECTIONS.update(
    {
        "on": "on-call",
        "schedule": "on-call",
        "rotation": "on-call",
        "feeds": "on-call",
        "contacts": "contacts",
        "contact": "contacts",
        "escalation": "contacts",
        "paging": "contacts",
        "settings": "settings",
    }
)

Reader = Callable[["Console", Request, SignedIn], Response]
Writer = Callable[["Console", Request, SignedIn, "PostedForm"], Response]


class Console:
    """What every console handler needs: invoke, the sessions, the templates, the settings."""

    def __init__(self, invoker: Invoker, on_write: Callable[[], None]) -> None:
        self.invoker = invoker
        self.db = invoker.db
        self.clock = invoker.clock
        self.settings = invoker.settings
        self.sessions = Sessions(invoker.db, invoker.clock, invoker.settings.console)
        self.throttle = SignInThrottle()
        self.code_throttle = CodeThrottle()
        self.templates = render.environment()
        self.on_write = on_write

    def call(self, who: SignedIn, service: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run an operation as the signed-in person, exactly as the API would for their key."""
        result = self.invoker.invoke(service, name, params, who.principal, region=self.settings.region)
        operation = self.invoker.operations.get((service, name))
        if operation is not None and operation.writes:
            self.on_write()  # a page, a notice or a runbook step may now be due: wake the worker
        return result

    def page(
        self, request: Request, who: SignedIn | None, template: str, status: int = 200, **context: Any
    ) -> Response:
        """A rendered page (or, for an htmx request naming a fragment, just that fragment)."""
        context.setdefault("section", _SECTIONS.get(template.split("_")[0].split(".")[0], ""))
        html = self.templates.get_template(template).render(
            request=request, who=who, prefix=PREFIX, now=self.clock.now_ms() / 1000, **context
        )
        return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})

    def refused(self, request: Request, who: SignedIn, message: str = "") -> Response:
        """The answer to an action the person's role does not allow."""
        return self.page(request, who, "refused.html", status=403, message=message)

    def set_cookie(self, response: Response, session_id: str) -> None:
        """Put a new session's id in the browser: HttpOnly, SameSite=Lax, Secure when the console is https."""
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=round(self.settings.console.lifetime_hours * 3600),
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=self.settings.console.secure_cookies,
        )


def address(request: Request) -> str:
    """The client's address, for throttling sign-ins."""
    return request.client.host if request.client else "unknown"


def to_sign_in(request: Request) -> Response:
    """Send a browser without a session to the sign-in page, to come back where it was."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        # A refresh's own URL is a fragment: come back to the page it refreshes.
        current = urlsplit(request.headers.get("hx-current-url", ""))
        target = current.path + (f"?{current.query}" if current.query else "")
        if not target.startswith(f"{PREFIX}/"):
            target = f"{PREFIX}/"
        location = f"{PREFIX}/sign-in?next={quote(target, safe='')}"
        return Response(status_code=401, headers={"hx-redirect": location})
    location = f"{PREFIX}/sign-in?next={quote(target, safe='')}"
    return RedirectResponse(location, status_code=303)


def reader(console: Console, handler: Reader) -> Callable[[Request], Any]:
    """A GET endpoint for signed-in people."""

    async def endpoint(request: Request) -> Response:
        who = await run_in_threadpool(console.sessions.find, request.cookies.get(COOKIE))
        if who is None:
            return to_sign_in(request)
        return await run_in_threadpool(handler, console, request, who)

    return endpoint


def writer(console: Console, handler: Writer) -> Callable[[Request], Any]:
    """A POST endpoint for signed-in people: the form must carry the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        who = await run_in_threadpool(console.sessions.find, request.cookies.get(COOKIE))
        if who is None:
            return to_sign_in(request)
        form = await read_form(request)
        if form is None:
            return PlainTextResponse("The form is too large.", status_code=413)
        token = form.get("csrf") or request.headers.get("x-csrf-token") or ""
        if not hmac.compare_digest(token.encode(), who.csrf_token.encode()):
            return PlainTextResponse("This form has expired; reload the page and try again.", status_code=403)
        return await run_in_threadpool(handler, console, request, who, form)

    return endpoint


class PostedForm(dict[str, str]):
    """A posted form: the last value of each field, and every value of a field that repeats (a multiple select)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._every: dict[str, list[str]] = {}
        for key, value in pairs:
            self._every.setdefault(key, []).append(value)

    def getlist(self, key: str) -> list[str]:
        """Every value posted under the name, in the form's order."""
        return list(self._every.get(key, []))


async def read_form(request: Request) -> PostedForm | None:
    """A form's text fields, or None when it is too large."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        return None
    async with request.form(max_files=0, max_fields=100, max_part_size=MAX_FORM_BYTES) as form:
        return PostedForm([(key, value) for key, value in form.multi_items() if isinstance(value, str)])


def _security_headers(app: ASGIApp) -> ASGIApp:
    """Every console answer forbids inline script, framing and sniffing."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def console_app(invoker: Invoker, on_write: Callable[[], None]) -> ASGIApp:
    """The console as an ASGI application serving everything under /console."""
    from incidentd.console import (
        contacts_view,
        escalation_view,
        feeds_view,
        oncall_view,
        outbox_view,
        paging_health_view,
        plan_form_view,
        plans_view,
        rotations_view,
        schedule_view,
        settings_view,
        sign_in_view,
    )
    from incidentd.console.incident_list import routes as list_routes
    from incidentd.console.incident_view import routes as incident_routes

    console = Console(invoker, on_write)
    routes = [
        *sign_in_view.routes(console),
        *list_routes(console),
        *incident_routes(console),
        # The plan form's fixed paths (/plans/new) come before a plan's own (/plans/{name}).
        *plan_form_view.routes(console),
        *plans_view.routes(console),
        *oncall_view.routes(console),
        *rotations_view.routes(console),
        *schedule_view.routes(console),
        *feeds_view.routes(console),
        *contacts_view.routes(console),
        *escalation_view.routes(console),
        *paging_health_view.routes(console),
        *outbox_view.routes(console),
        *settings_view.routes(console),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=[Mount(PREFIX, routes=routes), Route(PREFIX, _to_console)])
    return _security_headers(app)


async def _to_console(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=308)
