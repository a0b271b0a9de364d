"""URLs in settings and messages: which ones incidentd will call, and how to name one without its secrets."""

from __future__ import annotations

import urllib.parse


def http_url(url: str) -> str:
    """The URL if it is http(s) with a host and a valid port; ValueError otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{safe_url(url)!r} is not an http(s)://host[:port] URL")
    parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    return url


def safe_url(url: str) -> str:
    """A URL without user info or query, which may hold secrets, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port: describe the URL without it
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
