"""Pages of the feedback report: the public report (HTML, DOCX, annex), the interim
participation summary, and the officials' preparation and approval page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.consultations.models import Consultation, ConsultationStatus
from participation.consultations.permissions import can_view_consultation
from participation.core.args import int_arg
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404
from participation.core.transaction import perform
from participation.feedback import annex, docx_report, open_day_report, operations
from participation.feedback.data import report_data
from participation.feedback.forms import NarrativeForm, OpenDayNarrativeForm, PublishForm
from participation.feedback.models import FeedbackReport, ReportState
from participation.feedback.permissions import can_prepare_feedback, can_publish_feedback
from participation.open_days.models import LIKED_OPTIONS, OpenDay
from participation.open_days.permissions import can_organize_open_day, can_view_open_day
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationReason,
    Stance,
    SubmitterKind,
)

bp = Blueprint("feedback", __name__)


def _public(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, can_view_consultation, hide=True,
                       private=False)


def _published(subject) -> tuple[FeedbackReport, list[FeedbackReport]]:
    versions = operations.published_versions(subject)
    if not versions:
        abort(404)
    wanted = int_arg("version")
    report = next((v for v in versions if v.version == wanted), None) if wanted \
        else versions[0]
    if report is None:
        abort(404)
    return report, versions


@bp.route("/consultations/<int:consultation_id>/feedback-report")
@public_page
def show_report(consultation_id: int):
    consultation = _public(consultation_id)
    report, versions = _published(consultation)
    return render_template("feedback/report.html", consultation=consultation,
                           report=report, data=report.data, versions=versions,
                           preview=False)


@bp.route("/consultations/<int:consultation_id>/feedback-report.docx")
def download_docx(consultation_id: int):
    consultation = _public(consultation_id)
    report, _versions = _published(consultation)
    return Response(docx_report.render(consultation, report, report.data),
                    mimetype="application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document",
                    headers={"Content-Disposition": _attachment(
                        f"feedback-report-{consultation.id}-v{report.version}.docx")})


@bp.route("/consultations/<int:consultation_id>/feedback-report/annex.<fmt>")
def download_annex(consultation_id: int, fmt: str):
    consultation = _public(consultation_id)
    _published(consultation)
    if fmt == "csv":
        return Response(annex.csv_rows(consultation), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": _attachment(
                            f"feedback-annex-{consultation.id}.csv")})
    if fmt == "xlsx":
        return Response(annex.xlsx_file(consultation),
                        mimetype="application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet",
                        headers={"Content-Disposition": _attachment(
                            f"feedback-annex-{consultation.id}.xlsx")})
    abort(404)


def _attachment(filename: str) -> str:
    return f'attachment; filename="{filename}"'


@bp.route("/consultations/<int:consultation_id>/participation-summary")
@public_page
def show_summary(consultation_id: int):
    """The interim participation summary: counts only, public as soon as the
    consultation closes."""
    consultation = _public(consultation_id)
    if consultation.status != ConsultationStatus.CLOSED:
        abort(404)
    return render_template("feedback/summary.html", consultation=consultation,
                           data=report_data(consultation))


def _prepared(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, can_prepare_feedback)


@bp.route("/admin/consultations/<int:consultation_id>/feedback-report",
          methods=["GET", "POST"])
@login_required
def prepare_report(consultation_id: int):
    consultation = _prepared(consultation_id)
    data = report_data(consultation)
    draft = operations.draft_for(consultation, create=request.method == "POST", data=data)
    form = NarrativeForm(obj=draft)
    if form.validate_on_submit() and perform(
            operations.save_narrative, consultation, form.how_held.data,
            form.adoption_summary.data, form.correction_reason.data, actor=current_user,
            form=form, success=_("The report has been saved.")):
        return redirect(url_for("feedback.prepare_report", consultation_id=consultation.id))
    return render_template(
        "feedback/prepare.html", consultation=consultation, report=draft, data=data,
        form=form, publish_form=PublishForm(version=str(draft.version)),
        problems=[p.message for p in operations.publication_problems(consultation, data)],
        versions=operations.published_versions(consultation),
        can_publish=can_publish_feedback(current_user, consultation), preview=True,
        state=ReportState)


@bp.route("/admin/consultations/<int:consultation_id>/feedback-report/publish",
          methods=["POST"])
@login_required
def publish_report(consultation_id: int):
    consultation = load_or_404(Consultation, consultation_id, can_publish_feedback)
    form = PublishForm()
    if form.validate_on_submit() and perform(
            operations.publish, consultation, actor=current_user,
            version=int(form.version.data) if form.version.data else None,
            success=_("The feedback report has been published.")):
        return redirect(url_for("feedback.show_report", consultation_id=consultation.id))
    return redirect(url_for("feedback.prepare_report", consultation_id=consultation.id))


# -- the event feedback report of an open day -------------------------------------------


def _public_open_day(open_day_id: int) -> OpenDay:
    return load_or_404(OpenDay, open_day_id, can_view_open_day, hide=True, private=False)


@bp.route("/open-days/<int:open_day_id>/feedback-report")
@public_page
def show_open_day_report(open_day_id: int):
    open_day = _public_open_day(open_day_id)
    report, versions = _published(open_day)
    return render_template("feedback/open_day_report.html", open_day=open_day,
                           report=report, data=report.data, versions=versions,
                           liked_options=LIKED_OPTIONS)


@bp.route("/admin/open-days/<int:open_day_id>/feedback-report", methods=["GET", "POST"])
@login_required
def prepare_open_day_report(open_day_id: int):
    open_day = load_or_404(OpenDay, open_day_id, can_organize_open_day)
    data = open_day_report.report_data(open_day)
    draft = open_day_report.draft(open_day, create=request.method == "POST", data=data)
    form = OpenDayNarrativeForm(obj=draft)
    if form.validate_on_submit() and perform(
            open_day_report.save, open_day, form.how_held.data, form.adoption_summary.data,
            form.correction_reason.data, actor=current_user, form=form,
            success=_("The report has been saved.")):
        return redirect(url_for("feedback.prepare_open_day_report", open_day_id=open_day.id))
    return render_template(
        "feedback/open_day_prepare.html", open_day=open_day, report=draft, data=data,
        form=form, publish_form=PublishForm(version=str(draft.version)),
        problems=[p.message for p in open_day_report.publication_problems(open_day, data)],
        versions=operations.published_versions(open_day), liked_options=LIKED_OPTIONS,
        can_publish=True)  # organizing the open day is what publishing its report takes


@bp.route("/admin/open-days/<int:open_day_id>/feedback-report/publish", methods=["POST"])
@login_required
def publish_open_day_report(open_day_id: int):
    open_day = load_or_404(OpenDay, open_day_id, can_organize_open_day)
    form = PublishForm()
    if form.validate_on_submit() and perform(
            open_day_report.publish, open_day, actor=current_user,
            version=int(form.version.data) if form.version.data else None,
            success=_("The event feedback report has been published.")):
        return redirect(url_for("feedback.show_open_day_report", open_day_id=open_day.id))
    return redirect(url_for("feedback.prepare_open_day_report", open_day_id=open_day.id))


@bp.app_template_global()
def stance_label(code: str) -> str:
    return Stance(code).label


# -- what the report's templates show -------------------------------------------------

@bp.app_template_global()
def channel_label(code: str) -> str:
    return Channel(code).label


@bp.app_template_global()
def disposition_label(code: str) -> str:
    return Disposition(code).label


@bp.app_template_global()
def reason_label(code: str) -> str:
    return ModerationReason(code).label


@bp.app_template_filter()
def map_rows(rows: list[dict], kind: str) -> list[tuple[str, int]]:
    """A report section's rows as (label, number) for a chart."""
    labels = {
        "channel": lambda r: Channel(r["channel"]).label,
        "submitter_kind": lambda r: SubmitterKind(r["submitter_kind"]).label,
        "article": lambda r: r["label"] or _("Whole draft"),
        "topic": lambda r: r["topic"] or "—",
        "day": lambda r: r["day"],
        "disposition": lambda r: Disposition(r["code"]).label,
    }[kind]
    return [(labels(row), row["opinions"]) for row in rows]
