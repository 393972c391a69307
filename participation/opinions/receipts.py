"""Receipt numbers: what a person gets back after giving an opinion, to look it up."""

from __future__ import annotations

import base64
import re
import secrets

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
RECEIPT_LENGTH = 16  # 80 random bits
# Base32's 32 symbols, each replaced by the symbol of our alphabet with the same value.
_FROM_BASE32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", RECEIPT_ALPHABET.encode())


def new_receipt_number() -> str:
    """A new unguessable receipt number: 16 characters of an unambiguous alphabet (80
    random bits from ``secrets``, five per character: 32 letters, uniform)."""
    raw = base64.b32encode(secrets.token_bytes(RECEIPT_LENGTH * 5 // 8)).translate(
        _FROM_BASE32).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt_number(value: str) -> str:
    """A receipt number as typed (spaces, lower case, O for 0) in its stored form."""
    raw = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    raw = raw.replace("O", "0").replace("I", "1")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
