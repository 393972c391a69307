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
from participation.core.database import utcnow
from participation.core.errors import json_error
from participation.core.page_cache import public_page
from participation.core.pii import mask_personal_data
from participation.core.web_helpers import paginate
from participation.dossier.models import Disclosure, Document, DocumentState
from participation.extensions import db
from participation.opinions.models import Opinion
from participation.opinions.operations import public_opinion_total, public_opinions_query

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100


class BadParameter(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter):
    return json_error("bad_parameter",
                      _("The parameter “%(name)s” has an invalid value.", name=error.name), 400)


def _int_arg(name: str, default: int | None = None, maximum: int | None = None) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) < 1 or (maximum and int(value) > maximum):
        raise BadParameter(name)
    return int(value)


def _page_args() -> tuple[int, int]:
    return _int_arg("page", 1, 100_000), _int_arg("per_page", 20, MAX_PER_PAGE)


def _page_json(page, serialize) -> dict[str, Any]:
    return {"items": [serialize(item) for item in page.items], "page": page.page,
            "per_page": page.per_page, "total": page.total, "pages": page.pages}


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
        "url": url_for("catalogue.show_decision", decision_id=decision.id, _external=True),
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
    stage_arg = request.args.get("stage")
    if stage_arg and stage_arg not in Stage.__members__.values():
        raise BadParameter("stage")
    query = sa.select(Decision).join(Catalogue, Decision.catalogue_id == Catalogue.id).where(
        Decision.government_id == government.id, Catalogue.state == CatalogueState.PUBLISHED,
        Decision.confidential.is_(False), Decision.state == EntryState.LISTED)
    if year:
        query = query.where(Catalogue.year == year)
    if unit:
        query = query.where(Decision.unit_id.in_(queries.unit_and_descendants(unit)))
    if stage_arg:
        query = query.where(Decision.stage == Stage(stage_arg))
    page = paginate(query.order_by(Catalogue.year.desc(), Decision.position), page=page_no,
                    per_page=per_page)
    return jsonify(_page_json(page, _decision_json))


@bp.route("/decisions/<int:decision_id>")
@public_page
def show_decision(decision_id: int):
    decision = _public_decision(decision_id)
    if decision is None:
        return json_error("not_found", _("No public decision has this number."), 404)
    documents = db.session.scalars(sa.select(Document).where(
        Document.decision_id == decision.id, Document.state == DocumentState.PUBLISHED,
        Document.disclosure != Disclosure.WITHHELD).order_by(Document.id)).all()
    consultations = db.session.scalars(sa.select(Consultation).where(
        Consultation.decision_id == decision.id).order_by(Consultation.opens_at)).all()
    dates = stage_dates(decision)
    stages = []
    for stage in Stage:
        stage_documents = [
            {"id": d.id, "kind": d.kind.value, "title": d.title,
             "disclosure": d.disclosure.value,
             "url": url_for("dossier.show_document", document_id=d.id, _external=True)}
            for d in documents if d.kind.stage == stage
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
        "url": url_for("consultations.show_consultation", consultation_id=consultation.id,
                       _external=True),
    }


@bp.route("/consultations")
@public_page
def list_consultations():
    government = queries.current_government()
    page_no, per_page = _page_args()
    status = request.args.get("status")
    if status and status not in ConsultationStatus.__members__.values():
        raise BadParameter("status")
    query = sa.select(Consultation).join(Decision, Consultation.decision_id == Decision.id) \
        .where(Consultation.government_id == government.id, Decision.public_filter())
    if status:
        query = query.where(Consultation.status_at(utcnow()) == status)
    page = paginate(query.order_by(Consultation.opens_at.desc()), page=page_no,
                    per_page=per_page)
    return jsonify(_page_json(page, _consultation_json))


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
                    "articles": [_node_json(entry, counts) for entry in tree]})


def _opinion_json(opinion: Opinion) -> dict[str, Any]:
    return {
        "id": opinion.id,
        "channel": opinion.channel.value,
        "received_at": _iso(opinion.received_at),
        "article": {"id": opinion.node.id, "label": opinion.node.label,
                    "anchor": opinion.node.anchor} if opinion.node else None,
        "name": opinion.display_name,
        "body": mask_personal_data(opinion.body),
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
    node = None
    article = _int_arg("article")
    if article:
        node = db.session.get(DraftNode, article)
        if node is None or node.version.draft_id != consultation.draft_id:
            raise BadParameter("article")
    page = paginate(public_opinions_query(consultation, node), page=page_no, per_page=per_page,
                    total=public_opinion_total(consultation, node))
    return jsonify(_page_json(page, _opinion_json))
