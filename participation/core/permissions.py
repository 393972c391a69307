"""Helpers every domain's ``permissions.py`` builds on.

A permission is a named predicate ``can_<verb>_<noun>(user, obj) -> bool``. Views call
:func:`require` with the predicate's result; anonymous visitors are sent to sign in,
signed-in users without the right get 403.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user


def require(allowed: bool) -> None:
    """Stop the request unless ``allowed``: 401 (login redirect) or 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        from participation.extensions import login_manager

        abort(login_manager.unauthorized())
    abort(403)


def require_official() -> None:
    """Any official (a user with at least one role) may pass; others are refused."""
    require(current_user.is_authenticated and current_user.is_official)
