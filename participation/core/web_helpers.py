"""Small helpers views share: safe redirects, form error display, pagination."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, request, url_for
from flask_wtf import FlaskForm

from participation.core.errors import DomainError
from participation.extensions import db


def safe_next(target: str | None, default_endpoint: str = "catalogue.show_home") -> str:
    """``target`` when it is a path on this site, otherwise the default page."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(default_endpoint)


def attach_error(form: FlaskForm, error: DomainError, fallback_field: str | None = None) -> None:
    """Show a domain error beside its field (or as a form-level error)."""
    field_name = error.field or fallback_field
    field = getattr(form, field_name, None) if field_name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


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
    value = request.args.get(name, "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


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
