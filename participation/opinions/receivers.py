"""How the opinions domain answers the signals of the domains to its left."""

from __future__ import annotations

import sqlalchemy as sa

from participation.core import signals
from participation.extensions import db
from participation.opinions import suggestions as _suggestions  # noqa: F401 - its task
from participation.opinions import workspace_models as _workspace_models  # noqa: F401
from participation.opinions.imports import running  # noqa: F401 - the import task and job
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


# Grouping (concentrated opinions) connects its own receivers.
from participation.opinions.grouping import receivers as _grouping_receivers  # noqa: E402, F401


@signals.dashboard_sections_requested.connect
def moderation_section(user) -> signals.DashboardSection | None:
    """For moderators (and administrators): the opinions awaiting review in their units,
    with the link to the moderation queue; for administrators also the sensitive-word
    list."""
    from participation.accounts.models import Role
    from participation.opinions.moderation_queries import pending_total

    governments = sorted({m.government_id for m in user.memberships
                          if m.role in (Role.MODERATOR, Role.ADMINISTRATOR)})
    if not governments:
        return None
    pending = {government_id: pending_total(user, government_id)
               for government_id in governments}
    administers = {government_id: user.is_administrator(government_id)
                   for government_id in governments}
    return signals.DashboardSection(20, "opinions/moderation_dashboard.html",
                                    pending=pending, administers=administers)


# The periodic digest of opinions awaiting review registers itself on import.
from participation.opinions import moderation_reports  # noqa: E402, F401
