"""The REST query-string reader gives exactly what urllib's parse_qsl gives, faster."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from incidentd.protocol.rest_json import query_pairs

# Separators, escapes (good and broken), a plus, ASCII and multi-byte text, and bytes that are not UTF-8.
_PIECES = st.sampled_from(["&", "=", "%", "%3A", "%2F", "%E2%82%AC", "%ZZ", "%e", "+", "a", "arn", "é", "€", " "])


@given(st.lists(_PIECES, max_size=30).map("".join), st.binary(max_size=4))
def test_pairs_match_parse_qsl_with_blank_values_kept(text: str, raw: bytes) -> None:
    query = text.encode() + raw
    assert query_pairs(query) == parse_qsl(query.decode("utf-8", errors="replace"), keep_blank_values=True)


def test_an_arn_in_the_query_is_decoded() -> None:
    arn = "arn:aws:ssm-incidents::111122223333:response-plan/p1"
    assert query_pairs(b"arn=arn%3Aaws%3Assm-incidents%3A%3A111122223333%3Aresponse-plan%2Fp1") == [("arn", arn)]
