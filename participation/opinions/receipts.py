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


def new_receipt_numbers(count: int) -> list[str]:
    """``count`` new receipt numbers at once, each as :func:`new_receipt_number` makes it
    (bulk imports: one read of the random source instead of one per row). Ten random
    bytes are exactly sixteen base32 symbols, so the encoding of the bytes of all of them
    is the numbers one after the other."""
    width = RECEIPT_LENGTH * 5 // 8
    raw = base64.b32encode(secrets.token_bytes(width * count)).translate(
        _FROM_BASE32).decode("ascii")
    return [f"{raw[i:i + 4]}-{raw[i + 4:i + 8]}-{raw[i + 8:i + 12]}-{raw[i + 12:i + 16]}"
            for i in range(0, RECEIPT_LENGTH * count, RECEIPT_LENGTH)]


def normalise_receipt_number(value: str) -> str:
    """A receipt number as typed (spaces, lower case, O for 0) in its stored form."""
    raw = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    raw = raw.replace("O", "0").replace("I", "1")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
