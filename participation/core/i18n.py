"""Locale selection: the visitor's choice (cookie), then their account, then Simplified Chinese."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "locale"


def select_locale() -> str:
    """The visitor's language (cookie, then account); outside a request (commands, jobs,
    the worker) the default language."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    user = current_user
    if user and user.is_authenticated and getattr(user, "locale", None) in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def label(lazy_text) -> str:
    """``str(lazy_text)``, translated once per request (enum labels are shown many times
    on one page, and each translation look-up costs more than the rest of the cell)."""
    if not has_request_context():
        return str(lazy_text)
    cache = g.setdefault("_translated_labels", {})
    key = id(lazy_text)
    text = cache.get(key)
    if text is None:
        text = cache[key] = str(lazy_text)
    return text
