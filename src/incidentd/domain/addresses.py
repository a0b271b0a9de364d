"""Contact addresses as logs may show them: enough to tell two apart, not enough to harvest them."""

from __future__ import annotations

HIDDEN = "*"
KEPT_DIGITS = 4  # the end of a phone number, as banks and carriers show it


def masked(address: str) -> str:
    """An e-mail address with its local part hidden but the first letter (a***@example.com), a phone number with
    all but its first digit and its last four hidden (+1******4567); anything shorter mostly hidden."""
    local, at, domain = address.rpartition("@")
    if at and local:
        return f"{local[0]}***@{domain}"
    start = 2 if address.startswith("+") else 1
    if len(address) <= start + KEPT_DIGITS:
        return address[:1] + HIDDEN * (len(address) - 1)
    return address[:start] + HIDDEN * (len(address) - start - KEPT_DIGITS) + address[-KEPT_DIGITS:]
