"""How the ASGI application reads request headers before anything checks them."""

from __future__ import annotations

from incidentd.server.asgi import _headers


def test_names_are_lower_case_and_values_kept_as_sent() -> None:
    raw = [(b"Host", b"127.0.0.1:4570"), (b"x-amz-date", b"20261127T080000Z"), (b"X-Thing", b"caf\xe9")]
    assert _headers(raw) == {"host": "127.0.0.1:4570", "x-amz-date": "20261127T080000Z", "x-thing": "café"}


def test_a_repeated_header_has_its_values_joined_by_commas_in_order() -> None:
    # As HTTP combines them, and as a SigV4 signer canonicalises them: the signature must still match.
    raw = [(b"x-amz-meta", b"one"), (b"host", b"h"), (b"X-Amz-Meta", b"two"), (b"x-amz-meta", b"three")]
    assert _headers(raw) == {"x-amz-meta": "one,two,three", "host": "h"}
