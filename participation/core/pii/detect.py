"""Detectors of personal numbers and e-mail addresses in free text.

Detection runs on the text after Unicode NFKC normalisation (full-width digits, ＠,
full-width hyphen, parentheses and spaces become ASCII; the dashes ‐‑‒–—― become "-"),
done character by character so every normalised character knows the original character
it came from: the spans returned are spans of the ORIGINAL text.

What is found (``kind``):

- ``email``: ``local@domain.tld``;
- ``id_number``: an 18-digit resident ID whose last character is its ISO 7064 MOD 11-2
  check digit (digits may be grouped with spaces or dashes), its birth date plausible;
  or the 15-digit legacy form (no check digit: a plausible YYMMDD birth date);
- ``bank_card``: 16–19 digits (alone or grouped) passing the Luhn check;
- ``mobile``: a mainland mobile number 1[3-9]d dddd dddd (d: a digit), optionally after
  +86 / 0086 / 86, with spaces or dashes;
- ``landline``: an area code (010, 02d, 0ddd; optionally in parentheses) followed by a
  7–8 digit local number and an optional extension (转, ext, x, #, -).

Anything else made of digits (article numbers, 12345, dates, amounts, house numbers,
6-digit postcodes, ticket numbers failing the checks) is left alone. Candidates never
touch another digit or a mask's ``****`` (so masking twice changes nothing); when two
overlap, the kind listed first above wins; a number grouped like a card or an ID that
fails its check hides nothing inside it (no phone number in ``1000 0300 2000 0000``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and its span ``[start, end)`` in the text."""

    kind: str
    start: int
    end: int

    def as_dict(self) -> dict:
        """JSON-ready form: ``{"kind": …, "start": …, "end": …}``."""
        return {"kind": self.kind, "start": self.start, "end": self.end}


@functools.lru_cache(maxsize=8192)
def _normal_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char).translate(_DASHES)


def _changed_characters() -> dict[str, str]:
    """Every character of the Basic Multilingual Plane that normalisation changes, with
    what it becomes (computed once, in a few tens of milliseconds)."""
    changed = {}
    for code in range(0x80, 0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        normal = _normal_char(char)
        if normal != char:
            changed[char] = normal
    return changed


@functools.cache
def _changing() -> tuple[re.Pattern, dict[str, str]]:
    """The characters to replace (those of :func:`_changed_characters`, and every one
    beyond the BMP, looked up when met) and what they become; built at first use."""
    changed = _changed_characters()
    pattern = re.compile("[" + "".join(re.escape(char) for char in changed)
                         + "\U00010000-\U0010ffff]")
    return pattern, changed


def _replacement(match: re.Match) -> str:
    char = match.group()
    return _changing()[1].get(char) or _normal_char(char)


# The full-width punctuation of Chinese text, by far the characters normalisation changes
# most often, each into one ASCII character: replaced in C first (str.replace), which
# leaves the per-character replacement below only the rarer characters.
_PUNCTUATION = tuple((char, unicodedata.normalize("NFKC", char)) for char in "，；：！？（）")


def normalise(text: str) -> tuple[str, Sequence[int]]:
    """NFKC-normalise ``text`` per character; return it and, for every character of the
    result, the index of the original character it came from."""
    normal = text
    for char, ascii_char in _PUNCTUATION:
        if char in normal:
            normal = normal.replace(char, ascii_char)
    pattern = _changing()[0]
    if pattern.search(normal) is not None:
        normal = pattern.sub(_replacement, normal)
    if len(normal) == len(text):
        # No character became several (or none): the usual case; positions are the same
        # (a character can normalise to one other character, never to an empty string).
        return normal, range(len(text))
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        normal = char if char.isascii() else _normal_char(char)
        out.append(normal)
        if len(normal) == 1:
            origin.append(index)
        else:
            origin.extend([index] * len(normal))
    return "".join(out), origin


_SEP = r"[ -]?"
# Not inside a longer number, nor next to a number masked already (its ``****``, or the
# digits and separator beside them: "…0086-130****0000" was one longer number when it was
# first masked, so no shorter number ends at its "-" on a second masking).
_START = r"(?<![0-9])(?<!\*{4})(?<!\*[0-9]{4}[ -])"
_END = r"(?![0-9]|\*{4}|[ -]?[0-9]{0,4}\*{4})"
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+@*-])[A-Za-z0-9._%+-]+"
                    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# An address masked already ("z***@example.com"): its domain hides nothing.
_MASKED_EMAIL = re.compile(r"\*\*\*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID18 = re.compile(rf"{_START}[1-9](?:{_SEP}[0-9]){{16}}{_SEP}[0-9Xx](?![A-Za-z]){_END}")
_ID15 = re.compile(rf"{_START}[1-9][0-9]{{14}}{_END}")
_CARD = re.compile(rf"{_START}[1-9](?:{_SEP}[0-9]){{15,18}}(?![Xx]){_END}")
# A number grouped like a card (4-4-4-4[-4][-1..4]) or an ID (6-8-4) that failed its check:
# nothing inside it is a phone number either.
_GROUPED = re.compile(rf"{_START}(?:[0-9]{{4}}(?:[ -][0-9]{{4}}){{3,4}}(?:[ -][0-9]{{1,4}})?"
                      rf"|[0-9]{{6}}[ -][0-9]{{8}}[ -][0-9]{{3}}[0-9Xx])(?![Xx]){_END}")
_MOBILE = re.compile(
    rf"(?<!\+){_START}(?:(?:\+|00)?86{_SEP})?1[3-9][0-9](?:{_SEP}[0-9]){{8}}{_END}")
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_LANDLINE = re.compile(
    rf"{_START}(?:\((?P<p>{_AREA})\)|(?P<a>{_AREA}))"
    r" ?-? ?(?P<local>[2-9][0-9]{2,3}[ -]?[0-9]{4})"
    r"(?:(?:转|-|#| ?(?:ext\.?|x) ?)(?P<ext>[0-9]{1,5}))?" + _END)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def _plausible_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31 and 1800 <= year <= 2199


def valid_id_number(digits: str) -> bool:
    """True for an 18-digit ID with a correct check digit, or a 15-digit legacy ID, both
    with a plausible birth date."""
    digits = digits.upper()
    if len(digits) == 18:
        return (digits[:17].isdigit()
                and _plausible_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
                and id_check_character(digits[:17]) == digits[17])
    if len(digits) == 15 and digits.isdigit():
        return _plausible_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    return False


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` pass the Luhn check (bank card numbers)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


def _keep_ends(digits: str, head: int, tail: int) -> str:
    return digits[:head] + "*" * (len(digits) - head - tail) + digits[-tail:]


def _email(match: re.Match) -> str | None:
    """``z***@example.com``: the first character of the address is kept when it is not a
    digit (a kept digit could complete a number typed just before the address, which a
    second masking would then find: masking twice must change nothing)."""
    address = match.group(0)
    first = "" if address[0].isdigit() else address[0]
    return first + "***" + address[address.index("@"):]


def _id(match: re.Match) -> str | None:
    digits = _digits(match.group(0)).upper()
    return _keep_ends(digits, 4, 4) if valid_id_number(digits) else None


def _card(match: re.Match) -> str | None:
    digits = _digits(match.group(0))
    return _keep_ends(digits, 4, 4) if luhn_valid(digits) else None


def _mobile(match: re.Match) -> str | None:
    text = match.group(0)
    # The 11 digits of the number are the last 11: keep what comes before them (+86 …).
    positions = [index for index, char in enumerate(text) if char.isdigit()]
    number = "".join(text[index] for index in positions[-11:])
    return text[: positions[-11]] + _keep_ends(number, 3, 4)


def _landline(match: re.Match) -> str | None:
    area = f"({match['p']})" if match["p"] else match["a"]
    local = _digits(match["local"])
    separator = "-" if match["a"] else ""
    extension = match.group(0)[match.end("local") - match.start():] if match["ext"] else ""
    return area + separator + "****" + local[-4:] + extension


# In order of precedence: when two candidates overlap the earlier kind wins. The kind
# None claims its matches for nothing (they are left as typed).
_DETECTORS = (
    ("email", _EMAIL, _email),
    (None, _MASKED_EMAIL, None),
    ("id_number", _ID18, _id),
    ("bank_card", _CARD, _card),
    (None, _GROUPED, None),
    ("mobile", _MOBILE, _mobile),
    ("id_number", _ID15, _id),
    ("landline", _LANDLINE, _landline),
)


# Every detector needs a digit or an "@": text without either holds nothing to find.
_CANDIDATE = re.compile(r"[0-9@]")
_DIGIT = re.compile(r"[0-9]")
# The detectors of numbers match from at most one character before their first digit
# ("+86…", "(0731)…"); they need not try the text before that.
_ADDRESSES = (_EMAIL, _MASKED_EMAIL)


def _shorter(pattern: re.Pattern, normal: str, start: int,
             taken: list[tuple[int, int]]) -> re.Match | None:
    """The candidate at ``start`` ending before the next span already taken (a landline
    whose extension runs into an e-mail address), or None."""
    if any(t_start <= start < t_end for t_start, t_end in taken):
        return None
    limit = min(t_start for t_start, _t_end in taken if t_start > start)
    match = pattern.match(normal, start, limit)
    if match is None or (match.end() == limit and normal[limit].isdigit()):
        return None
    return match


def detect(text: str | None, normalised: tuple[str, list[int]] | None = None
           ) -> list[tuple[Finding, str]]:
    """Every finding in ``text`` (spans of the original text, in text order), each with
    the text to put in its place; ``normalised``: ``normalise(text)`` if already done."""
    if not text:
        return []
    normal, origin = normalised or normalise(text)
    if _CANDIDATE.search(normal) is None:
        return []
    digit = _DIGIT.search(normal)
    numbers_from = max(digit.start() - 1, 0) if digit else len(normal)
    taken: list[tuple[int, int]] = []
    found: list[tuple[Finding, str]] = []
    for kind, pattern, replacement in _DETECTORS:
        position = 0 if pattern in _ADDRESSES else numbers_from
        while (match := pattern.search(normal, position)) is not None:
            start, end = match.span()
            position = end
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                match = _shorter(pattern, normal, start, taken)
                if match is None:
                    continue
                start, end = match.span()
            if replacement is None:
                taken.append((start, end))
                continue
            masked = replacement(match)
            if masked is None:
                # A candidate that fails its check hides nothing: a number may start
                # inside it (after a separator), as it would once its neighbour is masked.
                position = start + 1
                continue
            taken.append((start, end))
            found.append((Finding(kind, origin[start], origin[end - 1] + 1), masked))
    found.sort(key=lambda item: item[0].start)
    return found
