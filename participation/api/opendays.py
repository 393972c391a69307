"""API v1 of open days (issue 9): capacity, confirmed, waitlisted and checked in, never
who signed up or waits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _

from participation.api.views import _iso, _page_args, _page_json, bp
from participation.catalogue import queries
from participation.core.errors import json_error
from participation.core.page_cache import public_page
from participation.core.web_helpers import paginate
from participation.extensions import db
from participation.feedback.operations import published_versions
from participation.open_days.models import OpenDay
from participation.open_days.queries import figures as open_day_figures


def _open_day_json(open_day) -> dict[str, Any]:
    counts = open_day_figures(open_day)
    return {
        "id": open_day.id,
        "title": open_day.title,
        "theme": open_day.theme or None,
        "state": open_day.state.value,
        "decision_id": open_day.decision_id if open_day.decision is not None
        and open_day.decision.is_public else None,
        "unit": open_day.unit.name,
        "starts_at": _iso(open_day.starts_at),
        "ends_at": _iso(open_day.ends_at),
        "place": open_day.place,
        "accessibility": open_day.accessibility or None,
        "signup_opens_at": _iso(open_day.signup_opens_at),
        "signup_closes_at": _iso(open_day.signup_closes_at),
        "companions_allowed": open_day.companions_allowed,
        "capacity": open_day.capacity,
        "confirmed": open_day.confirmed_count,
        "places_left": open_day.places_left,
        "waitlisted": open_day.waitlisted_count,
        "checked_in": counts.checked_in_people,
        "no_shows": counts.no_shows,
        "walk_ins": counts.walk_in_people,
        "url": url_for("opendays.show_open_day", open_day_id=open_day.id, _external=True),
        "ics": url_for("opendays.download_ics", open_day_id=open_day.id, _external=True),
    }


@bp.route("/open-days")
@public_page
def list_open_days():
    government = queries.current_government()
    page_no, per_page = _page_args()
    query = sa.select(OpenDay).where(OpenDay.government_id == government.id, OpenDay.is_public)
    page = paginate(query.order_by(OpenDay.starts_at.desc(), OpenDay.id.desc()), page=page_no,
                    per_page=per_page)
    filters = {"government": request.args.get("government") or None}
    return jsonify(_page_json(page, _open_day_json, "api.list_open_days", filters))


@bp.route("/open-days/<int:open_day_id>")
@public_page
def show_open_day(open_day_id: int):
    open_day = db.session.get(OpenDay, open_day_id)
    if open_day is None or not open_day.is_public:
        return json_error("not_found", _("No public open day has this number."), 404)
    return jsonify({**_open_day_json(open_day), "feedback_report": _report_json(open_day)})


def _report_json(open_day) -> dict[str, Any] | None:
    """The event feedback report's link and summary (its latest published version; None
    before one is published). Counts only, no personal data."""
    versions = published_versions(open_day)
    if not versions:
        return None
    report = versions[0]
    data = report.data or {}
    opinions = data.get("opinions") or {}
    return {
        "url": url_for("feedback.show_open_day_report", open_day_id=open_day.id,
                       _external=True),
        "version": report.version,
        "versions": len(versions),
        "published_at": _iso(report.published_at),
        "correction_reason": report.correction_reason or None,
        "attendance": data.get("attendance"),
        "questionnaire": {key: (data.get("questionnaire") or {}).get(key)
                          for key in ("responses", "average", "scale")},
        "opinions": {"received": opinions.get("received"),
                     "by_disposition": {row["code"]: row["opinions"]
                                        for row in opinions.get("by_disposition", [])}},
    }
