"""Small helpers views share: safe redirects, form error display, pagination."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, url_for

from participation.core.args import int_arg
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
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


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
