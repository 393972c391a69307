"""Public catalogue and dossier pages, and the officials' catalogue screens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.accounts.models import Government, Unit
from participation.accounts.permissions import EDITING_ROLES, can_see_internal
from participation.catalogue import operations, queries
from participation.catalogue.forms import (
    CatalogueForm,
    DecisionForm,
    PublishCatalogueForm,
    StageForm,
    WithdrawForm,
)
from participation.catalogue.models import (
    CHANGE_KIND_LABELS,
    DECISION_FIELD_LABELS,
    Catalogue,
    CatalogueChange,
    Decision,
    EntryState,
    Stage,
)
from participation.catalogue.permissions import (
    can_add_decision,
    can_change_stage,
    can_edit_decision,
    can_manage_catalogue,
    can_view_decision,
)
from participation.consultations.models import Consultation
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.page_cache import public_page
from participation.core.permissions import require
from participation.core.timeutil import local_today
from participation.core.web_helpers import attach_error, paginate
from participation.dossier.models import Disclosure, Document, DocumentKind, DocumentState
from participation.extensions import db

bp = Blueprint("catalogue", __name__)


@bp.route("/")
@public_page
def show_home():
    government = queries.current_government()
    now = utcnow()
    open_consultations = db.session.scalars(
        sa.select(Consultation).join(Decision, Consultation.decision_id == Decision.id)
        .where(Consultation.government_id == government.id, Decision.public_filter(),
               Consultation.is_open_at(now))
        .order_by(Consultation.closes_at).limit(10)
    ).all()
    years = queries.published_years(government)
    return render_template("catalogue/home.html", government=government,
                           open_consultations=open_consultations, years=years)


@bp.route("/catalogue")
@public_page
def show_catalogue():
    government = queries.current_government()
    years = queries.published_years(government)
    year_arg = request.args.get("year", "")
    year = int(year_arg) if year_arg.isdigit() else (years[0] if years else local_today().year)
    catalogue = queries.published_catalogue(government, year)
    units = government.units
    unit_arg = request.args.get("unit", "")
    unit_id = int(unit_arg) if unit_arg.isdigit() else None
    stage_arg = request.args.get("stage", "")
    stage = Stage(stage_arg) if stage_arg in Stage.__members__.values() else None
    category = request.args.get("category", "").strip() or None
    page = material = None
    categories: list[str] = []
    if catalogue is not None:
        page = paginate(queries.public_decisions_query(catalogue, unit_id=unit_id, stage=stage,
                                                       category=category), per_page=50)
        material = queries.stage_material([d.id for d in page.items])
        categories = queries.public_categories(catalogue)
    return render_template(
        "catalogue/catalogue.html", government=government, catalogue=catalogue, years=years,
        year=year, units=units, unit_id=unit_id, stage=stage, stages=list(Stage),
        category=category, categories=categories, page=page, material=material,
    )


@bp.route("/catalogue/history")
@public_page
def show_history():
    government = queries.current_government()
    year_arg = request.args.get("year", "")
    years = queries.published_years(government)
    year = int(year_arg) if year_arg.isdigit() else (years[0] if years else local_today().year)
    catalogue = queries.published_catalogue(government, year) or abort(404)
    changes = db.session.scalars(
        sa.select(CatalogueChange).join(Decision, CatalogueChange.decision_id == Decision.id)
        .where(CatalogueChange.catalogue_id == catalogue.id, Decision.confidential.is_(False))
        .order_by(CatalogueChange.occurred_on.desc(), CatalogueChange.id.desc())
    ).all()
    return render_template("catalogue/history.html", government=government,
                           catalogue=catalogue, changes=changes, kind_labels=CHANGE_KIND_LABELS,
                           field_labels=DECISION_FIELD_LABELS)


def _decision(decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    # Confidential or unpublished entries do not exist for those who may not see them.
    if decision is None or not can_view_decision(current_user, decision):
        abort(404)
    return decision


@bp.route("/decisions/<int:decision_id>")
@public_page
def show_decision(decision_id: int):
    decision = _decision(decision_id)
    internal = can_see_internal(current_user, decision.unit)
    if not decision.is_public:
        g.private_page = True
    documents = db.session.scalars(
        sa.select(Document).where(Document.decision_id == decision.id)
        .order_by(Document.published_at, Document.id)
    ).all()
    visible = [d for d in documents if d.is_public or internal]
    # Published but withheld: the public learns that the document exists and on what legal
    # ground it is withheld (not its title).
    withheld = [] if internal or not decision.is_public else [
        d for d in documents
        if d.state == DocumentState.PUBLISHED and d.disclosure == Disclosure.WITHHELD]
    by_stage: dict[Stage, list[Document]] = {stage: [] for stage in Stage}
    for document in visible:
        by_stage[document.kind.stage].append(document)
    consultations = db.session.scalars(
        sa.select(Consultation).where(Consultation.decision_id == decision.id)
        .order_by(Consultation.opens_at)
    ).all()
    changes = db.session.scalars(
        sa.select(CatalogueChange).where(CatalogueChange.decision_id == decision.id)
        .order_by(CatalogueChange.id)
    ).all() if not decision.confidential else []
    return render_template(
        "catalogue/dossier.html", decision=decision, stages=list(Stage), by_stage=by_stage,
        consultations=consultations, stage_dates=operations.stage_dates(decision),
        changes=changes, kind_labels=CHANGE_KIND_LABELS, internal=internal,
        withheld=withheld,
    )


# -- officials ---------------------------------------------------------------------------


def dashboard_context(user) -> dict:
    """What the officials' home page lists: their governments, catalogues, decisions."""
    government_ids = sorted({m.government_id for m in user.memberships})
    governments = db.session.scalars(
        sa.select(Government).where(Government.id.in_(government_ids))).all()
    decisions = db.session.scalars(
        sa.select(Decision).where(Decision.government_id.in_(government_ids))
        .order_by(Decision.catalogue_id.desc(), Decision.position)
    ).all()
    decisions = [d for d in decisions if can_see_internal(user, d.unit)]
    catalogues = db.session.scalars(
        sa.select(Catalogue).where(Catalogue.government_id.in_(government_ids))
        .order_by(Catalogue.year.desc())
    ).all()
    return {"governments": governments, "decisions": decisions, "catalogues": catalogues,
            "is_admin": {gov.id: user.is_administrator(gov.id) for gov in governments}}


def _catalogue(catalogue_id: int) -> Catalogue:
    catalogue = db.session.get(Catalogue, catalogue_id) or abort(404)
    g.private_page = True
    return catalogue


@bp.route("/admin/governments/<int:government_id>/catalogues", methods=["GET", "POST"])
@login_required
def manage_catalogues(government_id: int):
    government = db.session.get(Government, government_id) or abort(404)
    require(can_manage_catalogue(current_user, government))
    g.private_page = True
    form = CatalogueForm()
    if request.method == "GET":
        form.year.data = local_today().year
    if form.validate_on_submit():
        try:
            catalogue = operations.create_catalogue(government, form.year.data, form.title.data,
                                                    form.introduction.data)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The catalogue has been created."), "success")
            return redirect(url_for("catalogue.manage_catalogue", catalogue_id=catalogue.id))
    catalogues = db.session.scalars(sa.select(Catalogue).where(
        Catalogue.government_id == government.id).order_by(Catalogue.year.desc())).all()
    return render_template("catalogue/admin_catalogues.html", government=government,
                           catalogues=catalogues, form=form)


@bp.route("/admin/catalogues/<int:catalogue_id>")
@login_required
def manage_catalogue(catalogue_id: int):
    catalogue = _catalogue(catalogue_id)
    government = catalogue.government
    units = [u for u in government.units if can_add_decision(current_user, u)]
    require(bool(units) or can_manage_catalogue(current_user, catalogue))
    decisions = db.session.scalars(sa.select(Decision).where(
        Decision.catalogue_id == catalogue.id).order_by(Decision.position)).all()
    return render_template("catalogue/admin_catalogue.html", catalogue=catalogue,
                           decisions=decisions, can_add=bool(units),
                           can_publish=can_manage_catalogue(current_user, catalogue)
                           and not catalogue.is_published,
                           publish_form=PublishCatalogueForm())


@bp.route("/admin/catalogues/<int:catalogue_id>/publish", methods=["POST"])
@login_required
def publish_catalogue(catalogue_id: int):
    catalogue = _catalogue(catalogue_id)
    require(can_manage_catalogue(current_user, catalogue))
    form = PublishCatalogueForm()
    if form.validate_on_submit():
        try:
            operations.publish_catalogue(catalogue, form.published_on.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The catalogue has been published."), "success")
    return redirect(url_for("catalogue.manage_catalogue", catalogue_id=catalogue.id))


def _editable_units(government: Government) -> list[Unit]:
    return [u for u in government.units
            if current_user.has_role(set(EDITING_ROLES), unit=u)]


def _decision_values(form: DecisionForm) -> dict:
    return {name: getattr(form, name).data for name in operations.DECISION_FIELDS}


@bp.route("/admin/catalogues/<int:catalogue_id>/decisions/new", methods=["GET", "POST"])
@login_required
def create_decision(catalogue_id: int):
    catalogue = _catalogue(catalogue_id)
    units = _editable_units(catalogue.government)
    require(bool(units))
    form = DecisionForm()
    form.unit_id.choices = [(u.id, u.name) for u in units]
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        require(unit is not None and can_add_decision(current_user, unit))
        try:
            decision = operations.add_decision(catalogue, _decision_values(form),
                                               form.reason.data)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The decision has been added to the catalogue."), "success")
            return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))
    return render_template("catalogue/admin_decision_form.html", catalogue=catalogue,
                           form=form, decision=None)


def _managed_decision(decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id) or abort(404)
    require(can_see_internal(current_user, decision.unit))
    g.private_page = True
    return decision


@bp.route("/admin/decisions/<int:decision_id>")
@login_required
def manage_decision(decision_id: int):
    decision = _managed_decision(decision_id)
    documents = db.session.scalars(sa.select(Document).where(
        Document.decision_id == decision.id).order_by(Document.id)).all()
    consultations = db.session.scalars(sa.select(Consultation).where(
        Consultation.decision_id == decision.id).order_by(Consultation.id)).all()
    stage_form = StageForm()
    stage_form.stage.choices = [(s.value, s.label) for s in Stage
                                if s.order > decision.stage.order]
    from participation.consultations.permissions import can_open_consultation
    from participation.dossier.permissions import can_edit_documents

    return render_template(
        "catalogue/admin_decision.html", decision=decision, documents=documents,
        consultations=consultations, stage_form=stage_form, withdraw_form=WithdrawForm(),
        can_edit=can_edit_decision(current_user, decision),
        can_stage=can_change_stage(current_user, decision)
        and decision.state == EntryState.LISTED,
        can_documents=can_edit_documents(current_user, decision),
        can_consult=can_open_consultation(current_user, decision),
        stage_dates=operations.stage_dates(decision), document_kinds=list(DocumentKind),
    )


@bp.route("/admin/decisions/<int:decision_id>/edit", methods=["GET", "POST"])
@login_required
def edit_decision(decision_id: int):
    decision = _managed_decision(decision_id)
    require(can_edit_decision(current_user, decision))
    units = _editable_units(decision.catalogue.government)
    form = DecisionForm(obj=decision)
    form.unit_id.choices = [(u.id, u.name) for u in units]
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        require(unit is not None and can_add_decision(current_user, unit))
        try:
            operations.adjust_decision(decision, _decision_values(form), form.reason.data)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("The decision has been saved."), "success")
            return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))
    return render_template("catalogue/admin_decision_form.html", catalogue=decision.catalogue,
                           form=form, decision=decision)


@bp.route("/admin/decisions/<int:decision_id>/withdraw", methods=["POST"])
@login_required
def withdraw_decision(decision_id: int):
    decision = _managed_decision(decision_id)
    require(can_edit_decision(current_user, decision))
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            operations.withdraw_decision(decision, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The decision has been withdrawn."), "success")
    else:
        flash(_("Give the reason for withdrawing."), "error")
    return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))


@bp.route("/admin/decisions/<int:decision_id>/stage", methods=["POST"])
@login_required
def change_stage(decision_id: int):
    decision = _managed_decision(decision_id)
    require(can_change_stage(current_user, decision))
    form = StageForm()
    if form.validate_on_submit():
        try:
            operations.move_to_stage(decision, Stage(form.stage.data),
                                     form.occurred_on.data or local_today(), form.note.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The stage has been changed."), "success")
    else:
        flash(_("Choose a valid stage and date."), "error")
    return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))

