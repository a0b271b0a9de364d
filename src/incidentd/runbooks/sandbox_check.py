"""Whether this machine can isolate scripts: one trial script in the sandbox at start, its answer kept."""

from __future__ import annotations

import functools

from incidentd.config.sections import RunbookSettings
from incidentd.runbooks import sandbox
from incidentd.runbooks.sandbox_isolation import IsolationError, command

# Sees its own uid and how many processes its /proc shows: bwrap's init and itself, in a pid namespace of its own.
TRIAL = """
import os

def handler(events, context):
    return {"uid": os.getuid(), "processes": sum(entry.isdigit() for entry in os.listdir("/proc"))}
"""


@functools.lru_cache(maxsize=8)
def problem(settings: RunbookSettings) -> str | None:
    """Why scripts can't run isolated here, found by running one in the sandbox (once per settings), or None."""
    try:
        command(settings, ["true"])
    except IsolationError as error:
        return str(error)
    result = sandbox.run(TRIAL, "handler", {}, {}, 30, settings=settings)
    if result.ok:
        if isinstance(result.value, dict) and result.value.get("uid") != 0 and result.value.get("processes") == 2:
            return None
        return f"a trial script was not isolated as expected (it saw {result.value})"
    said = " ".join(result.output.split())[-300:] or result.error
    if "namespace" in said:
        return f"bubblewrap can't create namespaces (user namespaces disabled?): {said}"
    return f"a trial script failed in bubblewrap: {said}"


def refusal(settings: RunbookSettings) -> str | None:
    """The one line to stop the server with when scripts are allowed but can't be isolated; None when all is well."""
    if not settings.allow_scripts:
        return None
    why = problem(settings)
    if why is None:
        return None
    return (
        f"[runbooks] allow_scripts is on, but scripts can't be isolated on this machine: {why}. "
        "incidentd won't run them less isolated than docs/security.md says."
    )
