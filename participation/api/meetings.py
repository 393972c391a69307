"""API v1 of decision meetings: ``GET /api/v1/meetings`` (numbered pages) and
``/api/v1/meetings/<id>`` (agenda, seats and counts, the open call with its commitment,
the masked list of eligible codes, the selection and the reserve fills, the attendance
record as published and, once drawn, the verification kit). Public facts only: never a
name without consent, never a contact."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from participation.api.views import _iso, _page_args, _page_json, bp
from participation.catalogue.queries import current_government
from participation.core.errors import json_error
from participation.core.page_cache import public_page
from participation.core.web_helpers import paginate
from participation.extensions import db
from participation.meetings import queries
from participation.meetings.models import Meeting


def _summary_json(meeting: Meeting) -> dict[str, Any]:
    call = meeting.open_call
    return {
        "id": meeting.id,
        "title": meeting.title,
        "kind": meeting.kind.value,
        "starts_at": _iso(meeting.starts_at),
        "place": meeting.place,
        "state": meeting.state.value,
        "cancelled_at": _iso(meeting.cancelled_at),
        "cancel_reason": meeting.cancel_reason or None,
        "materials_sent_at": _iso(meeting.materials_sent_at),
        "unit": {"id": meeting.unit_id, "name": meeting.unit.name},
        "open_call": {
            "opens_at": _iso(call.opens_at),
            "closes_at": _iso(call.closes_at),
            "selection_method": call.selection_method.value,
        }
        if call is not None and call.announced_at is not None
        else None,
        "url": url_for("meetings.show_meeting", meeting_id=meeting.id, _external=True),
        "ics": url_for("meetings.download_ics", meeting_id=meeting.id, _external=True),
    }


@bp.route("/meetings")
@public_page
def list_meetings():
    government = current_government()
    page_no, per_page = _page_args()
    page = paginate(queries.public_meetings_query(government.id), page=page_no, per_page=per_page)
    filters = {"government": request.args.get("government") or None}
    return jsonify(_page_json(page, _summary_json, "api.list_meetings", filters))


def _agenda_json(meeting: Meeting) -> list[dict[str, Any]]:
    items = []
    for item in queries.public_agenda(meeting):
        minutes = (
            {"discussion": item.discussion, "dissent": item.dissent, "result": item.result}
            if item.minutes_recorded_at
            else None
        )
        items.append(
            {
                "position": item.position,
                "decision": {
                    "id": item.decision_id,
                    "title": item.decision.title,
                    "url": url_for(
                        "catalogue.show_decision", decision_id=item.decision_id, _external=True
                    ),
                },
                "invite_representatives": item.invite_representatives,
                "invite_reason": item.invite_reason,
                "affects_enterprises": item.affects_enterprises,
                "materials": [
                    {
                        "kind": m.kind.value,
                        "document_id": m.document_id
                        if m.document is not None and m.document.is_public
                        else None,
                        "consultation_id": m.consultation_id,
                    }
                    for m in item.materials
                ],
                "minutes": minutes,
            }
        )
    return items


@bp.route("/meetings/<int:meeting_id>")
@public_page
def show_meeting(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.published:
        return json_error("not_found", _("No public meeting has this number."), 404)
    call = meeting.open_call
    draw = meeting.draw
    announced = call is not None and call.announced_at is not None
    data = _summary_json(meeting)
    data.update(
        {
            "agenda": _agenda_json(meeting),
            "seats": [
                {
                    "category": row["category"].value,
                    "seats": row["seats"],
                    "applications": row["applications"],
                    "eligible": row["eligible"],
                    "ineligible": row["ineligible"],
                    "selected": row["selected"],
                    "reserve": row["reserve"],
                }
                for row in queries.category_counts(meeting)
            ],
            "open_call": {
                "opens_at": _iso(call.opens_at),
                "closes_at": _iso(call.closes_at),
                "eligibility": call.eligibility,
                "selection_method": call.selection_method.value,
                "public_value_source": call.public_value_source or None,
                "draw_on": call.draw_on.isoformat() if call.draw_on else None,
                "commitment": draw.commitment if draw is not None else None,
            }
            if announced
            else None,
            "eligible_codes": {
                category.value: [a.public_code for a in applications]
                for category, applications in queries.eligible_codes(meeting).items()
            },
            "selection": {
                category.value: {
                    "selected": [a.public_code for a in parts["selected"]],
                    "reserve": [a.public_code for a in parts["reserve"]],
                }
                for category, parts in queries.selection(meeting).items()
            },
            "reserve_fills": [
                {
                    "category": f.category.value,
                    "occurred_at": _iso(f.occurred_at),
                    "withdrawn": f.withdrawn.public_code,
                    "promoted": f.promoted.public_code if f.promoted else None,
                }
                for f in queries.reserve_fills(meeting)
            ],
            "attendance": [
                {
                    "code": row["code"],
                    "category": row["category"].value,
                    "name": row["name"],
                    "organisation": row["organisation"],
                    "attendance": row["attendance"].value if row["attendance"] else None,
                    "withdrawn": row["withdrawn"],
                }
                for row in queries.attendance_record(meeting)
            ],
            "verification_kit": draw.kit if draw is not None and draw.drawn_at else None,
            "statements": meeting.public_opinion_count,
        }
    )
    return jsonify(data)
