"""Page members of the three services: where the token and the size are, and how a bad token is refused.

The token itself is one codec for every listing (store/paging.py: an opaque keyset position). What differs by
service is only the spelling of the members (nextToken or NextToken), the default page size, and the error
the model gives for a token the server did not issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from incidentd.protocol.errors import ServiceError, validation_error
from incidentd.store import paging

T = TypeVar("T")


@dataclass(frozen=True)
class Pages:
    """One service's page members and its refusal of a token it did not issue."""

    token_member: str
    size_member: str
    default_size: int
    bad_token: Callable[[], ServiceError]

    def size(self, params: dict[str, Any]) -> int:
        """The requested page size, the default when absent or 0 (the model already bounds it)."""
        return int(params.get(self.size_member) or self.default_size)

    def position(self, params: dict[str, Any], *types: type) -> list[Any] | None:
        """The keyset position in the token, one value of each given type; the service's error for a bad token."""
        token = params.get(self.token_member)
        if not token:
            return None
        try:
            return paging.decode(token, *types)
        except paging.BadToken:
            raise self.bad_token() from None

    def page_of(
        self,
        items: list[T],
        key: Callable[[T], list[Any]],
        params: dict[str, Any],
        *types: type,
        descending: bool = False,
    ) -> tuple[list[T], str | None]:
        """The page after the token's position in items sorted by key (values of these types), and the next token."""
        return paging.page_of(items, key, self.position(params, *types), self.size(params), descending)


def next_token(position: list[Any]) -> str:
    """The token of the page that starts after this keyset position."""
    return paging.encode(position)


INCIDENTS = Pages("nextToken", "maxResults", 100, lambda: validation_error("The nextToken is not valid."))
CONTACTS = Pages(
    "NextToken",
    "MaxResults",
    50,
    lambda: validation_error("The NextToken is not valid.", Reason="FIELD_VALIDATION_FAILED"),
)
# 50 is the model's MaxResults maximum for the ssm listings incidentd serves, and AWS's default for them.
SSM = Pages("NextToken", "MaxResults", 50, lambda: ServiceError("InvalidNextToken", "The specified token isn't valid."))
