"""Console sessions: a random id in an HttpOnly cookie, a row per session (its id hashed), idle and absolute limits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from incidentd.auth import roles
from incidentd.auth.policy import evaluate
from incidentd.auth.principals import Principal
from incidentd.clock import Clock
from incidentd.config.console import ConsoleSettings
from incidentd.store import console_sessions, console_users
from incidentd.store.db import Database

COOKIE = "incidentd_session"
# A session's last use is written at most this often: a page every few seconds need not write every time.
TOUCH_EVERY_MS = 60_000


class _NoContext:
    """Condition keys for deciding what to offer: none known, so a conditional Allow shows no button."""

    def value(self, key: str) -> None:
        return None


@dataclass(frozen=True)
class SignedIn:
    """The person behind a request: who they are, in which account, with which role."""

    session_hash: str
    user_name: str
    source: str  # "local" or "oidc"
    account_id: str
    role: str
    csrf_token: str
    time_zone: str | None
    contact_alias: str | None = None  # the person's own contact ("my shifts"), when their user is linked to one

    @property
    def principal(self) -> Principal:
        """The IAM user the console acts as for this person, with the role's policy."""
        return Principal.user(self.account_id, self.user_name, roles.policies(self.role))

    def may(self, action: str, resource: str = "*") -> bool:
        """Whether the role allows an action (to decide which buttons to show; invoke decides for real)."""
        return evaluate(self.principal.policies or (), action, resource, _NoContext()).allowed


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """Starts, finds and ends sessions in the database, so that every node knows them."""

    def __init__(self, db: Database, clock: Clock, settings: ConsoleSettings) -> None:
        self.db = db
        self.clock = clock
        self.idle_ms = round(settings.idle_minutes * 60_000)
        self.lifetime_ms = round(settings.lifetime_hours * 3_600_000)
        # Often enough that a session in use never looks idle.
        self.touch_every_ms = min(TOUCH_EVERY_MS, self.idle_ms // 4)

    def start(self, user_name: str, source: str, account_id: str, role: str, contact_alias: str | None = None) -> str:
        """A new session for a person who just signed in; the id for their cookie."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock.now_ms()
        row = console_sessions.Session(
            _hash(session_id), user_name, source, account_id, role, secrets.token_urlsafe(32), now, now, contact_alias
        )
        with self.db.write() as conn:
            console_sessions.forget_idle(conn, now - self.idle_ms, now - self.lifetime_ms)
            console_sessions.start(conn, row)
        return session_id

    def find(self, session_id: str | None) -> SignedIn | None:
        """The person of a cookie's session, or None when it is missing, unknown, idle too long or too old."""
        if not session_id or len(session_id) > 100:
            return None
        id_hash = _hash(session_id)
        now = self.clock.now_ms()
        with self.db.read() as conn:
            row = console_sessions.get(conn, id_hash)
            if row is None:
                return None
            zone = console_sessions.time_zone(conn, Principal.user(row.account_id, row.user_name).arn)
            contact = row.contact_alias
            if row.source == "local":  # the user's row says, so that a new link shows without signing in again
                user = console_users.get(conn, row.user_name)
                contact = user.contact_alias if user is not None else None
        if row.seen_ms < now - self.idle_ms or row.created_ms < now - self.lifetime_ms:
            self.end(session_id)
            return None
        if now - row.seen_ms > self.touch_every_ms:
            with self.db.write() as conn:
                console_sessions.touch(conn, id_hash, now)
        return SignedIn(id_hash, row.user_name, row.source, row.account_id, row.role, row.csrf_token, zone, contact)

    def end(self, session_id: str) -> None:
        """Sign a session out."""
        with self.db.write() as conn:
            console_sessions.end(conn, _hash(session_id))
