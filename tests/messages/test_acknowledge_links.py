"""Acknowledge links: signed for one page and one purpose, carried by e-mail only, never into another account."""

from __future__ import annotations

import time
import urllib.parse

from incidentd.config.notifications import NotifySettings
from incidentd.notify import links

SETTINGS = NotifySettings(public_url="https://incidents.example.com", link_key=b"key", link_lifetime_days=1)
PAGE = "arn:aws:ssm-contacts:us-east-1:111122223333:page/ama/8d0a4ad0-5b0b-4c4f-9d0e-8f2b1a3c4d5e"
INCIDENT = "arn:aws:ssm-incidents::111122223333:incident-record/payments/01a24cdc-3fd0-7cc0-9336-30d0dc874b0a"
NOW_MS = 1_800_000_000_000


def checked(url: str, keys: tuple[bytes, ...] = (b"key",), now: float = NOW_MS / 1000) -> links.Checked | None:
    parts = urllib.parse.urlsplit(url)
    return links.check_acknowledge(parts.path.encode(), parts.query.encode(), keys, now)


def test_an_acknowledge_link_names_its_page_until_it_expires() -> None:
    url = links.acknowledge_link(SETTINGS, PAGE, NOW_MS)
    assert url is not None
    assert url.startswith("https://incidents.example.com/acknowledge/us-east-1/111122223333/ama/8d0a4ad0-")
    assert checked(url) == links.Checked(PAGE, expired=False)
    assert checked(url, now=NOW_MS / 1000 + 86_400) == links.Checked(PAGE, expired=True)
    assert checked(url, keys=(b"other key",)) is None
    assert checked(url, keys=(b"other key", b"key")) == links.Checked(PAGE, expired=False)  # a previous secret
    other_page = url.replace("/ama/", "/kofi/")
    assert checked(other_page) is None


def test_an_incident_template_does_not_move_acknowledge_links() -> None:
    # Only incidentd can accept a page, whatever tool incident links point at.
    templated = NotifySettings(public_url="https://im.example.com", incident_url="https://tool.example.com/{id}")
    url = links.acknowledge_link(templated, PAGE, NOW_MS)
    assert url is not None and url.startswith("https://im.example.com/acknowledge/")


def test_only_email_pages_carry_links_and_only_to_their_own_accounts_incidents() -> None:
    incident_link, acknowledge_link = links.page_links(SETTINGS, "EMAIL", PAGE, INCIDENT, "us-east-1", NOW_MS)
    assert incident_link is not None and "/incidents/111122223333/payments/" in incident_link
    assert acknowledge_link is not None and checked(acknowledge_link) is not None
    for channel_type in ("SMS", "VOICE"):
        assert links.page_links(SETTINGS, channel_type, PAGE, INCIDENT, "us-east-1", NOW_MS) == (None, None)
    # An engagement may name any text as its incident: another account's incident gets no signed link.
    elsewhere = INCIDENT.replace("111122223333", "444455556666")
    incident_link, acknowledge_link = links.page_links(SETTINGS, "EMAIL", PAGE, elsewhere, "us-east-1", NOW_MS)
    assert incident_link is None and acknowledge_link is not None
    assert links.page_links(SETTINGS, "EMAIL", PAGE, None, "us-east-1", NOW_MS)[0] is None
    assert links.page_links(SETTINGS, "EMAIL", PAGE, "not an arn", "us-east-1", NOW_MS)[0] is None


def test_an_incident_links_signature_is_no_acknowledge_signature() -> None:
    expires = int(time.time()) + 3600
    sig = links.signature(b"key", PAGE, expires)  # the incident links' scheme, over the page's ARN
    path = "/acknowledge/us-east-1/111122223333/ama/8d0a4ad0-5b0b-4c4f-9d0e-8f2b1a3c4d5e"
    assert links.check_acknowledge(path.encode(), f"exp={expires}&sig={sig}".encode(), (b"key",), time.time()) is None
