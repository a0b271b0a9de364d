"""Stable identifiers for related items, so timeline references to them never dangle."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def generated_id(item_type: str, value: dict[str, Any]) -> str:
    """`related-item/{TYPE}/{32 upper-case hex}` derived from the item's type and value (aws-behaviour §3.7)."""
    canonical = json.dumps([item_type, value], sort_keys=True, separators=(",", ":"))
    return f"related-item/{item_type}/{hashlib.md5(canonical.encode()).hexdigest().upper()}"
