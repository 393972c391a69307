"""The officials' groups pages (routes of the ``opinions`` blueprint): a consultation's
groups and concentrated opinions, one group with its members and candidates."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from participation.consultations.models import Consultation
from participation.core.forms_common import ConfirmForm
from participation.core.permissions import load_or_404
from participation.core.transaction import perform
from participation.core.web_helpers import cursor_arg, keyset_paginate, paginate
from participation.extensions import db
from participation.opinions.grouping import operations, queries
from participation.opinions.grouping.forms import (
    DispositionForm,
    GroupFilterForm,
    SplitForm,
    SummaryForm,
    ThresholdForm,
    chosen_ids,
)
from participation.opinions.models import Disposition, Opinion, OpinionGroup
from participation.opinions.permissions import can_group_opinions
from participation.opinions.views import bp


def _consultation(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, can_group_opinions)


def _group(group_id: int) -> OpinionGroup:
    return load_or_404(OpinionGroup, group_id,
                       lambda user, group: can_group_opinions(user, group.consultation))


def _groups_page(consultation: Consultation, threshold_form=None, status: int = 200):
    limit = operations.threshold(consultation)
    filters = GroupFilterForm(request.args)
    only = bool(filters.concentrated.data)
    page = paginate(queries.groups_query(consultation, minimum=limit if only else 0),
                    per_page=50)
    if threshold_form is None:
        threshold_form = ThresholdForm(threshold=limit)
    return render_template(
        "opinions/groups.html", consultation=consultation, page=page, threshold=limit,
        representatives=queries.representatives(page.items), filters=filters,
        threshold_form=threshold_form, confirm_form=ConfirmForm()), status


@bp.route("/admin/consultations/<int:consultation_id>/groups")
@login_required
def list_groups(consultation_id: int):
    return _groups_page(_consultation(consultation_id))


@bp.route("/admin/consultations/<int:consultation_id>/groups/merge", methods=["POST"])
@login_required
def merge_groups(consultation_id: int):
    consultation = _consultation(consultation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = [db.session.get(OpinionGroup, i) for i in chosen_ids("group_ids")]
    groups = [g for g in chosen if g is not None and g.consultation_id == consultation.id]
    groups.sort(key=lambda g: (-g.opinion_count, g.id))
    if len(groups) < 2:
        perform(_refuse_merge)  # shows why, beside nothing: a flash message
        return redirect(url_for("opinions.list_groups", consultation_id=consultation.id))
    outcome = perform(operations.merge_groups, groups[0], groups[1:], actor=current_user,
                      success=_("The groups were merged."))
    if outcome:
        return redirect(url_for("opinions.show_group", group_id=groups[0].id))
    return redirect(url_for("opinions.list_groups", consultation_id=consultation.id))


def _refuse_merge():
    raise operations.GroupingError("two_groups")


@bp.route("/admin/consultations/<int:consultation_id>/groups/threshold", methods=["POST"])
@login_required
def set_group_threshold(consultation_id: int):
    consultation = _consultation(consultation_id)
    form = ThresholdForm()
    if form.validate_on_submit() and perform(
            operations.set_threshold, consultation, form.threshold.data, actor=current_user,
            form=form, success=_("The size of a concentrated opinion was saved.")):
        return redirect(url_for("opinions.list_groups", consultation_id=consultation.id))
    return _groups_page(consultation, threshold_form=form, status=400)


@bp.route("/admin/consultations/<int:consultation_id>/groups/regroup", methods=["POST"])
@login_required
def regroup_opinions(consultation_id: int):
    consultation = _consultation(consultation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = perform(operations.request_regrouping, consultation, actor=current_user,
                      success=_("Regrouping was queued; this page shows its progress."))
    return redirect(url_for("accounts.show_task", task_id=outcome.value.id))


def _group_page(group: OpinionGroup, *, summary_form=None, disposition_form=None,
                status: int = 200):
    limit = operations.threshold(group.consultation)
    representative = queries.representatives([group]).get(group.id)
    page = keyset_paginate(queries.members_query(group), Opinion.id, cursor=cursor_arg(),
                           per_page=100, total=group.opinion_count)
    if summary_form is None:
        summary_form = SummaryForm(summary=group.summary)
    if disposition_form is None:
        disposition_form = DispositionForm(
            disposition=group.disposition.value if group.disposition else "",
            reason=group.disposition_reason or "")
    return render_template(
        "opinions/group.html", group=group, consultation=group.consultation, page=page,
        threshold=limit, concentrated=operations.is_concentrated(group, limit),
        representative=representative,
        candidates=queries.candidates(group, representative),
        summary_form=summary_form, disposition_form=disposition_form,
        split_form=SplitForm(), confirm_form=ConfirmForm()), status


@bp.route("/admin/groups/<int:group_id>")
@login_required
def show_group(group_id: int):
    return _group_page(_group(group_id))


@bp.route("/admin/groups/<int:group_id>/summary", methods=["POST"])
@login_required
def name_group(group_id: int):
    group = _group(group_id)
    form = SummaryForm()
    if form.validate_on_submit() and perform(
            operations.name_group, group, form.summary.data or "", actor=current_user,
            form=form, success=_("The summary was saved.")):
        return redirect(url_for("opinions.show_group", group_id=group.id))
    return _group_page(group, summary_form=form, status=400)


@bp.route("/admin/groups/<int:group_id>/disposition", methods=["POST"])
@login_required
def dispose_group(group_id: int):
    group = _group(group_id)
    form = DispositionForm()
    if form.validate_on_submit() and perform(
            operations.set_group_disposition, group, Disposition(form.disposition.data),
            form.reason.data, actor=current_user, form=form,
            success=_("The disposition was recorded for the group and its opinions.")):
        return redirect(url_for("opinions.show_group", group_id=group.id))
    return _group_page(group, disposition_form=form, status=400)


@bp.route("/admin/groups/<int:group_id>/split", methods=["POST"])
@login_required
def split_group(group_id: int):
    group = _group(group_id)
    consultation_id = group.consultation_id
    form = SplitForm()
    if not form.validate_on_submit():
        abort(400)
    ids = chosen_ids("opinion_ids")
    outcome = perform(operations.split_members, group, ids, actor=current_user,
                      new_group=bool(form.new_group.data),
                      success=ngettext("%(num)d opinion was taken out of the group.",
                                       "%(num)d opinions were taken out of the group.",
                                       len(ids)))
    if outcome and db.session.get(OpinionGroup, group_id) is None:
        return redirect(url_for("opinions.list_groups", consultation_id=consultation_id))
    return redirect(url_for("opinions.show_group", group_id=group_id))


@bp.route("/admin/groups/<int:group_id>/add", methods=["POST"])
@login_required
def add_to_group(group_id: int):
    group = _group(group_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = chosen_ids("opinion_ids")
    perform(operations.add_opinions, group, ids, actor=current_user,
            success=ngettext("%(num)d opinion was added to the group.",
                             "%(num)d opinions were added to the group.", len(ids)))
    return redirect(url_for("opinions.show_group", group_id=group_id))
