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


_ENDS = "。｡！？!?；;\n．"
_WORD, _DECIMAL, _END, _KNOWN = 1, 2, 4, 8
_classes = None  # uint8 per code point: _WORD | _DECIMAL | _END once _KNOWN
_BATCH_FROM = 64  # texts; fewer are normalised one by one
_BATCH = 10_000  # texts at a time (arrays that stay in the caches)


def _class_table(codes):
    """The class of every code point in ``codes`` (computed once per code point)."""
    import numpy as np

    global _classes
    if _classes is None:
        _classes = np.zeros(0x110000, dtype=np.uint8)
    seen = np.zeros(0x110000, dtype=bool)
    seen[codes] = True
    for code in np.flatnonzero(seen & (_classes == 0)).tolist():
        char = chr(code)
        _classes[code] = (_KNOWN | (_WORD if char.isalnum() else 0)
                          | (_DECIMAL if char.isdecimal() else 0)
                          | (_END if char in _ENDS else 0))
    return _classes


def normalise_many(texts) -> list[tuple[str, str]]:
    """``[normalise_both(text) for text in texts]``, many texts at once: their code
    points go into one numpy array and the regular expressions of :func:`normalise_both`
    become masks (a word character is one ``str.isalnum`` accepts, as for ``\\w``; a
    full stop is a sentence end unless a decimal digit is beside it). Texts that still
    hold compatibility characters after it take :func:`normalise_both`."""
    texts = [text or "" for text in texts]
    if len(texts) > _BATCH:
        return [both for first in range(0, len(texts), _BATCH)
                for both in _normalise_batch(texts[first:first + _BATCH])]
    return _normalise_batch(texts)


def _normalise_batch(texts: list[str]) -> list[tuple[str, str]]:
    import numpy as np

    joined = "\x01".join(texts)
    if len(texts) < _BATCH_FROM or joined.count("\x01") != len(texts) - 1:
        return [normalise_both(text) for text in texts]
    try:
        codes = np.frombuffer(joined.casefold().encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # a lone surrogate
        return [normalise_both(text) for text in texts]
    flags = _class_table(codes)[codes]
    decimal = (flags & _DECIMAL) != 0
    beside = np.zeros(len(codes), dtype=bool)  # a decimal digit before or after
    beside[1:] = decimal[:-1]
    beside[:-1] |= decimal[1:]
    end = ((flags & _END) != 0) | ((codes == ord(".")) & ~beside)
    first_end = end.copy()  # a run of sentence ends is one mark
    first_end[1:] &= ~end[:-1]
    kept = ((flags & _WORD) != 0) | first_end | (codes <= 1)  # NUL kept as a mark
    marked = codes[kept]
    marked[first_end[kept]] = 0
    # Sentences: a mark stays only between two word characters of one text.
    mark = marked == 0
    word = ~mark & (marked != 1)
    after_word = np.zeros(len(marked), dtype=bool)
    after_word[1:] = word[:-1]
    # The next character that is not a mark, for every position (len: none).
    following = np.where(mark, len(marked), np.arange(len(marked)))
    following = np.minimum.accumulate(following[::-1])[::-1]
    before_word = np.append(word, False)[following]
    sentence = marked[~mark | (after_word & before_word)]
    sentence[sentence == 0] = ord(" ")
    marked_text = marked.tobytes().decode("utf-32-le")
    plains = marked_text.replace("\x00", "").split("\x01")
    result = list(zip(plains, sentence.tobytes().decode("utf-32-le").split("\x01"),
                      strict=True))
    if not unicodedata.is_normalized("NFKC", marked_text):
        for index, part in enumerate(marked_text.split("\x01")):
            if not unicodedata.is_normalized("NFKC", part):
                result[index] = normalise_both(texts[index])
    return result


def exact_key(normalised: str) -> int:
    """A signed 64-bit key of the normalised text (BLAKE2b): equal texts, equal keys."""
    digest = hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8"), digest_size=12).hexdigest()


_NOT_DIGIT = re.compile(r"\D")


def _contact_key(contact: str, value: str) -> str:
    """The key of a contact whose normalised form is ``value``."""
    digits = _NOT_DIGIT.sub("", value)
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
    value = normalise(contact) if contact else ""
    if value:
        return "c" + _digest(_contact_key(contact, value))
    name = normalise(display_name) if display_name else ""
    if name:
        return "n" + _digest(f"{channel}:{name}")
    return f"o{opinion_id}"
