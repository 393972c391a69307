"""How the meetings domain answers the signals of the domains to its left: the
decision's dossier links its meetings, minutes and attendance; the officials' dashboard
lists the meetings of their units."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext

from participation.accounts.models import Unit
from participation.accounts.queries import internal_unit_ids
from participation.catalogue.models import Stage
from participation.core import signals
from participation.extensions import db
from participation.meetings import models, queries
from participation.meetings.models import Meeting
from participation.meetings.permissions import can_create_meeting


@signals.stage_links_requested.connect
def meeting_links(decision, **_kwargs) -> list[signals.StageLink]:
    """Under "collective deliberation": each public meeting that had the decision on its
    agenda, its minutes (once recorded) and its attendance record."""
    links = []
    stage = Stage.COLLECTIVE_DELIBERATION.value
    for item in queries.meetings_of_decision(decision.id):
        meeting = item.meeting
        url = url_for("meetings.show_meeting", meeting_id=meeting.id)
        links.append(
            signals.StageLink(
                stage, meeting.title, url, f"{meeting.kind.label} · {meeting.state.label}"
            )
        )
        if item.minutes_recorded_at is not None:
            links.append(
                signals.StageLink(
                    stage,
                    gettext("Minutes: %(title)s", title=decision.title),
                    f"{url}#item-{item.id}",
                )
            )
        if meeting.state == models.MeetingState.HELD:
            links.append(
                signals.StageLink(
                    stage,
                    gettext("Attendance: %(title)s", title=meeting.title),
                    url_for("meetings.show_attendance", meeting_id=meeting.id),
                )
            )
    return links


@signals.stage_material_requested.connect
def meeting_stages(decision_ids: list[int]) -> dict[int, set[Stage]]:
    """A decision on the agenda of a public meeting has collective-deliberation material."""
    rows = db.session.scalars(
        sa.select(models.AgendaItem.decision_id)
        .join(Meeting, Meeting.id == models.AgendaItem.meeting_id)
        .where(models.AgendaItem.decision_id.in_(decision_ids), Meeting.published.is_(True))
        .distinct()
    )
    return {decision_id: {Stage.COLLECTIVE_DELIBERATION} for decision_id in rows}


@signals.dashboard_sections_requested.connect
def meetings_section(user) -> signals.DashboardSection:
    """The meetings of the official's units, and a link to schedule one per unit."""
    meetings: list[Meeting] = []
    units = []
    for government_id in sorted({m.government_id for m in user.memberships}):
        query = sa.select(Meeting).where(Meeting.government_id == government_id)
        unit_ids = internal_unit_ids(user, government_id)
        if unit_ids is not None:
            query = query.where(Meeting.unit_id.in_(unit_ids))
        meetings.extend(db.session.scalars(query.order_by(Meeting.starts_at.desc()).limit(20)))
    for membership in user.memberships:
        unit_query = sa.select(Unit).where(Unit.government_id == membership.government_id)
        for unit in db.session.scalars(unit_query.order_by(Unit.position, Unit.id)):
            if unit not in units and can_create_meeting(user, unit):
                units.append(unit)
    return signals.DashboardSection(30, "meetings/_dashboard.html", meetings=meetings, units=units)
