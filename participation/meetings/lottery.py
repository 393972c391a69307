"""A lottery anyone can verify (公开抽签), after RFC 3797.

Before the application window opens the platform generates a 32-byte ``secret`` and
publishes its ``commitment`` (SHA-256 of the secret) together with the name of a future
public random value that nobody controls (the winning numbers of a named national lottery
draw on a date after the review ends). At the draw it reveals the secret; the seed is
derived from both with HKDF-SHA256 (RFC 5869), so neither the platform (which fixed its
secret before the public value existed) nor anyone who knows the public value (but not
the secret) could choose the outcome.

Each eligible applicant of a category is ranked by ``HMAC-SHA256(seed, "category:code")``
(lowest first); the first ``quota`` of each category are selected, the rest form the
reserve list in order. :func:`verification_kit` writes everything needed to redo it, and
:func:`verify_kit` redoes it from the kit alone. Every step can be checked by hand with
``sha256sum`` and ``openssl dgst -sha256 -mac HMAC`` (see :data:`PROCEDURE`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# cryptography (HKDF) is imported by seed(): loading it costs about 0.1 s, which every
# command and worker would pay at start-up for the few draws.

ALGORITHM = "participation-lottery"
VERSION = 1
SECRET_BYTES = 32
_INFO_PREFIX = f"{ALGORITHM}-v{VERSION}"

PROCEDURE = """\
How to check a draw by hand (any computer with sha256sum and openssl):

1. The commitment is the SHA-256 of the secret's 32 bytes:
     printf %s SECRET | xxd -r -p | sha256sum
   must print the commitment published before the application window opened.
2. The public random value is written exactly as in the kit ("value"), UTF-8, after
   Unicode NFC normalisation. The seed is HKDF-SHA256 (RFC 5869) with the public value as
   salt, the secret as input key material, info "participation-lottery-v1:MEETING" and
   32 bytes of output:
     PRK  = HMAC-SHA256(key = public value, message = secret bytes)
     SEED = HMAC-SHA256(key = PRK, message = info followed by the byte 0x01)
   e.g. PRK:  printf %s SECRET | xxd -r -p |
                openssl dgst -sha256 -mac HMAC -macopt key:"VALUE"
        SEED: printf 'participation-lottery-v1:MEETING\\001' |
                openssl dgst -sha256 -mac HMAC -macopt hexkey:PRK
3. Each eligible code of a category gets the score HMAC-SHA256(key = SEED, message =
   "CATEGORY:CODE"):
     printf %s 'citizen:K7Q2M9' | openssl dgst -sha256 -mac HMAC -macopt hexkey:SEED
4. In each category, sort the codes by score (as hexadecimal text, lowest first). The
   first QUOTA codes are selected; the others, in that order, are the reserve list.
"""


class KitError(ValueError):
    """The verification kit is missing a part or a part has the wrong form."""


def new_secret() -> str:
    """A fresh secret (hex) from the operating system's random source."""
    return secrets.token_hex(SECRET_BYTES)


def commitment(secret_hex: str) -> str:
    """SHA-256 of the secret's bytes, hex: published before anyone can know the outcome."""
    return hashlib.sha256(_secret_bytes(secret_hex)).hexdigest()


def normalise_public_value(value: str) -> str:
    """The public random value as it enters the seed: NFC, surrounding spaces removed."""
    return unicodedata.normalize("NFC", value or "").strip()


def seed(secret_hex: str, public_value: str, meeting: str) -> bytes:
    """HKDF-SHA256(salt = public value, key material = secret, info = algorithm and
    meeting), 32 bytes."""
    value = normalise_public_value(public_value)
    if not value:
        raise KitError("the public random value is empty")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=value.encode("utf-8"),
                info=f"{_INFO_PREFIX}:{meeting}".encode()).derive(_secret_bytes(secret_hex))


def score(seed_bytes: bytes, category: str, code: str) -> str:
    """An applicant's place in the draw: HMAC-SHA256(seed, "category:code"), hex."""
    return hmac.new(seed_bytes, f"{category}:{code}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CategoryResult:
    """One category's outcome: the selected codes and the ordered reserve list."""

    selected: tuple[str, ...]
    reserve: tuple[str, ...]


def draw(seed_bytes: bytes, categories: Mapping[str, tuple[int, Iterable[str]]]
         ) -> dict[str, CategoryResult]:
    """Rank the eligible codes of each category (``{category: (quota, codes)}``) and
    select the first ``quota``; ties (never seen in practice) fall back to the code."""
    results = {}
    for category, (quota, codes) in sorted(categories.items()):
        ranked = sorted(set(codes), key=lambda code: (score(seed_bytes, category, code), code))
        results[category] = CategoryResult(tuple(ranked[:quota]), tuple(ranked[quota:]))
    return results


def verification_kit(*, meeting: str, secret_hex: str, commitment_hex: str,
                     public_value_source: str, public_value: str,
                     categories: Mapping[str, tuple[int, Iterable[str]]],
                     results: Mapping[str, CategoryResult]) -> dict[str, Any]:
    """Everything needed to redo the draw, as JSON-ready data."""
    return {
        "algorithm": ALGORITHM,
        "version": VERSION,
        "meeting": meeting,
        "commitment": commitment_hex,
        "secret": secret_hex,
        "public_random_value": {"source": public_value_source, "value": public_value},
        "categories": [
            {"category": category, "quota": quota, "eligible": sorted(set(codes))}
            for category, (quota, codes) in sorted(categories.items())],
        "result": {category: {"selected": list(result.selected),
                              "reserve": list(result.reserve)}
                   for category, result in sorted(results.items())},
        "procedure": PROCEDURE,
    }


@dataclass
class Verification:
    """What :func:`verify_kit` found: ``ok`` when the commitment and the result match."""

    problems: list[str] = field(default_factory=list)
    recomputed: dict[str, CategoryResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_kit(kit: Mapping[str, Any]) -> Verification:
    """Redo the draw from the kit alone and compare; every difference is a problem."""
    verification = Verification()
    try:
        if kit.get("algorithm") != ALGORITHM or kit.get("version") != VERSION:
            raise KitError(f"unknown algorithm {kit.get('algorithm')!r} version "
                           f"{kit.get('version')!r} (this tool checks {ALGORITHM} {VERSION})")
        secret_hex, meeting = str(kit["secret"]), str(kit["meeting"])
        if commitment(secret_hex) != str(kit["commitment"]).lower():
            verification.problems.append(
                "the secret does not match the commitment published before the draw")
        categories = {}
        for entry in kit["categories"]:
            quota, codes = int(entry["quota"]), [str(code) for code in entry["eligible"]]
            if quota < 0:
                raise KitError(f"negative quota in {entry['category']!r}")
            if len(set(codes)) != len(codes):
                verification.problems.append(
                    f"{entry['category']}: an eligible code is listed twice")
            categories[str(entry["category"])] = (quota, codes)
        value = kit["public_random_value"]["value"]
        verification.recomputed = draw(seed(secret_hex, value, meeting), categories)
    except KitError as error:
        verification.problems.append(str(error))
        return verification
    except (KeyError, TypeError, ValueError) as error:
        verification.problems.append(f"the kit is incomplete or malformed: {error!r}")
        return verification
    published = kit.get("result") or {}
    for category, result in verification.recomputed.items():
        shown = published.get(category) or {}
        if list(result.selected) != list(shown.get("selected") or []):
            verification.problems.append(
                f"{category}: the kit's selection {shown.get('selected')} differs from the "
                f"draw's {list(result.selected)}")
        if list(result.reserve) != list(shown.get("reserve") or []):
            verification.problems.append(
                f"{category}: the kit's reserve list {shown.get('reserve')} differs from "
                f"the draw's {list(result.reserve)}")
    for category in set(published) - set(verification.recomputed):
        verification.problems.append(f"{category}: a result without eligible applicants")
    return verification


def _secret_bytes(secret_hex: str) -> bytes:
    try:
        data = bytes.fromhex(secret_hex)
    except (TypeError, ValueError):
        raise KitError("the secret is not hexadecimal") from None
    if len(data) != SECRET_BYTES:
        raise KitError(f"the secret has {len(data)} bytes, not {SECRET_BYTES}")
    return data
