"""Public catalogue and dossier pages, and the officials' catalogue screens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.accounts.models import Government, Unit
from participation.accounts.permissions import can_see_internal
from participation.catalogue import operations, queries
from participation.catalogue.forms import (
    CatalogueForm,
    DecisionForm,
    DocumentIssuedForm,
    PublishCatalogueForm,
    StageForm,
    WithdrawForm,
)
from participation.catalogue.models import (
    CHANGE_KIND_LABELS,
    DECISION_FIELD_LABELS,
    Catalogue,
    Decision,
    EntryState,
    Stage,
)
from participation.catalogue.permissions import (
    can_add_decision,
    can_change_stage,
    can_edit_decision,
    can_manage_catalogue,
    can_manage_decision,
    can_open_catalogue_page,
    can_view_decision,
    units_for_new_decisions,
)
from participation.consultations.models import Consultation
from participation.consultations.permissions import can_open_consultation
from participation.core import signals
from participation.core.args import enum_arg, id_arg, int_arg, text_arg
from participation.core.database import utcnow
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404, require
from participation.core.timeutil import local_today
from participation.core.transaction import perform
from participation.core.web_helpers import paginate
from participation.dossier.models import Document, DocumentKind
from participation.dossier.permissions import can_edit_documents
from participation.dossier.queries import documents_by_stage, withheld_documents
from participation.extensions import db

bp = Blueprint("catalogue", __name__)


@bp.route("/")
@public_page
def show_home():
    government = queries.current_government()
    open_consultations = db.session.scalars(
        sa.select(Consultation).join(Decision, Consultation.decision_id == Decision.id)
        .where(Consultation.government_id == government.id, Decision.is_public,
               Consultation.is_open_at(utcnow()))
        .order_by(Consultation.closes_at).limit(10)
    ).all()
    years = queries.published_years(government)
    return render_template("catalogue/home.html", government=government,
                           open_consultations=open_consultations, years=years)


def _year(years: list[int]) -> int:
    return int_arg("year", None, minimum=1900, maximum=2999) or (
        years[0] if years else local_today().year)


@bp.route("/catalogue")
@public_page
def show_catalogue():
    government = queries.current_government()
    years = queries.published_years(government)
    year = _year(years)
    catalogue = queries.published_catalogue(government, year)
    unit_id = id_arg("unit")
    stage = enum_arg("stage", Stage)
    category = text_arg("category", 100)
    page = material = None
    categories: list[str] = []
    if catalogue is not None:
        page = paginate(queries.public_decisions_query(catalogue, unit_id=unit_id, stage=stage,
                                                       category=category), per_page=50)
        material = queries.stage_material([d.id for d in page.items])
        categories = queries.public_categories(catalogue)
    return render_template(
        "catalogue/catalogue.html", government=government, catalogue=catalogue, years=years,
        year=year, units=government.units, unit_id=unit_id, stage=stage, stages=list(Stage),
        category=category, categories=categories, page=page, material=material,
    )


@bp.route("/catalogue/history")
@public_page
def show_history():
    government = queries.current_government()
    years = queries.published_years(government)
    catalogue = queries.published_catalogue(government, _year(years)) or abort(404)
    return render_template("catalogue/history.html", government=government,
                           catalogue=catalogue, changes=queries.public_changes(catalogue),
                           kind_labels=CHANGE_KIND_LABELS, field_labels=DECISION_FIELD_LABELS)


@bp.route("/decisions/<int:decision_id>")
@public_page
def show_decision(decision_id: int):
    # Confidential or unpublished entries do not exist for those who may not see them.
    decision = load_or_404(Decision, decision_id, can_view_decision, hide=True,
                           private=False)
    internal = can_see_internal(current_user, decision.unit)
    if not decision.is_public:
        g.private_page = True
    by_stage = documents_by_stage(decision, internal=internal)
    # Published but withheld: the public learns that the document exists and on what legal
    # ground it is withheld (not its title).
    withheld = [] if internal or not decision.is_public else withheld_documents(decision)
    consultations = db.session.scalars(
        sa.select(Consultation).where(Consultation.decision_id == decision.id)
        .order_by(Consultation.opens_at)
    ).all()
    stage_links: dict[str, list] = {}
    for links in signals.collect(signals.stage_links_requested, decision):
        for link in links:
            stage_links.setdefault(link.stage, []).append(link)
    return render_template(
        "catalogue/dossier.html", decision=decision, stages=list(Stage), by_stage=by_stage,
        stage_links=stage_links,
        consultations=consultations, stage_dates=operations.stage_dates(decision),
        changes=queries.decision_changes(decision), kind_labels=CHANGE_KIND_LABELS,
        internal=internal, withheld=withheld,
    )


# -- officials ---------------------------------------------------------------------------


@bp.route("/admin/governments/<int:government_id>/catalogues", methods=["GET", "POST"])
@login_required
def manage_catalogues(government_id: int):
    government = load_or_404(Government, government_id, can_manage_catalogue)
    form = CatalogueForm()
    if request.method == "GET":
        form.year.data = local_today().year
    if form.validate_on_submit():
        done = perform(operations.create_catalogue, government, form.year.data,
                       form.title.data, form.introduction.data, form=form,
                       success=_("The catalogue has been created."))
        if done:
            return redirect(url_for("catalogue.manage_catalogue", catalogue_id=done.value.id))
    return render_template("catalogue/admin_catalogues.html", government=government,
                           catalogues=queries.government_catalogues(government), form=form)


@bp.route("/admin/catalogues/<int:catalogue_id>")
@login_required
def manage_catalogue(catalogue_id: int):
    catalogue = load_or_404(Catalogue, catalogue_id, can_open_catalogue_page)
    return render_template(
        "catalogue/admin_catalogue.html", catalogue=catalogue,
        decisions=queries.catalogue_entries(current_user, catalogue),
        can_add=bool(units_for_new_decisions(current_user, catalogue.government)),
        can_publish=can_manage_catalogue(current_user, catalogue)
        and not catalogue.is_published,
        publish_form=PublishCatalogueForm())


@bp.route("/admin/catalogues/<int:catalogue_id>/publish", methods=["POST"])
@login_required
def publish_catalogue(catalogue_id: int):
    catalogue = load_or_404(Catalogue, catalogue_id, can_manage_catalogue)
    form = PublishCatalogueForm()
    if form.validate_on_submit():
        perform(operations.publish_catalogue, catalogue, form.published_on.data,
                success=_("The catalogue has been published."))
    return redirect(url_for("catalogue.manage_catalogue", catalogue_id=catalogue.id))


def _decision_values(form: DecisionForm) -> dict:
    return {name: getattr(form, name).data for name in operations.DECISION_FIELDS}


def _chosen_unit(form: DecisionForm) -> None:
    """The unit chosen in the form must be one the official may add decisions for."""
    unit = db.session.get(Unit, form.unit_id.data)
    require(unit is not None and can_add_decision(current_user, unit))


@bp.route("/admin/catalogues/<int:catalogue_id>/decisions/new", methods=["GET", "POST"])
@login_required
def create_decision(catalogue_id: int):
    catalogue = load_or_404(Catalogue, catalogue_id)
    units = units_for_new_decisions(current_user, catalogue.government)
    require(bool(units))
    form = DecisionForm()
    form.unit_id.choices = [(u.id, u.name) for u in units]
    if form.validate_on_submit():
        _chosen_unit(form)
        done = perform(operations.add_decision, catalogue, _decision_values(form),
                       form.reason.data, actor=current_user, form=form,
                       success=_("The decision has been added to the catalogue."))
        if done:
            return redirect(url_for("catalogue.manage_decision", decision_id=done.value.id))
    return render_template("catalogue/admin_decision_form.html", catalogue=catalogue,
                           form=form, decision=None)


@bp.route("/admin/decisions/<int:decision_id>")
@login_required
def manage_decision(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_manage_decision)
    return _manage_decision_page(decision)


def _manage_decision_page(decision: Decision, issued_form: DocumentIssuedForm | None = None):
    if issued_form is None:
        issued_form = DocumentIssuedForm(document_issued_on=decision.document_issued_on)
    documents = db.session.scalars(sa.select(Document).where(
        Document.decision_id == decision.id).order_by(Document.id)).all()
    consultations = db.session.scalars(sa.select(Consultation).where(
        Consultation.decision_id == decision.id).order_by(Consultation.id)).all()
    stage_form = StageForm()
    stage_form.stage.choices = [(s.value, s.label) for s in Stage
                                if s.order > decision.stage.order]
    return render_template(
        "catalogue/admin_decision.html", decision=decision, documents=documents,
        consultations=consultations, stage_form=stage_form, withdraw_form=WithdrawForm(),
        can_edit=can_edit_decision(current_user, decision),
        can_stage=can_change_stage(current_user, decision)
        and decision.state == EntryState.LISTED,
        can_documents=can_edit_documents(current_user, decision),
        can_consult=can_open_consultation(current_user, decision),
        stage_dates=operations.stage_dates(decision), document_kinds=list(DocumentKind),
        issued_form=issued_form, decided=decision.stage.order >= Stage.DECIDED.order,
    )


@bp.route("/admin/decisions/<int:decision_id>/document-issued", methods=["POST"])
@login_required
def record_document_issued(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_change_stage)
    form = DocumentIssuedForm()
    if form.validate_on_submit() and perform(
            operations.record_document_issued, decision, form.document_issued_on.data,
            actor=current_user, form=form,
            success=_("The issue date has been recorded; the feedback report is due on "
                      "the date shown.")):
        return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))
    return _manage_decision_page(decision, form), 400


@bp.route("/admin/decisions/<int:decision_id>/edit", methods=["GET", "POST"])
@login_required
def edit_decision(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_edit_decision)
    units = units_for_new_decisions(current_user, decision.catalogue.government)
    form = DecisionForm(obj=decision)
    form.unit_id.choices = [(u.id, u.name) for u in units]
    if form.validate_on_submit():
        _chosen_unit(form)
        done = perform(operations.adjust_decision, decision, _decision_values(form),
                       form.reason.data, actor=current_user, form=form,
                       success=_("The decision has been saved."))
        if done:
            return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))
    return render_template("catalogue/admin_decision_form.html", catalogue=decision.catalogue,
                           form=form, decision=decision)


@bp.route("/admin/decisions/<int:decision_id>/withdraw", methods=["POST"])
@login_required
def withdraw_decision(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_edit_decision)
    form = WithdrawForm()
    if form.validate_on_submit():
        perform(operations.withdraw_decision, decision, form.reason.data, actor=current_user,
                success=_("The decision has been withdrawn."))
    else:
        flash(_("Give the reason for withdrawing."), "error")
    return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))


@bp.route("/admin/decisions/<int:decision_id>/stage", methods=["POST"])
@login_required
def change_stage(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_change_stage)
    form = StageForm()
    if form.validate_on_submit():
        perform(operations.move_to_stage, decision, Stage(form.stage.data),
                form.occurred_on.data or local_today(), form.note.data, actor=current_user,
                success=_("The stage has been changed."))
    else:
        flash(_("Choose a valid stage and date."), "error")
    return redirect(url_for("catalogue.manage_decision", decision_id=decision.id))
