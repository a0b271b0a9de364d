"""What a handler knows about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from incidentd.store.db import Database


@dataclass
class RequestContext:
    """The caller, the clock reading and the open transaction of one request."""

    account_id: str
    caller_arn: str
    region: str
    request_id: str
    now_ms: int
    db: Database
    conn: Connection
    settings: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> float:
        """The request's time in epoch seconds, as the wire carries timestamps."""
        return self.now_ms / 1000
