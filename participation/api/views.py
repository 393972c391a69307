"""Read-only JSON API, version 1: public fields only, confidential entries never appear.

Errors are ``{"error": {"code": ..., "message": ...}}`` (see core.errors).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _

from participation.catalogue import queries
from participation.catalogue.models import Catalogue, CatalogueState, Decision, EntryState, Stage
from participation.catalogue.operations import stage_dates
from participation.consultations.models import Consultation, ConsultationStatus, DraftNode
from participation.consultations.operations import version_tree
from participation.consultations.queries import shown_opinion_counts
from participation.core.args import MAX_ID, BadArgument, enum_arg, int_arg
from participation.core.database import utcnow
from participation.core.errors import json_error
from participation.core.page_cache import public_page
from participation.core.timeutil import local_today
from participation.core.web_helpers import (
    BadCursor,
    KeysetPage,
    keyset_paginate,
    paginate,
    parse_cursor,
)
from participation.core.workdays import working_days_between
from participation.dossier.queries import documents_by_stage
from participation.extensions import db
from participation.opinions.grouping.operations import threshold as grouping_threshold
from participation.opinions.models import (
    Channel,
    ModerationState,
    Opinion,
    OpinionGroup,
    in_group,
)
from participation.opinions.moderation import moderation_log
from participation.opinions.queries import public_opinion_total, public_opinions_query

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100


# Numbered pages of opinions reach this many rows at most; past them the ``next`` link's
# ``cursor`` continues (keyset pagination: no OFFSET over a long list).
MAX_OFFSET_ROWS = 10_000


class BadParameter(BadArgument):
    """An odd query argument of the API, optionally with its own message."""

    def __init__(self, name: str, message: str | None = None) -> None:
        super().__init__(name)
        self.message = message


# The API refuses odd query arguments with a 400 naming them (HTML pages ignore them).
@bp.errorhandler(BadArgument)
def _bad_parameter(error: BadArgument):
    return json_error("bad_parameter", getattr(error, "message", None) or
                      _("The parameter “%(name)s” has an invalid value.", name=error.name), 400)


def _int_arg(name: str, default: int | None = None, maximum: int = MAX_ID) -> int | None:
    return int_arg(name, default, maximum=maximum, strict=True)


def _page_args() -> tuple[int, int]:
    return _int_arg("page", 1, 100_000), _int_arg("per_page", 20, MAX_PER_PAGE)


def _page_json(page, serialize, endpoint: str, filters: dict[str, Any]) -> dict[str, Any]:
    """A numbered page, with the URL of the next one (``next``, null on the last)."""
    following = (url_for(endpoint, **filters, page=page.page + 1, per_page=page.per_page,
                         _external=True) if page.has_next else None)
    return {"items": [serialize(item) for item in page.items], "page": page.page,
            "per_page": page.per_page, "total": page.total, "pages": page.pages,
            "next": following}


def _keyset_json(page: KeysetPage, serialize, endpoint: str, filters: dict[str, Any],
                 number: int | None) -> dict[str, Any]:
    """A keyset page: ``next`` is the URL of the following page (its ``cursor`` is also
    given alone as ``next_cursor``); ``page`` is the page number when one was asked for."""
    following = (url_for(endpoint, **filters, cursor=page.next_cursor,
                         per_page=page.per_page, _external=True) if page.has_next else None)
    pages = (max(1, -(-page.total // page.per_page)) if page.total is not None else None)
    return {"items": [serialize(item) for item in page.items], "page": number,
            "per_page": page.per_page, "total": page.total, "pages": pages,
            "next": following,
            "next_cursor": str(page.next_cursor) if page.has_next else None}


def _iso(value) -> str | None:
    return value.isoformat() + ("Z" if hasattr(value, "hour") else "") if value else None


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "title": decision.title,
        "year": decision.catalogue.year,
        "unit": {"id": decision.unit_id, "name": decision.unit.name},
        "category": decision.category,
        "legal_basis": decision.legal_basis,
        "summary": decision.summary,
        "planned_completion": decision.planned_completion.isoformat()
        if decision.planned_completion else None,
        "stage": decision.stage.value,
        "feedback": _feedback_clock_json(decision),
        "url": url_for("catalogue.show_decision", decision_id=decision.id, _external=True),
    }


def _feedback_clock_json(decision: Decision) -> dict[str, Any] | None:
    """The feedback report's clock: issue date of the decision document, due date
    (``due_estimated`` past the known holiday schedules), ``overdue_since`` while late and
    unpublished, the publication date and how many working days late it was."""
    if decision.document_issued_on is None:
        return None
    overdue = decision.feedback_overdue_since(local_today())
    published, due = decision.feedback_published_on, decision.feedback_due_on
    return {
        "document_issued_on": decision.document_issued_on.isoformat(),
        "due_on": due.isoformat() if due else None,
        "due_estimated": decision.feedback_due_estimated,
        "overdue_since": overdue.isoformat() if overdue else None,
        "published_on": published.isoformat() if published else None,
        "late_working_days": working_days_between(due, published) if due and published
        else None,
    }


def _public_decision(decision_id: int) -> Decision | None:
    decision = db.session.get(Decision, decision_id)
    if decision is None or not decision.is_public:
        return None
    return decision


@bp.route("/decisions")
@public_page
def list_decisions():
    government = queries.current_government()
    page_no, per_page = _page_args()
    year = _int_arg("year")
    unit = _int_arg("unit")
    stage = enum_arg("stage", Stage, strict=True)
    query = sa.select(Decision).join(Catalogue, Decision.catalogue_id == Catalogue.id).where(
        Decision.government_id == government.id, Catalogue.state == CatalogueState.PUBLISHED,
        Decision.confidential.is_(False), Decision.state == EntryState.LISTED)
    if year:
        query = query.where(Catalogue.year == year)
    if unit:
        query = query.where(Decision.unit_id.in_(queries.unit_and_descendants(unit)))
    if stage:
        query = query.where(Decision.stage == stage)
    page = paginate(query.order_by(Catalogue.year.desc(), Decision.position), page=page_no,
                    per_page=per_page)
    filters = {"government": request.args.get("government") or None, "year": year,
               "unit": unit, "stage": stage.value if stage else None}
    return jsonify(_page_json(page, _decision_json, "api.list_decisions", filters))


@bp.route("/decisions/<int:decision_id>")
@public_page
def show_decision(decision_id: int):
    decision = _public_decision(decision_id)
    if decision is None:
        return json_error("not_found", _("No public decision has this number."), 404)
    documents = documents_by_stage(decision)
    consultations = db.session.scalars(sa.select(Consultation).where(
        Consultation.decision_id == decision.id).order_by(Consultation.opens_at)).all()
    dates = stage_dates(decision)
    stages = []
    for stage in Stage:
        stage_documents = [
            {"id": d.id, "kind": d.kind.value, "title": d.title,
             "disclosure": d.disclosure.value, "published_at": _iso(d.published_at),
             "revised_at": _iso(d.revised_at),
             "url": url_for("dossier.show_document", document_id=d.id, _external=True)}
            for d in documents[stage]
        ]
        entry: dict[str, Any] = {"stage": stage.value, "started_on":
                                 dates[stage].isoformat() if stage in dates else None,
                                 "documents": stage_documents}
        if stage == Stage.PUBLIC_CONSULTATION:
            entry["consultations"] = [_consultation_json(c) for c in consultations]
        entry["published"] = bool(stage_documents or entry.get("consultations"))
        stages.append(entry)
    return jsonify({**_decision_json(decision), "stages": stages})


def _consultation_json(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.id,
        "title": consultation.title,
        "decision_id": consultation.decision_id,
        "status": consultation.status.value,
        "opens_at": _iso(consultation.opens_at),
        "closes_at": _iso(consultation.closes_at),
        "short_period_reason": consultation.short_period_reason or None,
        "opinion_count": consultation.opinion_count,
        "draft_version": consultation.draft_version.number,
        "ways_to_comment": {
            "online": url_for("opinions.submit_opinion", consultation_id=consultation.id,
                              _external=True),
            "postal_address": consultation.postal_address or None,
            "email": consultation.email or None,
            "hotline": consultation.hotline or None,
            "other": consultation.other_channels or None,
        },
        "opinions_public": consultation.opinions_public,
        "moderation_mode": consultation.moderation_mode.value,
        "url": url_for("consultations.show_consultation", consultation_id=consultation.id,
                       _external=True),
    }


@bp.route("/consultations")
@public_page
def list_consultations():
    government = queries.current_government()
    page_no, per_page = _page_args()
    status = enum_arg("status", ConsultationStatus, strict=True)
    query = sa.select(Consultation).join(Decision, Consultation.decision_id == Decision.id) \
        .where(Consultation.government_id == government.id, Decision.is_public)
    if status:
        query = query.where(Consultation.status_at(utcnow()) == status.value)
    page = paginate(query.order_by(Consultation.opens_at.desc()), page=page_no,
                    per_page=per_page)
    filters = {"government": request.args.get("government") or None,
               "status": status.value if status else None}
    return jsonify(_page_json(page, _consultation_json, "api.list_consultations", filters))


def _public_consultation(consultation_id: int) -> Consultation | None:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not consultation.is_public:
        return None
    return consultation


def _node_json(entry: dict, counts: dict[int, int]) -> dict[str, Any]:
    node: DraftNode = entry["node"]
    return {"id": node.id, "kind": node.kind, "label": node.label, "ordinal": node.ordinal,
            "heading": node.heading, "text": node.text, "anchor": node.anchor,
            "opinion_count": counts.get(node.id, 0) if node.is_commentable else None,
            "children": [_node_json(child, counts) for child in entry["children"]]}


@bp.route("/consultations/<int:consultation_id>")
@public_page
def show_consultation(consultation_id: int):
    consultation = _public_consultation(consultation_id)
    if consultation is None:
        return json_error("not_found", _("No public consultation has this number."), 404)
    tree = version_tree(consultation.draft_version)
    counts = shown_opinion_counts(consultation.draft_version)
    return jsonify({**_consultation_json(consultation),
                    "moderation_log": moderation_log(consultation).as_json(),
                    "articles": [_node_json(entry, counts) for entry in tree]})


def _opinion_json(opinion: Opinion) -> dict[str, Any]:
    return {
        "id": opinion.id,
        "channel": opinion.channel.value,
        "received_at": _iso(opinion.received_at),
        "article": {"id": opinion.node.id, "label": opinion.node.label,
                    "anchor": opinion.node.anchor} if opinion.node else None,
        "name": opinion.shown_name,
        "body": opinion.shown_body,
        "late": opinion.is_late,
    }


@bp.route("/consultations/<int:consultation_id>/opinions")
@public_page
def list_opinions(consultation_id: int):
    consultation = _public_consultation(consultation_id)
    if consultation is None:
        return json_error("not_found", _("No public consultation has this number."), 404)
    if not consultation.opinions_public:
        return json_error("not_public", _("The opinions of this consultation are not "
                                          "published."), 403)
    page_no, per_page = _page_args()
    try:
        cursor = parse_cursor(request.args.get("cursor"))
    except BadCursor:
        raise BadParameter("cursor") from None
    node = None
    article = _int_arg("article")
    if article:
        node = db.session.get(DraftNode, article)
        if node is None or node.version.draft_id != consultation.draft_id:
            raise BadParameter("article")
    query = public_opinions_query(consultation, node)
    total = public_opinion_total(consultation, node)
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(
            query.order_by(None).subquery())) or 0
    number: int | None = None
    if cursor is None:
        number = page_no
        if (page_no - 1) * per_page >= MAX_OFFSET_ROWS:
            raise BadParameter("page", _(
                "Pages past the first %(rows)d opinions are read with the “cursor” of the "
                "“next” link.", rows=MAX_OFFSET_ROWS))
        if page_no > 1:  # the first pages by number: OFFSET stays small
            query = query.offset((page_no - 1) * per_page)
    page = keyset_paginate(query, Opinion.id, cursor=cursor, per_page=per_page, total=total)
    return jsonify(_keyset_json(page, _opinion_json, "api.list_opinions",
                                {"consultation_id": consultation.id, "article": article},
                                number))


@bp.route("/consultations/<int:consultation_id>/feedback-report")
@public_page
def feedback_report(consultation_id: int):
    """The published feedback report: counts by channel and by disposition, the
    concentrated opinions with their reasons, due and published dates, lateness.
    ``?version=N`` for an earlier published version."""
    from participation.feedback.operations import published_versions

    consultation = _public_consultation(consultation_id)
    if consultation is None:
        return json_error("not_found", _("No public consultation has this number."), 404)
    versions = published_versions(consultation)
    wanted = int_arg("version")
    report = next((v for v in versions if v.version == wanted), None) if wanted \
        else (versions[0] if versions else None)
    if report is None:
        return json_error("not_published",
                          _("The feedback report of this consultation is not published."), 404)
    data = report.data
    return jsonify({
        "consultation": {"id": consultation.id, "title": consultation.title},
        "version": report.version,
        "versions": [{"version": v.version, "published_on": v.published_on.isoformat(),
                      "correction_reason": v.correction_reason or None} for v in versions],
        "due_on": report.due_on.isoformat() if report.due_on else None,
        "published_on": report.published_on.isoformat(),
        "published_automatically": report.automatic,
        "late": report.late_working_days > 0,
        "late_working_days": report.late_working_days,
        "opinions": data["participation"]["opinions"],
        "people": data["participation"]["people"],
        "by_channel": {row["channel"]: row["opinions"]
                       for row in data["participation"]["by_channel"]},
        "by_submitter_kind": {row["submitter_kind"]: row["opinions"]
                              for row in data["participation"].get("by_submitter_kind", [])},
        "by_disposition": {row["code"]: row["opinions"]
                           for row in data["dispositions"]["by_code"]},
        "concentrated_opinions": [
            {"summary": g["summary"], "opinions": g["opinions"], "people": g["people"],
             "disposition": g["disposition"], "reason": g["reason"]}
            for g in data["concentrated"]],
        "not_published": {row["reason"]: row["opinions"]
                          for row in data["not_published"]["by_reason"]},
        "symposiums": data["consultation"].get("symposiums", 0),
        "hearings": data["consultation"].get("hearings", 0),
        # Statements by representatives at the decision's meetings (the names the
        # attendance record shows) and opinions heard at its open days (masked names,
        # with consent only; texts as published).
        "statements": [
            {key: s[key] for key in ("meeting_id", "meeting", "held_on", "name", "text",
                                     "disposition", "reason")}
            for s in (data.get("representatives") or {}).get("statements", [])],
        "open_day_opinions": [
            {key: o[key] for key in ("open_day_id", "open_day", "held_on", "name", "text",
                                     "disposition", "reason")}
            for o in (data.get("open_days") or {}).get("opinions", [])],
        "how_held": report.how_held,
        "adoption_summary": report.adoption_summary,
    })
# Per group at most this many member references are listed (the counts are complete).
MEMBER_REFERENCES_MAX = 1_000


def _member_references(group: OpinionGroup, consultation: Consultation) -> tuple[list, bool]:
    """The public references of a group's members: the ``reference`` (hotline ticket or
    letter number) of published offline opinions, and the opinion ``id`` of online
    opinions shown publicly (the one in ``/opinions``). Receipt numbers are private
    lookup keys and never listed; hidden, pending and unconsented opinions are counted
    but not listed."""
    query = (sa.select(Opinion.id, Opinion.channel, Opinion.reference,
                       Opinion.consent_to_publish)
             .where(in_group(group.id),
                    Opinion.moderation_state == ModerationState.PUBLISHED)
             .order_by(Opinion.id))
    listed = []
    for row in db.session.execute(query):
        if row.reference:
            listed.append({"reference": row.reference, "channel": row.channel.value})
        elif (row.channel == Channel.ONLINE and row.consent_to_publish
              and consultation.opinions_public):
            listed.append({"opinion_id": row.id, "channel": row.channel.value})
        if len(listed) > MEMBER_REFERENCES_MAX:
            return listed[:MEMBER_REFERENCES_MAX], True
    return listed, False


def _concentrated_json(group: OpinionGroup, consultation: Consultation) -> dict[str, Any]:
    members, truncated = _member_references(group, consultation)
    # Dispositions are public once the feedback report is (until then: null).
    disposed = consultation.feedback_published_at is not None
    return {"id": group.id, "opinion_count": group.opinion_count,
            "people_count": group.people_count, "summary": group.summary or None,
            "disposition": group.disposition.value if disposed and group.disposition
            else None,
            "reason": (group.disposition_reason or None) if disposed else None,
            "members": members, "members_truncated": truncated}


@bp.route("/consultations/<int:consultation_id>/concentrated-opinions")
@public_page
def list_concentrated_opinions(consultation_id: int):
    """The consultation's concentrated opinions (groups of at least its threshold of
    opinions), newest group first, by keyset pages (``cursor``)."""
    consultation = _public_consultation(consultation_id)
    if consultation is None:
        return json_error("not_found", _("No public consultation has this number."), 404)
    _page_no, per_page = _page_args()
    try:
        cursor = parse_cursor(request.args.get("cursor"))
    except BadCursor:
        raise BadParameter("cursor") from None
    limit = grouping_threshold(consultation)
    query = sa.select(OpinionGroup).where(OpinionGroup.consultation_id == consultation.id,
                                          OpinionGroup.opinion_count >= limit)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())) or 0
    page = keyset_paginate(query, OpinionGroup.id, cursor=cursor, per_page=per_page,
                           total=total)
    body = _keyset_json(page, lambda g: _concentrated_json(g, consultation),
                        "api.list_concentrated_opinions",
                        {"consultation_id": consultation.id}, None)
    body["threshold"] = limit
    return jsonify(body)


from participation.api import meetings as _meetings  # noqa: E402, F401 - its routes
from participation.api import opendays as _opendays  # noqa: E402, F401 - its routes
