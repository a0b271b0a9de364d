"""Console users made straight in a server's database, and HTTP clients signed in as them."""

from __future__ import annotations

import itertools
import re
import time

import httpx

from incidentd.console import passwords
from incidentd.store import console_users
from incidentd.store.db import Database

PASSWORD = "correct horse battery"
_names = itertools.count(1)
_databases: dict[str, Database] = {}
OPEN_CLIENTS: list[httpx.Client] = []  # closed after each test by the autouse fixture of conftest.py
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def database(url: str) -> Database:
    """One Database per URL for the test process."""
    if url not in _databases:
        _databases[url] = Database(url)
    return _databases[url]


def add_user(database_url: str, account_id: str, role: str, name: str | None = None, contact: str | None = None) -> str:
    """A new console user with PASSWORD, as `incidentd user add` makes one; its name."""
    name = name or f"user{next(_names)}-{account_id[-4:]}-{time.monotonic_ns() % 100000}"
    now = int(time.time() * 1000)
    user = console_users.User(name, account_id, role, passwords.hash_password(PASSWORD), contact, now, now)
    with database(database_url).write() as conn:
        assert console_users.add(conn, user)
    return name


def browser(endpoint: str) -> httpx.Client:
    """An HTTP client that keeps cookies and does not follow redirects, as a browser without JavaScript."""
    client = httpx.Client(base_url=endpoint, follow_redirects=False, timeout=30)
    OPEN_CLIENTS.append(client)
    return client


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Post the sign-in form as a browser would (the form's token first); the answer."""
    form = client.get("/console/sign-in")
    token = _FORM_TOKEN.search(form.text)
    assert token is not None, form.text
    return client.post(
        "/console/sign-in",
        data={"username": name, "password": password, "form_token": token.group(1), "next": "/console/"},
    )


def signed_in(endpoint: str, name: str) -> httpx.Client:
    """A client with a session of the user."""
    client = browser(endpoint)
    answer = sign_in(client, name)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/", answer.text
    return client


def csrf_of(client: httpx.Client, path: str = "/console/") -> str:
    """The CSRF token the session's pages carry in their forms."""
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def incident_path(arn: str) -> str:
    """The console path of an incident."""
    plan, incident = arn.split("/")[1:3]
    return f"/console/incidents/{plan}/{incident}"
