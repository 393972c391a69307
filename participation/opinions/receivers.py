"""How the opinions domain answers the signals of the domains to its left."""

from __future__ import annotations

import sqlalchemy as sa

from participation.core import signals
from participation.extensions import db
from participation.opinions import suggestions as _suggestions  # noqa: F401 - its task
from participation.opinions import workspace_models as _workspace_models  # noqa: F401
from participation.opinions.models import Opinion


@signals.account_deleted.connect
def anonymise_opinions(user) -> None:
    """A deleted account's opinions stay (they are part of the record and counted) but
    lose every link to the person: author, name and contact."""
    db.session.execute(
        sa.update(Opinion)
        .where(Opinion.author_id == user.id)
        .values(author_id=None, display_name=None, contact=None)
        .execution_options(synchronize_session=False)
    )
