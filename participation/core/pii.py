"""Masking of personal data typed into free text (phone, ID-card numbers, e-mail addresses).

Bodies are stored as received (officials may need to call back); every public or
receipt view shows them through :func:`mask_personal_data`.
"""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X) and the old 15-digit form; not inside longer digit runs.
_ID_NUMBER = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})([0-9]{8}|[0-9]{5})([0-9]{3}[0-9Xx]?)(?![0-9Xx])")
# Mainland mobile numbers, optionally with +86 and separators.
_MOBILE = re.compile(
    r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])")
# Landlines such as 0535-2129301 or (0795)7871001.
_LANDLINE = re.compile(r"(?<![0-9])(\(?0[1-9][0-9]{1,2}\)?[- ]?)([0-9]{3,4})([0-9]{4})(?![0-9])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def _mask_id(match: re.Match) -> str:
    whole = match.group(0)
    if len(whole) not in (15, 18):
        return whole
    return whole[:4] + "*" * (len(whole) - 8) + whole[-4:]


def mask_personal_data(text: str | None) -> str:
    """Return ``text`` with ID numbers, phone numbers and e-mail addresses partly hidden.

    ``13912345678`` becomes ``139****5678``; an 18-digit ID keeps its first and last four
    characters; ``zhang.san@example.com`` becomes ``z***@example.com``.
    """
    if not text:
        return ""
    text = _ID_NUMBER.sub(_mask_id, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)
