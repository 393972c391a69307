"""Submitting and reading opinions; receipts; officials' offline records and imports."""

from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from participation.catalogue.models import Decision
from participation.consultations.models import Consultation, DraftNode, DraftVersion
from participation.consultations.permissions import can_view_consultation
from participation.consultations.queries import (
    commentable_node,
    node_parts,
    shown_opinion_counts,
    version_numbers,
)
from participation.core.args import id_arg
from participation.core.database import utcnow
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404, require, require_official
from participation.core.tasks import Task, TaskState
from participation.core.timeutil import local_to_utc, utc_to_local
from participation.core.transaction import perform
from participation.core.uploads import serve_stored_file
from participation.core.web import accepts_large_uploads, zh_attributes
from participation.core.web_helpers import (
    cursor_arg,
    keyset_paginate,
    time_cursor_arg,
    time_keyset_paginate,
)
from participation.extensions import db, limiter
from participation.opinions import operations
from participation.opinions import queries as opinion_queries
from participation.opinions.forms import (
    ConfirmImportForm,
    ImportForm,
    OfflineOpinionForm,
    OpinionForm,
    ReceiptLookupForm,
    ReceivedOpinionFilterForm,
)
from participation.opinions.imports import running as import_running
from participation.opinions.imports import template_csv
from participation.opinions.imports.checking import (
    error_from_json,
    error_path,
    errors_csv,
    read_error_file,
)
from participation.opinions.imports.duplicates import Duplicates
from participation.opinions.models import Channel, ImportState, Opinion, OpinionImport
from participation.opinions.moderation import moderation_log, moderation_status
from participation.opinions.permissions import (
    can_moderate_opinions,
    can_record_opinions,
    can_submit_opinion,
    can_view_opinion_record,
    can_view_private_opinions,
)

bp = Blueprint("opinions", __name__)

#: The states of an import still being worked on (the page refreshes itself).
WORKING_STATES = (ImportState.QUEUED, ImportState.CHECKING, ImportState.STORING)


@functools.cache
def _visibility() -> tuple:
    """What the visibility rule reads (decision, catalogue), loaded with the consultation
    in one query: each page and opinion POST saves two round trips. Built at first use,
    not at import: a loader option configures every mapper, which start-up need not do."""
    return (joinedload(Consultation.decision).joinedload(Decision.catalogue),)


def _consultation(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, can_view_consultation, hide=True,
                       private=False, options=_visibility())


def _node_choices(version: DraftVersion) -> list[tuple[int, str]]:
    nodes = db.session.scalars(
        sa.select(DraftNode).where(DraftNode.version_id == version.id,
                                   DraftNode.kind.in_(DraftNode.COMMENTABLE_KINDS))
        .order_by(DraftNode.position)
    ).all()
    choices = [(0, _("The whole draft"))]
    for node in nodes:
        label = node.display_label or node.text[:20]
        if node.kind == "heading" and len(label) > 40:
            label = label[:40] + "…"
        choices.append((node.id, label))
    return choices


def _marked(choices: list[tuple[int, str]]) -> list[tuple[int, str, dict]]:
    """Article options marked as Chinese content (all but "the whole draft")."""
    return [(value, text, zh_attributes() if value else {}) for value, text in choices]


def _selected_node(consultation: Consultation) -> DraftNode | None:
    node_id = id_arg("node")
    if node_id is None:
        return None
    node = db.session.get(DraftNode, node_id)
    if node is None or node.version.draft_id != consultation.draft_id:
        abort(404)
    return node


@bp.route("/consultations/<int:consultation_id>/opinions")
@public_page
def list_opinions(consultation_id: int):
    consultation = _consultation(consultation_id)
    node = _selected_node(consultation)
    page = None
    if consultation.opinions_public:
        page = keyset_paginate(opinion_queries.public_opinions_query(consultation, node),
                               Opinion.id, cursor=cursor_arg(),
                               total=opinion_queries.public_opinion_total(consultation, node))
    node_count = shown_opinion_counts(node.version).get(node.id, 0) if node else 0
    return render_template("opinions/list.html", consultation=consultation, node=node,
                           log=moderation_log(consultation) if node is None else None,
                           node_parts=node_parts(node) if node else [], node_count=node_count,
                           version_numbers=version_numbers(consultation.draft_id), page=page)


def _opinion_limit() -> str:
    return current_app.config["OPINION_RATE_LIMIT"]


def _submit_from_form(consultation: Consultation, form: OpinionForm,
                      attachment: tuple[str, bytes] | None) -> str:
    """Submit the form's opinion; the receipt number (read before the commit expires the
    row, so the redirect needs no query)."""
    opinion, _created = operations.submit_online(
        consultation, body=form.body.data, node_id=form.node_id.data or None,
        consent_to_publish=form.consent_to_publish.data,
        display_name=None if form.anonymous.data else form.display_name.data,
        contact=form.contact.data, submitter_kind=form.submitter_kind.data,
        submission_key=form.submission_key.data or secrets.token_urlsafe(24),
        author=current_user if current_user.is_authenticated else None,
        attachment=attachment,
    )
    return opinion.receipt_number


@bp.route("/consultations/<int:consultation_id>/opinions/new", methods=["GET", "POST"])
@limiter.limit(_opinion_limit, methods=["POST"])
def submit_opinion(consultation_id: int):
    consultation = _consultation(consultation_id)
    require(can_submit_opinion(current_user, consultation))
    form = OpinionForm()
    node = _selected_node(consultation) if request.method == "GET" else None
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(24)
        form.node_id.data = node.id if node else 0
        if current_user.is_authenticated:
            form.display_name.data = current_user.display_name
    if form.validate_on_submit():
        upload = form.attachment.data
        attachment = (upload.filename or "", upload.read()) \
            if upload and getattr(upload, "filename", "") else None
        done = perform(_submit_from_form, consultation, form, attachment, form=form,
                       field="body")
        if done:
            return redirect(url_for("opinions.show_receipt", number=done.value, new=1))
    form.node_id.choices = _marked(_node_choices(consultation.draft_version))
    status = 400 if request.method == "POST" else 200
    if request.method == "POST":  # quote the chosen article again beside the errors
        node = commentable_node(consultation.draft_version_id, form.node_id.data)
    return render_template("opinions/form.html", consultation=consultation, form=form,
                           node=node, node_parts=node_parts(node) if node else [],
                           now=utcnow()), status


@bp.route("/receipts")
def lookup_receipt():
    form = ReceiptLookupForm(request.args)
    if request.args.get("number") is not None and form.validate():
        opinion = opinion_queries.find_by_receipt(form.number.data)
        if opinion is not None:
            return redirect(url_for("opinions.show_receipt", number=opinion.receipt_number))
        form.number.errors = [_("No opinion has this receipt number. Check the number and "
                                "try again.")]
    return render_template("opinions/lookup.html", form=form)


@bp.route("/receipts/<number>")
def show_receipt(number: str):
    opinion = opinion_queries.find_by_receipt(number)
    if opinion is None:
        abort(404)
    g.private_page = True
    numbers = version_numbers(opinion.consultation.draft_id) if opinion.consultation else {}
    return render_template("opinions/receipt.html", opinion=opinion, version_numbers=numbers,
                           moderation=moderation_status(opinion),
                           is_new=request.args.get("new") == "1")


@bp.route("/my/opinions")
@login_required
def list_my_opinions():
    g.private_page = True
    page = keyset_paginate(sa.select(Opinion).where(Opinion.author_id == current_user.id),
                           Opinion.id, cursor=cursor_arg())
    return render_template("opinions/mine.html", page=page)


# -- officials ---------------------------------------------------------------------------


def _recordable(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, can_record_opinions)


@bp.route("/admin/consultations/<int:consultation_id>/opinions")
@login_required
def list_received_opinions(consultation_id: int):
    consultation = load_or_404(Consultation, consultation_id, can_view_private_opinions)
    articles = opinion_queries.article_choices(consultation)
    form = ReceivedOpinionFilterForm(request.args)
    form.node.choices = [("", _("Any article"), {})] + [
        (str(node.id), node.display_label or node.text[:20], zh_attributes())
        for node in articles]
    form.validate()  # a value that is not offered (channel=bogus) is ignored: no filter
    valid = {name: not getattr(form, name).errors for name in ("channel", "node", "q", "order")}
    by_id = {str(node.id): node for node in articles}
    filters = opinion_queries.ReceivedOpinionFilters(
        channel=Channel(form.channel.data) if valid["channel"] and form.channel.data else None,
        node=by_id.get(form.node.data) if valid["node"] else None,
        text=(form.q.data or "").strip() if valid["q"] else "",
        oldest_first=valid["order"] and form.order.data == "oldest",
    )
    filtered = filters != opinion_queries.ReceivedOpinionFilters(oldest_first=filters.oldest_first)
    # Counters know the unfiltered total; a filtered list is counted (bounded by its filter).
    total = None if filtered else consultation.opinion_count
    # All channels: one scan of the (consultation, channel, received time) index per
    # channel, merged (the consultation's index by received time alone is gone: a million
    # imported rows in random time order cost 5 s in it). With a text filter too: each
    # channel is scanned until a page of matches (at a million, 1.1 s for a rare word;
    # 1.9 s with no split, as every match is then read and sorted; 0.3 s with the index).
    split = filters.channel is None
    page = time_keyset_paginate(
        opinion_queries.received_opinions_query(consultation, filters), Opinion.received_at,
        Opinion.id, cursor=time_cursor_arg(), oldest_first=filters.oldest_first,
        per_page=50, total=total, split=(Opinion.channel, list(Channel)) if split else None)
    if total is None:
        page.total = opinion_queries.count_received(consultation, filters)
    return render_template("opinions/admin_list.html", consultation=consultation, page=page,
                           form=form, filtered=filtered,
                           moderation=moderation_log(consultation))


@bp.route("/admin/consultations/<int:consultation_id>/opinions/new", methods=["GET", "POST"])
@login_required
def record_opinion(consultation_id: int):
    consultation = _recordable(consultation_id)
    form = OfflineOpinionForm()
    choices: list[tuple[int, str]] = []
    for version in consultation.draft.versions:
        for value, label in _node_choices(version):
            if value == 0 and choices:
                continue
            single = len(consultation.draft.versions) == 1
            choices.append((value, label if single or value == 0
                            else f"v{version.number} {label}"))
    form.node_id.choices = _marked(choices)
    if request.method == "GET":
        form.received_at.data = utc_to_local(utcnow()).replace(second=0, microsecond=0)
    if form.validate_on_submit():
        done = perform(operations.record_offline, consultation, {
            "channel": form.channel.data, "reference": form.reference.data,
            "received_at": local_to_utc(form.received_at.data),
            "node_id": form.node_id.data or None, "body": form.body.data,
            "display_name": form.display_name.data, "contact": form.contact.data,
            "consent_to_publish": form.consent_to_publish.data,
            "submitter_kind": form.submitter_kind.data,
        }, actor=current_user, form=form, field="body")
        if done:
            flash(_("The opinion has been recorded. Receipt number: %(number)s",
                    number=done.value.receipt_number), "success")
            return redirect(url_for("opinions.record_opinion",
                                    consultation_id=consultation.id))
    return render_template("opinions/record.html", consultation=consultation, form=form)


@bp.route("/admin/consultations/<int:consultation_id>/opinions/import",
          methods=["GET", "POST"])
@accepts_large_uploads
@login_required
def import_opinions(consultation_id: int):
    consultation = _recordable(consultation_id)
    form = ImportForm()
    if form.validate_on_submit():
        done = perform(import_running.start_import, consultation, form.file.data,
                       current_user, form=form, field="file")
        if done:
            return redirect(url_for("opinions.show_import", consultation_id=consultation.id,
                                    import_id=done.value.id))
    recent = db.session.scalars(
        sa.select(OpinionImport).where(OpinionImport.consultation_id == consultation.id)
        .order_by(OpinionImport.id.desc()).limit(10)).all()
    status = 400 if form.is_submitted() else 200
    return render_template("opinions/import.html", consultation=consultation, form=form,
                           imports=recent), status


def _import_record(consultation_id: int, import_id: int) -> tuple[Consultation, OpinionImport]:
    consultation = _recordable(consultation_id)
    record = db.session.get(OpinionImport, import_id)
    if record is None or record.consultation_id != consultation.id:
        abort(404)
    return consultation, record


@bp.route("/admin/consultations/<int:consultation_id>/opinions/imports/<int:import_id>")
@login_required
def show_import(consultation_id: int, import_id: int):
    consultation, record = _import_record(consultation_id, import_id)
    g.private_page = True
    task = db.session.get(Task, record.task_id) if record.task_id else None
    failed = task is not None and task.state == TaskState.FAILED
    working = record.state in WORKING_STATES and not failed
    duplicates = Duplicates.from_json(record.duplicates) \
        if record.state == ImportState.UNCONFIRMED else None
    return render_template(
        "opinions/import_status.html", consultation=consultation, record=record, task=task,
        failed=failed, working=working, duplicates=duplicates,
        errors=[error_from_json(data) for data in record.first_errors or []],
        confirm_form=ConfirmImportForm())


@bp.route("/admin/consultations/<int:consultation_id>/opinions/imports/<int:import_id>"
          "/confirm", methods=["POST"])
@login_required
def confirm_import(consultation_id: int, import_id: int):
    _consultation_, record = _import_record(consultation_id, import_id)
    form = ConfirmImportForm()
    if form.validate_on_submit():
        perform(import_running.confirm_import, record, current_user)
    else:
        flash(_("Tick the box to confirm that the file should be imported anyway."), "error")
    return redirect(url_for("opinions.show_import", consultation_id=consultation_id,
                            import_id=import_id))


@bp.route("/admin/consultations/<int:consultation_id>/opinions/imports/<int:import_id>"
          "/errors.csv")
@login_required
def download_import_errors(consultation_id: int, import_id: int):
    _consultation_, record = _import_record(consultation_id, import_id)
    if not record.error_file or not error_path(record.error_file).exists():
        abort(404)
    g.private_page = True
    chunks = errors_csv(read_error_file(record.error_file))
    return Response(stream_with_context(chunks), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=import-{record.id}-errors.csv"})


@bp.route("/admin/opinion-import-template.csv")
@login_required
def download_import_template():
    require_official()
    return Response(template_csv(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=opinions-template.csv"})


@bp.route("/admin/opinions/<int:opinion_id>")
@login_required
def show_received_opinion(opinion_id: int):
    opinion = load_or_404(Opinion, opinion_id, can_view_opinion_record)
    return render_template("opinions/admin_show.html", opinion=opinion,
                           can_moderate=can_moderate_opinions(current_user,
                                                              opinion.consultation))


@bp.route("/admin/opinions/<int:opinion_id>/attachment")
@login_required
def download_opinion_attachment(opinion_id: int):
    opinion = load_or_404(Opinion, opinion_id, can_view_opinion_record)
    if opinion.attachment_file is None:
        abort(404)
    return serve_stored_file(opinion.attachment_file, opinion.attachment_name or "attachment")


# The moderation pages, the classification workspace and the groups pages (concentrated
# opinions) are routes of this blueprint too, in their own modules.
from participation.opinions import moderation_views  # noqa: E402, F401
from participation.opinions import workspace_views as _workspace_views  # noqa: E402,F401
from participation.opinions.grouping import views as _grouping_views  # noqa: E402, F401
