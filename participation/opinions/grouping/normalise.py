"""The text as grouping compares it, its exact-match key, and the key of one person.

Two opinions are "the same text" when they are equal after :func:`normalise`: Unicode
NFKC (full-width letters and digits become ASCII, compatibility forms fold), case folded,
and every punctuation mark, symbol-like separator and space removed. So "第五条，应当
删除！" and "第５条 应当删除" have one key.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Everything that is not a letter, digit or ideograph (punctuation, spaces, underscores).
_NOT_WORD = re.compile(r"[\W_]+")
# Sentence ends, full-width or not (a full stop between digits is a decimal point).
_SENTENCE_END = re.compile(r"(?:[。｡！？!?；;\n．]|(?<!\d)\.(?!\d))+")


def normalise(text: str | None) -> str:
    """The text as compared: case folded, Unicode NFKC (full-width letters and digits
    become ASCII), every punctuation mark, symbol and space removed.

    Marks are removed before NFKC too, so that only the few texts still holding
    compatibility characters (full-width digits, circled numbers …) pay for the slow
    normalisation; what NFKC turns into marks is removed after it.
    """
    if not text:
        return ""
    value = _NOT_WORD.sub("", text.casefold())
    if not unicodedata.is_normalized("NFKC", value):
        value = _NOT_WORD.sub("", unicodedata.normalize("NFKC", value).casefold())
    return value


def comparison_text(text: str | None) -> str:
    """The text as rapidfuzz also compares it: its normalised sentences separated by
    spaces, for ``fuzz.token_sort_ratio`` (which sorts them), so that the same sentences
    in another order still compare as nearly equal."""
    return normalise_both(text)[1]


_NOT_WORD_KEEP_NUL = re.compile(r"[^\w\x00]+|_+")


def normalise_both(text: str | None) -> tuple[str, str]:
    """``(normalise(text), comparison_text(text))`` in one pass over the text."""
    if not text:
        return "", ""
    marked = _NOT_WORD_KEEP_NUL.sub("", _SENTENCE_END.sub("\x00", text.casefold()))
    if not unicodedata.is_normalized("NFKC", marked):
        sentences = [normalise(part) for part in _SENTENCE_END.split(text)]
        return "".join(sentences), " ".join(filter(None, sentences))
    return marked.replace("\x00", ""), " ".join(filter(None, marked.split("\x00")))


def exact_key(normalised: str) -> int:
    """A signed 64-bit key of the normalised text (BLAKE2b): equal texts, equal keys."""
    digest = hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8"), digest_size=12).hexdigest()


def _contact_key(contact: str) -> str:
    value = normalise(contact)
    digits = re.sub(r"\D", "", value)
    if "@" not in unicodedata.normalize("NFKC", contact) and len(digits) >= 7:
        return digits[-11:]  # a telephone number, with or without +86 and separators
    return value


def person_key(opinion_id: int, author_id: int | None, contact: str | None,
               display_name: str | None, channel: str) -> str:
    """Who "one person" is, for a group's people count (one person sending the same
    text five times is one voice):

    1. the signed-in account (``author_id``), else
    2. the contact (telephone digits or the e-mail address, normalised), else
    3. the name together with the channel (the same name on one hotline is one caller;
       two letters signed 张伟 may come from two people, but one channel's records of one
       name are counted once), else
    4. the opinion itself (an anonymous opinion is one person).

    Contacts and names are stored only as a BLAKE2b digest.
    """
    if author_id is not None:
        return f"a{author_id}"
    if contact and normalise(contact):
        return "c" + _digest(_contact_key(contact))
    if display_name and normalise(display_name):
        return "n" + _digest(f"{channel}:{normalise(display_name)}")
    return f"o{opinion_id}"
