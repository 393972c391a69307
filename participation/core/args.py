"""Query-string arguments every view reads the same way: bounded integers and enum members.

A value a visitor typed that is not a plain ASCII number in range, or not a member of the
enum, is treated as absent (the default), so that an odd address shows the page without
that filter instead of a server error. The API asks for ``strict=True`` and answers a
clear 400 instead (:class:`BadArgument`).
"""

from __future__ import annotations

import enum
from typing import TypeVar

from flask import request
from werkzeug.routing import IntegerConverter

# Primary keys are 32-bit integers on PostgreSQL; nothing larger can name a row.
MAX_ID = 2**31 - 1

E = TypeVar("E", bound=enum.Enum)


class BadArgument(ValueError):
    """A query argument with a value the view cannot use (raised only when strict)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def parse_int(value: str | None, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """``value`` as an int when it is ASCII digits within [minimum, maximum], else None.

    ``str.isdigit`` alone accepts superscripts (``⁰⁴⁵``) that ``int`` refuses, and
    ``int`` alone accepts ``" 1_0"``; both are excluded here.
    """
    if not value or len(value) > 12 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def int_arg(name: str, default: int | None = None, *, minimum: int = 1,
            maximum: int = MAX_ID, strict: bool = False) -> int | None:
    """The query argument ``name`` as a bounded integer, or ``default`` when absent or odd."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    number = parse_int(raw, minimum, maximum)
    if number is None:
        if strict:
            raise BadArgument(name)
        return default
    return number


def id_arg(name: str, *, strict: bool = False) -> int | None:
    """The query argument ``name`` as a row id (1 … 2³¹−1), or None."""
    return int_arg(name, None, strict=strict)


def enum_arg(name: str, enum_class: type[E], default: E | None = None, *,
             strict: bool = False) -> E | None:
    """The query argument ``name`` as a member of ``enum_class`` (by value), or ``default``."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return enum_class(raw)
    except ValueError:
        if strict:
            raise BadArgument(name) from None
        return default


def text_arg(name: str, max_length: int = 200) -> str | None:
    """A free-text query argument, stripped, without control characters, or None."""
    raw = request.args.get(name, "")
    cleaned = "".join(ch for ch in raw if ch.isprintable()).strip()[:max_length]
    return cleaned or None


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: only ids a row can have match; larger numbers 404."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
