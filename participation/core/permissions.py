"""Helpers every domain's ``permissions.py`` builds on.

A permission is a named predicate ``can_<verb>_<noun>(user, obj) -> bool``. Views call
:func:`require` with the predicate's result; anonymous visitors are sent to sign in,
signed-in users without the right get 403.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm.util import identity_key

# One SELECT by primary key per model, built once: a statement object keeps its cache key,
# so SQLAlchemy finds the compiled form without rebuilding the key (Session.get builds a
# new statement each time: a third of the cost of loading one row).
_BY_ID: dict[type, sa.Select] = {}


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


def load_or_404(model, object_id: int, can=None, *, hide: bool = False,
                private: bool = True, options=()):
    """The ``model`` row with ``object_id``, after ``can(current_user, row)`` allowed it.
    ``options`` are loader options (load the rows ``can`` reads with the row itself).

    Unknown ids answer 404. A refused predicate answers 404 when ``hide`` (public pages:
    what a visitor may not see does not exist for them), otherwise 401/403 as
    :func:`require`. ``private`` marks the page as never cached nor stored (work area).
    """
    from flask import g

    from participation.extensions import db

    row = db.session.get(model, object_id, options=options) if options else get_by_id(
        model, object_id)
    if row is None:
        abort(404)
    if can is not None and not can(current_user, row):
        if hide:
            abort(404)
        require(False)
    if private:
        g.private_page = True
    return row


def get_by_id(model, object_id: int):
    """``db.session.get(model, object_id)`` (the row already in the session, else one
    SELECT) with a statement built once per model."""
    from participation.extensions import db

    session = db.session
    found = session.identity_map.get(identity_key(model, object_id))
    if found is not None:
        return found
    statement = _BY_ID.get(model)
    if statement is None:
        (key,) = sa.inspect(model).primary_key
        statement = _BY_ID[model] = sa.select(model).where(key == sa.bindparam("object_id"))
    return session.execute(statement, {"object_id": object_id}).scalar_one_or_none()
