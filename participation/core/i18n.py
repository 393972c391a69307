"""Locale selection: the visitor's choice (cookie), then their account, then Simplified Chinese."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "locale"


@lru_cache(maxsize=16)
def _locale(identifier: str) -> Locale:
    # Flask-Babel parses a returned string again in every request (0.5 ms); a Locale it
    # takes as it is.
    return Locale.parse(identifier)


def select_locale() -> Locale:
    """The visitor's language (cookie, then account); outside a request (commands, jobs,
    the worker) the default language."""
    if not has_request_context():
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return _locale(chosen)
    user = current_user
    if user and user.is_authenticated and getattr(user, "locale", None) in languages:
        return _locale(user.locale)
    return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])


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
