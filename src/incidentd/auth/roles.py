"""The console's roles: each is one built-in policy, the same object an API key can name, so that what a person
may do never depends on whether they click or call."""

from __future__ import annotations

from incidentd.auth import builtin
from incidentd.auth.policy import Policy

POLICY_OF_ROLE = {
    "viewer": "IncidentManagerReadOnlyAccess",  # reads everything in its account
    "responder": "IncidentManagerResponderAccess",  # also runs the response: start, update, note, page, resolve
    "admin": "IncidentManagerFullAccess",  # everything the API allows in the account
}
ROLES = tuple(POLICY_OF_ROLE)


def policies(role: str) -> tuple[Policy, ...]:
    """The policies a role grants; KeyError for a role that does not exist."""
    return (builtin.policy(POLICY_OF_ROLE[role]),)
