"""Locale selection: the visitor's choice (cookie), then their account, then Simplified Chinese."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

LOCALE_COOKIE = "locale"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    user = current_user
    if user and user.is_authenticated and getattr(user, "locale", None) in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
