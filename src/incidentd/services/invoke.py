"""How code below the API runs an operation: through the `invoke` that the composition root hands it."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Connection

from incidentd.auth.principals import Principal


class Invoke(Protocol):
    """Run one operation of ssm-incidents, ssm-contacts or ssm as a principal; its output, or a ServiceError.

    Given a connection, the operation runs in a savepoint of that transaction at now_ms (a runbook step calls
    operations inside the step's own transaction); otherwise in a transaction of its own, now.
    """

    def __call__(
        self,
        service: str,
        name: str,
        params: dict[str, Any],
        principal: Principal,
        *,
        region: str,
        conn: Connection | None = None,
        now_ms: int | None = None,
    ) -> dict[str, Any]: ...
