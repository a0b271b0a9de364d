"""What a handler knows about the call it serves: from an API request, an alert, or a runbook step."""

from __future__ import annotations

from dataclasses import dataclass

from incidentd.auth.principals import Principal
from incidentd.config import Settings
from incidentd.store.unit import Unit


@dataclass(slots=True)
class CallContext(Unit):
    """A call's unit of work (its transaction, account and moment), who makes it, in which region, and the settings.

    It is itself the unit that handlers pass to services. request_id names the call in the log lines its handler
    writes; an API request's is also its x-amzn-RequestId.
    """

    principal: Principal
    region: str
    request_id: str
    settings: Settings

    @property
    def caller_arn(self) -> str:
        """The caller's ARN, as createdBy and lastModifiedBy show it."""
        return self.principal.arn
