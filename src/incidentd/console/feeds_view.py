"""Calendar feeds: a person's own shifts, or a whole schedule's, as an iCalendar URL that calendar apps subscribe to.

A feed's URL carries a secret token (secrets.token_urlsafe(32)); only its SHA-256 hash is stored, so the URL is shown
once, when the feed is made, and a copy of the database opens no feed. Calendar apps have no cookie: the feed's own
endpoint takes no session, finds the feed by its token's hash and reads the shifts as the person who made it, with
their role as it is now: a revoked feed, a removed user, or a single sign-on user whose access was not confirmed by a
sign-in for SSO_FEED_DAYS answers 404, like a token that never was. Also "My shifts", the person's own shifts page.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from incidentd.console import ical, my_shifts, oncall_data
from incidentd.console.app import PREFIX, Console, reader, writer
from incidentd.console.sessions import SignedIn
from incidentd.protocol.errors import ServiceError
from incidentd.store import calendar_feeds, console_users

MAX_FEEDS = 20  # per person and account: each one is a standing read of the account
MAX_EVENTS = 10_000  # a feed's events past this many are left out (a year of hourly shifts is under 9,000)
PREVIEW_SHOWN = 10
FETCH_NOTED_MS = 60_000  # a feed's last fetch is written at most this often
SSO_FEED_DAYS = 30  # a single sign-on user's feeds stop when they have not signed in for this long
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
SCHEDULE = "ONCALL_SCHEDULE"
NOT_FOUND = "Not found."
LINK_HINT = (
    "Your user is not linked to a contact. An administrator links it with `incidentd user add NAME … --contact ALIAS`"
    " (a user of single sign-on is linked by the identity provider's claim named in [console.oidc] contact_claim)."
)


def token_hash(token: str) -> str:
    """What is stored of a feed's token."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- the feed itself: no session -------------------------------------------------------------------------------


def feed_reader(console: Console, feed: calendar_feeds.Feed) -> SignedIn | None:
    """The person a feed reads as, with their role now; None when the feed may no longer read."""
    now = console.clock.now_ms()
    if feed.source == "local":
        with console.db.read() as conn:
            user = console_users.get(conn, feed.user_name)
        # A user removed (and perhaps added again since, as someone new) takes their feeds with them.
        if user is None or user.account_id != feed.account_id or user.created_ms > feed.created_ms:
            return None
        role, contact = user.role, user.contact_alias
    elif feed.source == "oidc" and now - feed.role_ms <= SSO_FEED_DAYS * 86_400_000:
        role, contact = feed.role, None  # the role of the last sign-in: only the provider knows it, at sign-in
    else:
        return None
    return SignedIn("", feed.user_name, feed.source, feed.account_id, role, "", None, contact)


def feed_body(console: Console, feed: calendar_feeds.Feed, who: SignedIn) -> bytes | None:
    """The feed's iCalendar text; None when what it is of is gone (a deleted schedule)."""
    now = console.clock.now_ms() / 1000
    subject = my_shifts.contact_arn(console, who, feed.target)
    if feed.kind == "person":
        shifts = my_shifts.of_person(console, who, feed.target, now).shifts
        name = f"On call: {feed.target}"
    else:
        try:
            schedule = console.call(who, oncall_data.CONTACTS, "GetContact", {"ContactId": subject})
        except ServiceError:
            return None
        if schedule.get("Type") != SCHEDULE:
            return None
        shifts = my_shifts.of_schedule(console, who, schedule, now)
        name = f"On call: {schedule.get('DisplayName') or schedule['Alias']}"
    return ical.calendar(name, subject, shifts[:MAX_EVENTS], now)


def serve_feed(console: Console, token: str) -> Response:
    """GET /console/feeds/{token}.ics: the calendar, or 404 saying nothing more."""
    if not TOKEN.fullmatch(token):
        return PlainTextResponse(NOT_FOUND, status_code=404)
    with console.db.read() as conn:
        feed = calendar_feeds.by_token_hash(conn, token_hash(token))
    who = feed_reader(console, feed) if feed is not None else None
    if feed is None or who is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    try:
        body = feed_body(console, feed, who)
    except ServiceError:
        body = None  # the role no longer reads shifts
    if body is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    now = console.clock.now_ms()
    if feed.fetched_ms is None or now - feed.fetched_ms >= FETCH_NOTED_MS:
        with console.db.write() as conn:
            calendar_feeds.fetched(conn, feed.feed_id, now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"cache-control": "no-store", "content-disposition": 'inline; filename="on-call.ics"'},
    )


# --- the pages ---------------------------------------------------------------------------------------------------


def feeds(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/feeds: the person's feeds, each with Revoke; and what feeds they can make."""
    with console.db.read() as conn:
        found = calendar_feeds.of_user(conn, who.source, who.user_name, who.account_id)
    try:
        schedules = oncall_data.contacts(console, who, SCHEDULE)
    except ServiceError:
        schedules = []
    return console.page(request, who, "feeds.html", feeds=found, schedules=schedules, limit=MAX_FEEDS)


def _target(console: Console, who: SignedIn, schedule_alias: str) -> tuple[dict[str, Any] | None, str]:
    """The schedule a feed would be of (None for the person's own), or the message saying why there is none."""
    if not schedule_alias:
        return None, "" if who.contact_alias else LINK_HINT
    try:
        schedule = console.call(
            who, oncall_data.CONTACTS, "GetContact", {"ContactId": my_shifts.contact_arn(console, who, schedule_alias)}
        )
    except ServiceError as error:
        return None, error.message
    if schedule.get("Type") != SCHEDULE:
        return None, f"{schedule_alias} is not an on-call schedule."
    return schedule, ""


def new_feed(console: Console, request: Request, who: SignedIn) -> Response:
    """GET /console/feeds/new[?schedule=ALIAS]: what the feed will hold, and the button that makes it."""
    alias = request.query_params.get("schedule", "")[:255]
    schedule, problem = _target(console, who, alias)
    now = console.clock.now_ms() / 1000
    shifts: list[my_shifts.Shift] = []
    if not problem:
        try:
            if schedule is not None:
                shifts = my_shifts.of_schedule(console, who, schedule, now)
            else:
                found = my_shifts.of_person(console, who, who.contact_alias or "", now)
                shifts, problem = found.shifts, found.problem
        except ServiceError as error:
            problem = error.message
    return console.page(
        request,
        who,
        "feeds_new.html",
        status=404 if alias and schedule is None else 200,
        schedule_alias=alias if schedule else "",
        schedule_title=str(schedule.get("DisplayName") or schedule["Alias"]) if schedule else "",
        problem=problem,
        shifts=shifts[:PREVIEW_SHOWN],
        total=len(shifts),
        linked=bool(who.contact_alias),
    )


def create(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/feeds: a new feed; the answer shows its URL, the only time anyone sees it."""
    alias = form.get("schedule", "").strip()[:255]
    schedule, problem = _target(console, who, alias)
    if problem:
        return console.page(request, who, "not_found.html", status=400, message=problem)
    if not who.may("ssm-contacts:ListRotationShifts"):
        return console.refused(request, who, "A calendar feed reads shifts.")
    token = secrets.token_urlsafe(32)
    now = console.clock.now_ms()
    feed = calendar_feeds.Feed(
        feed_id=secrets.token_hex(8),
        token_hash=token_hash(token),
        account_id=who.account_id,
        source=who.source,
        user_name=who.user_name,
        role=who.role,
        kind="schedule" if schedule is not None else "person",
        target=alias if schedule is not None else who.contact_alias or "",
        created_ms=now,
        role_ms=now,
        fetched_ms=None,
    )
    with console.db.write() as conn:
        full = calendar_feeds.count_of_user(conn, who.source, who.user_name, who.account_id) >= MAX_FEEDS
        if not full:
            calendar_feeds.add(conn, feed)
    if full:
        message = f"You have {MAX_FEEDS} calendar feeds, the most a person may have. Revoke one to make another."
        return console.page(request, who, "not_found.html", status=400, message=message)
    https_url, webcal_url = addresses(console.settings.console.public_url, str(request.base_url), token)
    return console.page(
        request,
        who,
        "feeds_created.html",
        feed=feed,
        title=str(schedule.get("DisplayName") or schedule["Alias"]) if schedule else "",
        https_url=https_url,
        webcal_url=webcal_url,
    )


def addresses(public_url: str, request_base: str, token: str) -> tuple[str, str]:
    """A feed's https:// address (under [console] public_url, else the request's own base URL, which may be http in
    development) and the same as webcal://, which calendar apps open as a subscription."""
    url = f"{(public_url or request_base).rstrip('/')}{PREFIX}/feeds/{quote(token)}.ics"
    return url, "webcal://" + url.split("://", 1)[1]


def revoke(console: Console, request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    """POST /console/feeds/{feed_id}/revoke: the feed's URL stops working at once."""
    with console.db.write() as conn:
        done = calendar_feeds.revoke(conn, request.path_params["feed_id"], who.source, who.user_name, who.account_id)
    if not done:
        return console.page(request, who, "not_found.html", status=404, message="You have no such calendar feed.")
    return RedirectResponse(f"{PREFIX}/feeds", status_code=303)


def routes(console: Console) -> list[BaseRoute]:
    """My shifts, the feeds' pages, and the feeds themselves (which take no session: not wrapped by reader)."""

    async def calendar(request: Request) -> Response:
        return await run_in_threadpool(serve_feed, console, request.path_params["token"])

    return [
        Route("/my-shifts", reader(console, my_shifts.page), methods=["GET"]),
        Route("/feeds", reader(console, feeds), methods=["GET"]),
        Route("/feeds", writer(console, create), methods=["POST"]),
        Route("/feeds/new", reader(console, new_feed), methods=["GET"]),
        Route("/feeds/{token}.ics", calendar, methods=["GET"]),
        Route("/feeds/{feed_id}/revoke", writer(console, revoke), methods=["POST"]),
    ]
