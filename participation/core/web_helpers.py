"""Small helpers views share: safe redirects, form error display, pagination."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, request, url_for

from participation.core.args import MAX_ID, int_arg
from participation.core.transaction import attach_error
from participation.extensions import db

__all__ = ["Page", "attach_error", "page_number", "paginate", "safe_next"]


def safe_next(target: str | None, default_endpoint: str = "catalogue.show_home") -> str:
    """``target`` when it is a path on this site, otherwise the default page."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(default_endpoint)


@dataclass
class Page:
    """One numbered page (OFFSET pagination; for short lists such as the catalogue)."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    is_keyset = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_url(endpoint: str, filters: tuple[str, ...] | list[str] = (), **changes: Any) -> str:
    """The URL of another page of the current list: the route's own path arguments, the
    view's declared ``filters`` (only those, and only when present) and ``changes``.

    Nothing else of the query string is carried: a visitor's ``_anchor``, ``_method``,
    ``endpoint`` or a query value named like a path argument cannot rewrite the links.
    """
    values: dict[str, Any] = dict(request.view_args or {})
    for name in filters:
        value = request.args.get(name)
        if value and name not in values and name != "endpoint" and not name.startswith("_"):
            values[name] = value
    values.update(changes)
    return url_for(endpoint, **values)


def page_number(name: str = "page") -> int:
    """The page number of the query string (1 … 99,999), 1 when absent or odd."""
    return int_arg(name, 1, maximum=99_999)


def paginate(query: sa.Select, *, page: int | None = None, per_page: int | None = None,
             total: int | None = None) -> Page:
    """Run ``query`` for one page; ``total`` may be passed when a counter already knows it."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    page = page or page_number()
    if total is None:
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        ) or 0
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


CURSOR_MAX = MAX_ID  # a cursor names a row id (32-bit on PostgreSQL)


class BadCursor(ValueError):
    """The ``cursor`` query argument is not one this site wrote."""


def parse_cursor(value: str | None) -> int | None:
    """The id a keyset page continues after; None for the first page.

    Raises :class:`BadCursor` for anything but a positive decimal id (ASCII digits only).
    """
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 19 \
            or not 0 < int(value) <= CURSOR_MAX:
        raise BadCursor(value)
    return int(value)


def cursor_arg(name: str = "cursor") -> int | None:
    """The cursor of an HTML list: a malformed one shows the first page."""
    try:
        return parse_cursor(request.args.get(name))
    except BadCursor:
        return None


@dataclass
class KeysetPage:
    """One page of a list read newest first by id (``WHERE id < :cursor ORDER BY id DESC
    LIMIT n + 1``): the cost of a page does not grow with how far the reader went."""

    items: list[Any]
    per_page: int
    cursor: int | None
    next_cursor: int | None
    total: int | None = None
    is_keyset = True

    @property
    def is_first(self) -> bool:
        return self.cursor is None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _page_rows(query: sa.Select, order: tuple, id_key: Any, limit: int,
               ids_query: sa.Select | None = None) -> list[Any]:
    """The rows of one keyset page in two steps: the ids alone first (an index-only scan of
    the list's own index; ``ids_query`` when given), then those rows by primary key.
    Asking for whole rows at once lets PostgreSQL walk the primary key backwards and
    filter, which at a million opinions reads hundreds of thousands of rows of other
    consultations to find twenty."""
    if ids_query is None:
        ids_query = query.with_only_columns(id_key).order_by(None).order_by(*order).limit(limit)
    ids = list(db.session.scalars(ids_query))
    if not ids:
        return []
    # By primary key only: the list's own conditions would tempt SQLite back to its index.
    entity = query.column_descriptions[0]["entity"]
    rows = {getattr(row, id_key.key): row for row in db.session.scalars(
        sa.select(entity).options(*query._with_options).where(id_key.in_(ids)))}
    return [rows[row_id] for row_id in ids if row_id in rows]


def keyset_paginate(query: sa.Select, key: Any, *, cursor: int | None,
                    per_page: int | None = None, total: int | None = None) -> KeysetPage:
    """Run ``query`` for the page after ``cursor`` (newest first by the id column ``key``).

    The query's own ORDER BY is replaced by ``key DESC``; ``total`` is only passed through
    (give it when a counter knows it: a COUNT(*) per page does not scale).
    """
    per_page = per_page or current_app.config["PAGE_SIZE"]
    if cursor is not None:
        query = query.where(key < cursor)
    rows = _page_rows(query, (key.desc(),), key, per_page + 1)
    items = rows[:per_page]
    next_cursor = getattr(items[-1], key.key) if len(rows) > per_page else None
    return KeysetPage(items=items, per_page=per_page, cursor=cursor,
                      next_cursor=next_cursor, total=total)


_TIME_CURSOR = re.compile(r"^(\d{20})-(\d{1,10})$")


def time_cursor_arg(name: str = "cursor") -> tuple[datetime, int] | None:
    """The cursor of a list read by time then id ("<yyyymmddHHMMSSffffff>-<id>"); a
    malformed one shows the first page."""
    match = _TIME_CURSOR.match(request.args.get(name, ""))
    if match is None:
        return None
    try:
        moment = datetime.strptime(match.group(1), "%Y%m%d%H%M%S%f")
    except ValueError:
        return None
    row_id = int(match.group(2))
    return (moment, row_id) if 0 < row_id <= CURSOR_MAX else None


def time_keyset_paginate(query: sa.Select, time_key: Any, id_key: Any, *,
                         cursor: tuple[datetime, int] | None, oldest_first: bool = False,
                         per_page: int | None = None, total: int | None = None,
                         split: tuple[Any, Sequence] | None = None) -> KeysetPage:
    """Keyset pages of a list sorted by a time column, ties broken by id (newest first, or
    oldest first): ``WHERE (t, id) < (:t, :id) ORDER BY t DESC, id DESC LIMIT n + 1``.

    ``split``: ``(column, values)`` when the only index in that order leads with the
    column (``(…, channel, time, id)``): the page is then the first rows of one such
    scan per value, merged (``UNION ALL`` of the values' ``LIMIT n + 1``, sorted, ``LIMIT
    n + 1``), instead of a sort of every row."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    if cursor is not None:
        # A row-value comparison, which both databases answer from the (…, time, id) index.
        position = sa.tuple_(time_key, id_key)
        after = sa.tuple_(sa.literal(cursor[0], time_key.type), sa.literal(cursor[1]))
        query = query.where(position > after if oldest_first else position < after)
    order = (time_key.asc(), id_key.asc()) if oldest_first else (time_key.desc(),
                                                                  id_key.desc())
    ids_query = None
    if split is not None:
        column, values = split
        arms = [query.where(column == value).with_only_columns(time_key, id_key)
                .order_by(None).order_by(*order).limit(per_page + 1).subquery()
                for value in values]
        merged = sa.union_all(*[sa.select(arm.c[time_key.key], arm.c[id_key.key])
                                for arm in arms]).subquery()
        moment, key = merged.c[time_key.key], merged.c[id_key.key]
        ids_query = sa.select(key).order_by(
            *((moment.asc(), key.asc()) if oldest_first else (moment.desc(), key.desc()))
        ).limit(per_page + 1)
    rows = _page_rows(query, order, id_key, per_page + 1, ids_query)
    items = rows[:per_page]
    next_cursor = None
    if len(rows) > per_page:
        last = items[-1]
        next_cursor = (f"{getattr(last, time_key.key):%Y%m%d%H%M%S%f}"
                       f"-{getattr(last, id_key.key)}")
    return KeysetPage(items=items, per_page=per_page, cursor=cursor,
                      next_cursor=next_cursor, total=total)
