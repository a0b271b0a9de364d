"""What a handler knows about the call it serves: from an API request, an alert, or a runbook step."""

from __future__ import annotations

from dataclasses import dataclass

from incidentd.auth.principals import Principal
from incidentd.config import Settings
from incidentd.store.unit import OnUnit, Unit


@dataclass(slots=True)
class CallContext(OnUnit):
    """The unit of work an operation runs in, who calls it, the region it was called in, and the settings.

    request_id names the call in the log lines its handler writes; an API request's is also its x-amzn-RequestId.
    conn, db, account_id, now_ms and now read the unit's (OnUnit).
    """

    unit: Unit
    principal: Principal
    region: str
    request_id: str
    settings: Settings

    @property
    def caller_arn(self) -> str:
        """The caller's ARN, as createdBy and lastModifiedBy show it."""
        return self.principal.arn
