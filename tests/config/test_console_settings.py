"""[console] and [console.oidc]: defaults, values read from the file, and the mistakes refused at start."""

from __future__ import annotations

import tomllib

import pytest

from incidentd.config import ConfigError, from_toml
from incidentd.config.console import ClaimMapping, ConsoleSettings


def settings(text: str) -> ConsoleSettings:
    return from_toml(tomllib.loads(text)).console


def test_the_console_is_on_by_default_with_an_hour_idle_and_twelve_hours_in_all() -> None:
    console = settings("")
    assert (console.enabled, console.public_url, console.idle_minutes, console.lifetime_hours) == (True, "", 60, 12)
    assert console.oidc is None and not console.secure_cookies


def test_a_files_console_and_single_sign_on_are_read() -> None:
    console = settings(
        """
[console]
enabled = false
public_url = "https://incidents.example.com/"
idle_minutes = 15
lifetime_hours = 8

[console.oidc]
issuer = "https://login.example.com/realms/ops/"
client_id = "incidentd"
client_secret = "s3cret"
scopes = ["openid", "email", "groups"]

[[console.oidc.mappings]]
value = "sre"
account_id = "111122223333"
role = "responder"

[[console.oidc.mappings]]
value = "everyone"
account_id = "111122223333"
role = "viewer"
"""
    )
    assert (console.enabled, console.public_url, console.idle_minutes, console.lifetime_hours) == (
        False,
        "https://incidents.example.com",
        15,
        8,
    )
    assert console.secure_cookies
    oidc = console.oidc
    assert oidc is not None and oidc.issuer == "https://login.example.com/realms/ops"
    assert oidc.scopes == ("openid", "email", "groups") and oidc.claim == "groups"
    assert oidc.grant({"groups": ["everyone", "sre"]}) == ClaimMapping("sre", "111122223333", "responder")
    assert oidc.grant({"groups": "everyone"}) == ClaimMapping("everyone", "111122223333", "viewer")
    assert oidc.grant({"groups": ["other"]}) is None and oidc.grant({}) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[console]\nenabeld = false\n", "unknown key enabeld"),
        ("[console]\nidle_minutes = 0\n", "idle_minutes"),
        ('[console]\npublic_url = "ftp://x"\n', "public_url"),
        ('[console.oidc]\nclient_id = "x"\n', "needs issuer"),
        ('[console.oidc]\nissuer = "https://i"\nclient_id = "x"\nscopes = ["email"]\n', "must include openid"),
        (
            '[console.oidc]\nissuer = "https://i"\nclient_id = "x"\n[[console.oidc.mappings]]\nvalue = "a"\n'
            'account_id = "123"\nrole = "viewer"\n',
            "12 digits",
        ),
        (
            '[console.oidc]\nissuer = "https://i"\nclient_id = "x"\n[[console.oidc.mappings]]\nvalue = "a"\n'
            'account_id = "111122223333"\nrole = "owner"\n',
            "role must be one of viewer, responder, admin",
        ),
    ],
)
def test_a_mistake_in_the_console_settings_stops_the_start_and_names_the_setting(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        settings(text)


def test_the_contact_claim_names_a_persons_own_contact() -> None:
    base = '[console.oidc]\nissuer = "https://i"\nclient_id = "x"\n'
    unset = settings(base).oidc
    assert unset is not None and unset.contact_claim == ""
    assert unset.contact_alias({"incidentd_contact": "alice"}) is None  # not configured: no claim is read
    oidc = settings(base + 'contact_claim = "incidentd_contact"\n').oidc
    assert oidc is not None and oidc.contact_claim == "incidentd_contact"
    assert oidc.contact_alias({"incidentd_contact": " alice "}) == "alice"
    assert oidc.contact_alias({"incidentd_contact": ["alice"]}) is None  # one alias, as a string
    assert oidc.contact_alias({"incidentd_contact": ""}) is None and oidc.contact_alias({}) is None
    with pytest.raises(ConfigError, match="contact_claim"):
        settings(base + "contact_claim = 3\n")
