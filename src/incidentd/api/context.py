"""What a handler knows about the call it serves: from an API request, an alert, or a runbook step."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from incidentd.auth.principals import Principal
from incidentd.config import Settings
from incidentd.store.db import Database
from incidentd.store.unit import Unit


@dataclass(slots=True)
class CallContext:
    """The unit of work an operation runs in, who calls it, the region it was called in, and the settings.

    request_id names the call in the log lines its handler writes; an API request's is also its x-amzn-RequestId.
    """

    unit: Unit
    principal: Principal
    region: str
    request_id: str
    settings: Settings

    # Shorthands for what nearly every handler reads.

    @property
    def conn(self) -> Connection:
        """The open transaction."""
        return self.unit.conn

    @property
    def db(self) -> Database:
        """The database the transaction belongs to."""
        return self.unit.db

    @property
    def account_id(self) -> str:
        """The account whose resources the operation reads and changes."""
        return self.unit.account_id

    @property
    def now_ms(self) -> int:
        """The call's time in epoch milliseconds."""
        return self.unit.now_ms

    @property
    def now(self) -> float:
        """The call's time in epoch seconds, as the wire carries timestamps."""
        return self.unit.now

    @property
    def caller_arn(self) -> str:
        """The caller's ARN, as createdBy and lastModifiedBy show it."""
        return self.principal.arn
