"""Flask-Login wiring: users are loaded by id and session version."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy.orm import joinedload

from participation.extensions import db


@cache
def _user_by_id() -> sa.Select:
    """The signed-in user with their memberships in the same query: every page's header
    asks whether the user is an official, and permissions read them (one round trip, not
    two). Built once (at the first request, when every model is mapped), so that each
    request finds the compiled statement without rebuilding its key."""
    from participation.accounts.models import User

    return (
        sa.select(User)
        .where(User.id == sa.bindparam("user_id"))
        .options(joinedload(User.memberships))
    )


def init_login_manager(login_manager: LoginManager) -> None:
    from participation.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.execute(_user_by_id(), {"user_id": int(user_id)}).unique().scalar()
        if user is None or str(user.session_version) != version or not user.is_active:
            return None
        return user
