"""Page members of the three services over one token codec: sizes, positions, and each service's refusal."""

from __future__ import annotations

import pytest

from incidentd.api import paging
from incidentd.protocol.errors import ServiceError


def test_each_service_spells_its_members_and_defaults_its_size() -> None:
    """nextToken/maxResults for ssm-incidents (100 a page), NextToken/MaxResults for the others (50); 0: default."""
    assert paging.INCIDENTS.size({}) == 100 and paging.INCIDENTS.size({"maxResults": 7}) == 7
    assert paging.CONTACTS.size({"MaxResults": 0}) == 50 and paging.SSM.size({"MaxResults": 3}) == 3
    token = paging.next_token([1_800_000_000_000, "arn:a"])
    assert paging.INCIDENTS.position({"nextToken": token}, int, str) == [1_800_000_000_000, "arn:a"]
    assert paging.CONTACTS.position({"NextToken": token}, int, str) == [1_800_000_000_000, "arn:a"]
    assert paging.INCIDENTS.position({"NextToken": token}, int, str) is None  # not its member: the first page


def test_a_page_ends_with_the_token_of_the_next() -> None:
    """Pages cut a sorted list after the token's position; the last page has no token."""
    items = [{"n": n} for n in range(5)]
    first, token = paging.SSM.page_of(items, lambda i: [i["n"]], {"MaxResults": 2}, int)
    assert [i["n"] for i in first] == [0, 1] and token is not None
    second, token = paging.SSM.page_of(items, lambda i: [i["n"]], {"MaxResults": 2, "NextToken": token}, int)
    third, last = paging.SSM.page_of(items, lambda i: [i["n"]], {"MaxResults": 2, "NextToken": token}, int)
    assert [i["n"] for i in second] == [2, 3] and [i["n"] for i in third] == [4] and last is None


@pytest.mark.parametrize(
    ("pages", "member", "code"),
    [
        (paging.INCIDENTS, "nextToken", "ValidationException"),
        (paging.CONTACTS, "NextToken", "ValidationException"),
        (paging.SSM, "NextToken", "InvalidNextToken"),
    ],
)
def test_a_token_this_server_did_not_issue_is_each_services_own_error(
    pages: paging.Pages, member: str, code: str
) -> None:
    """A forged or foreign token is refused with the error the service's model gives, never a 500."""
    forged = paging.next_token(["not a number", "arn"])
    for token in ("garbage!", forged):
        with pytest.raises(ServiceError) as refused:
            pages.position({member: token}, int, str)
        assert refused.value.code == code
