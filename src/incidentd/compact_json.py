"""Compact JSON encoding for stored documents and API answers: orjson, with the standard library behind it.

Every request serialises its answer and every write serialises the documents it stores; orjson does that
in C, several times faster than json.dumps. It refuses what the standard library accepts (integers beyond
64 bits, lone surrogates, non-string keys): those values go through json.dumps instead, so the output of
the two only differs in spelling JSON allows either way (e.g. 1e16 against 1e+16).
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return _standard(value).encode("ascii")


def dumps_text(value: Any) -> str:
    """Compact JSON text, for a text column."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return _standard(value)


def _standard(value: Any) -> str:
    # Escaped to ASCII: a lone surrogate stays a valid \ud800 escape instead of text no codec or database takes.
    return json.dumps(value, separators=(",", ":"))
