"""The classification workspace: filters, bulk classification and dispositions, topics,
suggestions, one opinion's classification, the spreadsheet round trip, reason templates.

Routes are registered on the opinions blueprint (``opinions.*`` endpoints).
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from participation.accounts.models import Government
from participation.consultations.models import Consultation
from participation.core.permissions import load_or_404, require
from participation.core.transaction import perform
from participation.core.web import zh_attributes
from participation.core.web_helpers import cursor_arg, keyset_paginate
from participation.extensions import db
from participation.opinions import classification as ops
from participation.opinions import classification_sheets as sheets
from participation.opinions import suggestions
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationState,
    Opinion,
    Stance,
)
from participation.opinions.permissions import (
    can_classify_opinion,
    can_classify_opinions,
    can_dispose_opinions,
    can_manage_reason_templates,
)
from participation.opinions.queries import article_choices
from participation.opinions.views import bp
from participation.opinions.workspace import (
    ANY,
    NONE,
    Selection,
    WorkspaceFilters,
    count_matching,
    handling_consultation,
    workspace_query,
)
from participation.opinions.workspace_forms import (
    GROUP_CHOICES,
    ApplyClassificationForm,
    BulkActionForm,
    ClassifyForm,
    ReasonTemplateForm,
    TopicForm,
    WorkspaceFilterForm,
)
from participation.opinions.workspace_models import ReasonTemplate

PER_PAGE = 50
COUNT_CAP = 10_000  # the page counts matching opinions up to this, then says "more than"


def _classifiable(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, can_classify_opinions)


def _filter_form(consultation: Consultation, source: MultiDict, topics) -> WorkspaceFilterForm:
    form = WorkspaceFilterForm(formdata=source)
    form.node.choices = [("", _("Any article"), {})] + [
        (str(node.id), node.display_label or node.text[:20], zh_attributes())
        for node in article_choices(consultation)]
    form.topic.choices = [("", _("Any topic")), (NONE, _("No topic yet"))] + [
        (str(t.id), t.name) for t in topics]
    group_choices = list(GROUP_CHOICES)
    raw_group = source.get("group", "")
    if raw_group.isascii() and raw_group.isdigit() and 0 < int(raw_group) < 2**31:
        group_choices.append((raw_group, _("Group %(id)s", id=raw_group)))
    form.group.choices = group_choices
    form.validate()
    return form


def _filters(form: WorkspaceFilterForm) -> WorkspaceFilters:
    def value(name: str) -> str:
        field = getattr(form, name)
        return "" if field.errors or field.data is None else str(field.data).strip()

    def number_or_none(text: str):
        return NONE if text == NONE else (int(text) if text.isdigit() else None)

    group = value("group")
    return WorkspaceFilters(
        node_id=int(value("node")) if value("node").isdigit() else None,
        channel=Channel(value("channel")) if value("channel") else None,
        topic=number_or_none(value("topic")) if value("topic") else None,
        stance=(NONE if value("stance") == NONE else Stance(value("stance")))
        if value("stance") else None,
        disposition=(NONE if value("disposition") == NONE
                     else Disposition(value("disposition"))) if value("disposition") else None,
        group=(group if group in (NONE, ANY) else int(group)) if group else None,
        moderation_state=ModerationState(value("moderation")) if value("moderation") else None,
        late={"yes": True, "no": False}.get(value("late")),
        text=value("q"),
    )


def _filter_args(form: WorkspaceFilterForm) -> dict[str, str]:
    """The filters that are set, as query arguments (for links and hidden inputs)."""
    return {name: str(getattr(form, name).data) for name in WorkspaceFilterForm.FIELDS
            if getattr(form, name).data and not getattr(form, name).errors}


def _bulk_form(consultation: Consultation, topics, formdata=None) -> BulkActionForm:
    form = BulkActionForm(formdata=formdata) if formdata is not None else BulkActionForm()
    form.topic_id.choices = [("", _("No topic"))] + [(str(t.id), t.name) for t in topics]
    form.template.choices = [("", _("No template"))] + [
        (str(t.id), t.text[:60]) for t in ops.reason_templates(consultation.government_id)]
    return form


def _render(consultation: Consultation, filter_form, bulk_form, status: int = 200,
            confirm: int | None = None, selection_ids=(), topics=None):
    topics = ops.topics_of(consultation) if topics is None else topics
    filters = _filters(filter_form)
    total = count_matching(consultation, filters, cap=COUNT_CAP) if not filters.is_empty \
        else consultation.opinion_count
    page = keyset_paginate(workspace_query(consultation, filters), Opinion.id,
                           cursor=cursor_arg(), per_page=PER_PAGE, total=total)
    model = suggestions.latest_model(consultation.government_id)
    return render_template(
        "opinions/workspace.html", consultation=consultation, page=page, form=filter_form,
        bulk=bulk_form, filter_args=_filter_args(filter_form), topics=topics,
        filtered=not filters.is_empty, model=model,
        more_than=COUNT_CAP if not filters.is_empty and total > COUNT_CAP else None,
        training=suggestions.training_pending(consultation.government_id),
        tallies=ops.suggestion_tallies(consultation), confirm=confirm,
        selection_ids=set(selection_ids),
        classify_url=url_for("opinions.classify_opinion", opinion_id=0),
        channel_labels={c: c.label for c in Channel}, stance_labels={s: s.label for s in Stance},
        disposition_labels={d: d.label for d in Disposition},
        may_dispose=can_dispose_opinions(current_user, consultation)), status


@bp.route("/admin/consultations/<int:consultation_id>/workspace")
@login_required
def show_workspace(consultation_id: int):
    consultation = _classifiable(consultation_id)
    topics = ops.topics_of(consultation)
    return _render(consultation, _filter_form(consultation, request.args, topics),
                   _bulk_form(consultation, topics), topics=topics)


def _reason(form, government_id: int) -> str:
    """The reason typed, or the chosen template's text when none was typed."""
    reason = (form.reason.data or "").strip()
    if not reason and (form.template.data or "").isdigit():
        template = db.session.get(ReasonTemplate, int(form.template.data))
        if template is not None and template.government_id == government_id:
            reason = template.text
    return reason


def _run_bulk(selection: Selection, form: BulkActionForm, action: str):
    consultation = selection.consultation
    if action == "topic":
        topic_id = form.topic_id.data
        topic = ops.find_topic(consultation, int(topic_id)) if topic_id and \
            str(topic_id).isdigit() else None
        return ops.set_topic(selection, topic, actor=current_user)
    if action == "stance":
        value = form.stance_value.data
        return ops.set_stance(selection, Stance(value) if value else None, actor=current_user)
    if action == "disposition":
        return ops.set_disposition(selection, form.disposition_value.data or None,
                                   _reason(form, consultation.government_id),
                                   actor=current_user)
    return ops.accept_suggestions(selection, actor=current_user)


@bp.route("/admin/consultations/<int:consultation_id>/workspace", methods=["POST"])
@login_required
def apply_bulk_action(consultation_id: int):
    consultation = _classifiable(consultation_id)
    topics = ops.topics_of(consultation)
    filter_form = _filter_form(consultation, request.form, topics)
    form = _bulk_form(consultation, topics, request.form)
    one = request.form.get("accept_one", "")
    ids = tuple(sorted({int(v) for v in request.form.getlist("ids")
                        if v.isascii() and v.isdigit() and 0 < int(v) < 2**31}))
    if not form.validate():
        return _render(consultation, filter_form, form, 400, selection_ids=ids)
    action = form.action.data
    if one.isascii() and one.isdigit() and 0 < int(one) < 2**31:
        action, ids, form.scope.data = "accept", (int(one),), "selected"
    if action == "disposition":
        require(can_dispose_opinions(current_user, consultation))
    filters = _filters(filter_form)
    if form.scope.data == "all":
        selection = Selection(consultation, filters)
        matching = selection.count()
        if form.confirm_count.data != str(matching):
            # Ask first, showing how many opinions the action will change.
            form.confirm_count.data = str(matching)
            return _render(consultation, filter_form, form, 200, confirm=matching)
    else:
        selection = Selection(consultation, filters, ids=ids)
    done = perform(_run_bulk, selection, form, action, form=form, field="reason")
    if not done:
        form.confirm_count.data = ""
        return _render(consultation, filter_form, form, 400, selection_ids=ids)
    flash(ngettext("%(num)d opinion updated.", "%(num)d opinions updated.", done.value),
          "success")
    return redirect(url_for("opinions.show_workspace", consultation_id=consultation.id,
                            **_filter_args(filter_form)))


@bp.route("/admin/consultations/<int:consultation_id>/suggestions/train", methods=["POST"])
@login_required
def train_suggestions(consultation_id: int):
    consultation = _classifiable(consultation_id)
    done = perform(suggestions.request_training, consultation, current_user)
    if done:
        flash(_("The suggestions are being retrained in the background."), "success")
        return redirect(url_for("accounts.show_task", task_id=done.value.id))
    return redirect(url_for("opinions.show_workspace", consultation_id=consultation.id))


@bp.route("/admin/consultations/<int:consultation_id>/topics", methods=["GET", "POST"])
@login_required
def manage_topics(consultation_id: int):
    consultation = _classifiable(consultation_id)
    form = TopicForm()
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "add")
        raw = request.form.get("topic", "")
        topic = None
        if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31:
            from participation.opinions.models import Topic

            topic = db.session.get(Topic, int(raw))
            if topic is None or topic.consultation_id != consultation.id:
                topic = None
        done = None
        if action == "defaults":
            done = perform(ops.add_default_topics, consultation, current_user)
        elif action in ("up", "down", "remove") and topic is not None:
            if action == "remove":
                done = perform(ops.remove_topic, topic, current_user)
            else:
                done = perform(ops.move_topic, topic, -1 if action == "up" else 1,
                               current_user)
        elif action == "rename" and topic is not None:
            done = perform(ops.rename_topic, topic, request.form.get("name", ""),
                           current_user)
        elif action == "add" and form.validate_on_submit():
            done = perform(ops.add_topic, consultation, form.name.data, current_user,
                           form=form)
        elif action == "add":
            status = 400
        if done:
            flash(_("The topics have been saved."), "success")
            return redirect(url_for("opinions.manage_topics", consultation_id=consultation.id))
        if done is not None or status == 400:
            status = 400
    counts = dict(db.session.execute(
        db.select(Opinion.topic_id, db.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation.id, Opinion.topic_id.is_not(None))
        .group_by(Opinion.topic_id)).tuples().all())
    return render_template("opinions/topics.html", consultation=consultation, form=form,
                           topics=ops.topics_of(consultation), counts=counts), status


def _classify_form(opinion: Opinion, formdata=None) -> ClassifyForm:
    consultation = handling_consultation(opinion)
    form = ClassifyForm(formdata=formdata) if formdata is not None else ClassifyForm()
    form.topic_id.choices = [("", _("No topic"))] + [
        (str(t.id), t.name) for t in ops.topics_of(consultation)]
    form.template.choices = [("", _("No template"))] + [
        (str(t.id), t.text[:60]) for t in ops.reason_templates(consultation.government_id)]
    form.change_node.choices = [("", _("No change of the draft"), {})] + [
        (str(n.id), n.display_label or n.text[:20], zh_attributes())
        for n in article_choices(consultation)]
    if formdata is None:
        form.topic_id.data = str(opinion.topic_id or opinion.suggested_topic_id or "")
        form.stance.data = (opinion.stance or opinion.suggested_stance or "") and \
            (opinion.stance or opinion.suggested_stance).value
        form.disposition.data = opinion.disposition.value if opinion.disposition else ""
        form.reason.data = opinion.disposition_reason or ""
        form.change_node.data = str(opinion.change_node_id or "")
        form.change_text.data = opinion.change_text or ""
    return form


def _classify(opinion: Opinion, form: ClassifyForm) -> None:
    consultation = handling_consultation(opinion)
    selection = Selection(consultation, ids=(opinion.id,))
    topic_id = form.topic_id.data
    topic = ops.find_topic(consultation, int(topic_id)) \
        if topic_id and str(topic_id).isdigit() else None
    if topic != opinion.topic or opinion.suggested_topic_id is not None:
        ops.set_topic(selection, topic, actor=current_user)
    stance = Stance(form.stance.data) if form.stance.data else None
    if stance != opinion.stance or opinion.suggested_stance is not None:
        ops.set_stance(selection, stance, actor=current_user)
    reason = _reason(form, consultation.government_id)
    node = form.change_node.data
    change = ops.check_change(consultation, int(node) if node and node.isdigit() else None,
                              form.change_text.data)
    if form.disposition.data:
        if (form.disposition.data, reason, change) != (
                opinion.disposition and opinion.disposition.value,
                opinion.disposition_reason or "",
                ops.DraftChange(opinion.change_node_id, opinion.change_text)
                if opinion.change_node_id else None):
            require(can_dispose_opinions(current_user, consultation))
            ops.set_disposition(opinion, form.disposition.data, reason, current_user,
                                change=change)


@bp.route("/admin/opinions/<int:opinion_id>/classify", methods=["GET", "POST"])
@login_required
def classify_opinion(opinion_id: int):
    opinion = load_or_404(Opinion, opinion_id, can_classify_opinion)
    form = _classify_form(opinion, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            done = perform(_classify, opinion, form, form=form, field="reason")
            if done:
                flash(_("The classification has been saved."), "success")
                return redirect(url_for("opinions.classify_opinion", opinion_id=opinion_id))
        status = 400
    consultation = handling_consultation(opinion)
    return render_template("opinions/classify.html", opinion=opinion, form=form,
                           consultation=consultation,
                           may_dispose=can_dispose_opinions(current_user,
                                                            consultation)), status


@bp.route("/admin/consultations/<int:consultation_id>/opinions/export")
@login_required
def export_opinions(consultation_id: int):
    consultation = _classifiable(consultation_id)
    file_format = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    name = sheets.export_filename(consultation, file_format)
    headers = {"Content-Disposition": f"attachment; filename={name}",
               "Cache-Control": "no-store"}
    if file_format == "csv":
        return Response(stream_with_context(sheets.csv_chunks(consultation)),
                        mimetype="text/csv", headers=headers)
    handle = sheets.xlsx_file(consultation)

    def chunks():
        with handle:
            while block := handle.read(64 * 1024):
                yield block

    return Response(chunks(), headers=headers, mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def _apply_or_refuse(consultation: Consultation, filename: str, data: bytes):
    result = sheets.apply_classification(consultation, filename, data, actor=current_user)
    if not result.ok:
        raise ops.ClassificationError("classification_rejected", result=result)
    return result


@bp.route("/admin/consultations/<int:consultation_id>/classification/import",
          methods=["GET", "POST"])
@login_required
def apply_classification(consultation_id: int):
    consultation = _classifiable(consultation_id)
    form = ApplyClassificationForm()
    result = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        done = perform(_apply_or_refuse, consultation, upload.filename or "", upload.read(),
                       form=form)
        if done:
            flash(ngettext("The file has been applied: %(num)d opinion changed.",
                           "The file has been applied: %(num)d opinions changed.",
                           done.value.updated), "success")
            return redirect(url_for("opinions.show_workspace", consultation_id=consultation.id))
        result = done.error.params.get("result")
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template("opinions/apply_classification.html", consultation=consultation,
                           form=form, result=result), status


@bp.route("/admin/governments/<int:government_id>/reason-templates",
          methods=["GET", "POST"])
@login_required
def manage_reason_templates(government_id: int):
    government = load_or_404(Government, government_id, can_manage_reason_templates)
    form = ReasonTemplateForm()
    status = 200
    if request.method == "POST":
        remove = request.form.get("remove", "")
        if remove.isascii() and remove.isdigit() and 0 < int(remove) < 2**31:
            template = db.session.get(ReasonTemplate, int(remove))
            if template is not None and template.government_id == government.id:
                perform(ops.remove_reason_template, template, current_user,
                        success=_("The template has been removed."))
            return redirect(url_for("opinions.manage_reason_templates",
                                    government_id=government.id))
        if form.validate_on_submit():
            done = perform(ops.add_reason_template, government,
                           Disposition(form.disposition.data) if form.disposition.data
                           else None, form.text.data, current_user, form=form,
                           success=_("The template has been added."))
            if done:
                return redirect(url_for("opinions.manage_reason_templates",
                                        government_id=government.id))
        status = 400
    return render_template("opinions/reason_templates.html", government=government,
                           form=form, templates=ops.reason_templates(government.id)), status
