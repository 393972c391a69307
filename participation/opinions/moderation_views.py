"""Moderation pages: a citizen's report, the moderators' queue, the administrators'
sensitive-word list and report threshold. Routes of the ``opinions`` blueprint."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from participation.accounts.models import Government
from participation.consultations.models import Consultation
from participation.core.args import MAX_ID
from participation.core.permissions import load_or_404, require
from participation.core.transaction import perform
from participation.core.web_helpers import cursor_arg, keyset_paginate, parse_cursor
from participation.extensions import db, limiter
from participation.opinions import moderation, moderation_queries, moderation_reports
from participation.opinions import moderation_words as words_ops
from participation.opinions.models import ModerationState, Opinion
from participation.opinions.moderation_forms import (
    ModerationActionForm,
    ReportForm,
    ReportThresholdForm,
    SensitiveWordFileForm,
    SensitiveWordsForm,
    hiding_reason_choices,
)
from participation.opinions.moderation_models import SensitiveWord
from participation.opinions.permissions import (
    can_manage_sensitive_words,
    can_moderate_opinion,
    can_moderate_opinions,
    can_open_moderation_queue,
    can_report_opinion,
)
from participation.opinions.views import _opinion_limit, bp

QUEUE_STATES = (ModerationState.PENDING, ModerationState.HIDDEN)
QUEUE_PAGE_SIZE = 50
WORDS_PAGE_SIZE = 200


# -- citizens' reports -------------------------------------------------------------------


def _session_token() -> str:
    token = session.get("report_token")
    if not token:
        token = session["report_token"] = secrets.token_urlsafe(24)
    return token


def _report(opinion: Opinion, form: ReportForm) -> bool:
    key = moderation_reports.reporter_key(
        current_user if current_user.is_authenticated else None, _session_token())
    return moderation_reports.report_opinion(
        opinion, key, form.reason.data, form.note.data,
        actor=current_user if current_user.is_authenticated else None)


@bp.route("/opinions/<int:opinion_id>/report", methods=["GET", "POST"])
@limiter.limit(_opinion_limit, methods=["POST"])
def report_opinion(opinion_id: int):
    opinion = load_or_404(Opinion, opinion_id, can_report_opinion, hide=True)
    consultation_id = opinion.consultation_id
    form = ReportForm()
    if form.validate_on_submit():
        done = perform(_report, opinion, form, form=form, field="reason")
        if done:
            flash(_("Thank you. A moderator will look at the opinion."), "success")
            return redirect(url_for("opinions.list_opinions",
                                    consultation_id=consultation_id))
    status = 400 if request.method == "POST" else 200
    return render_template("opinions/moderation_report.html", opinion=opinion, form=form,
                           consultation=opinion.consultation), status


# -- the moderation queue ----------------------------------------------------------------


def _government(government_id: int, can) -> Government:
    return load_or_404(Government, government_id, can)


def _form_id(value) -> int | None:
    text = str(value or "")
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


def _queue_filters(values, government: Government):
    """(state, consultation, cursor) of the queue from query or hidden form values; a
    consultation the official does not moderate is not found."""
    try:
        state = ModerationState(values.get("state") or ModerationState.PENDING)
    except ValueError:
        state = ModerationState.PENDING
    if state not in QUEUE_STATES:
        state = ModerationState.PENDING
    consultation = None
    consultation_id = _form_id(values.get("consultation"))
    if consultation_id is not None:
        consultation = db.session.get(Consultation, consultation_id)
        if consultation is None or consultation.government_id != government.id \
                or not can_moderate_opinions(current_user, consultation):
            abort(404)
    try:
        cursor = parse_cursor(values.get("cursor"))
    except ValueError:
        cursor = None
    return state, consultation, cursor


def _queue_page(government: Government, values, form: ModerationActionForm | None = None,
                errors: dict | None = None, status: int = 200):
    state, consultation, cursor = _queue_filters(values, government)
    page = keyset_paginate(
        moderation_queries.queue_query(current_user, government.id, state, consultation),
        Opinion.id, cursor=cursor, per_page=QUEUE_PAGE_SIZE)
    return render_template(
        "opinions/moderation_queue.html", government=government, page=page, state=state,
        consultation=consultation, states=QUEUE_STATES,
        counts=moderation_queries.queue_counts(current_user, government.id),
        reports=moderation_queries.reports_of([o.id for o in page.items]),
        form=form or ModerationActionForm(formdata=None),
        reason_choices=hiding_reason_choices(), errors=errors or {},
        submitted=request.form if request.method == "POST" else {}), status


@bp.route("/admin/governments/<int:government_id>/moderation")
@login_required
def show_moderation_queue(government_id: int):
    government = _government(government_id, can_open_moderation_queue)
    return _queue_page(government, request.args)


_ACTIONS = {"publish": ModerationState.PUBLISHED, "hide": ModerationState.HIDDEN,
            "pending": ModerationState.PENDING}


def _chosen(government: Government, form: ModerationActionForm):
    """(opinions, state, reason, note, error key) of the queue's POST: one opinion's own
    button (``one=<id>:<action>`` with its ``reason-<id>``/``note-<id>``), or the bulk
    action on the ticked opinions."""
    one = request.form.get("one", "")
    if one:
        raw_id, _sep, action = one.partition(":")
        opinion_id = _form_id(raw_id)
        ids = [opinion_id] if opinion_id else []
        reason = request.form.get(f"reason-{opinion_id}") or None
        note = request.form.get(f"note-{opinion_id}") or None
        error_key = str(opinion_id) if opinion_id else "bulk"
    else:
        action = request.form.get("action", "")
        ids = [i for i in (_form_id(v) for v in request.form.getlist("opinion_ids")) if i]
        reason, note, error_key = form.reason.data or None, form.note.data or None, "bulk"
    if action not in _ACTIONS:
        abort(400)
    opinions = list(db.session.scalars(sa.select(Opinion).where(Opinion.id.in_(ids[:500]))))
    for opinion in opinions:
        require(opinion.government_id == government.id
                and can_moderate_opinion(current_user, opinion))
    return opinions, _ACTIONS[action], reason, (note or "")[:1000] or None, error_key


@bp.route("/admin/governments/<int:government_id>/moderation", methods=["POST"])
@login_required
def moderate_opinions(government_id: int):
    government = _government(government_id, can_open_moderation_queue)
    form = ModerationActionForm()
    if not form.validate_on_submit():
        return _queue_page(government, request.form, form, status=400)
    opinions, state, reason, note, error_key = _chosen(government, form)
    done = perform(moderation.set_moderation_state, opinions, state, reason, note,
                   actor=current_user, form=form, field="reason")
    if not done:
        errors = {}
        if error_key != "bulk" or not done.error.field:
            # The message goes beside that opinion's own fields (or above the list).
            form.reason.errors, form.note.errors = [], []
            form.form_errors.clear()
            errors[error_key] = done.error.message
        return _queue_page(government, request.form, form, errors, 400)
    changed = len(done.value)
    messages = {
        ModerationState.PUBLISHED: ngettext("%(num)d opinion published.",
                                            "%(num)d opinions published.", changed),
        ModerationState.HIDDEN: ngettext("%(num)d opinion hidden.",
                                         "%(num)d opinions hidden.", changed),
        ModerationState.PENDING: ngettext("%(num)d opinion sent back to review.",
                                          "%(num)d opinions sent back to review.", changed),
    }
    flash(messages[state], "success")
    keep = {name: request.form.get(name) for name in ("state", "consultation", "cursor")
            if request.form.get(name)}
    return redirect(url_for("opinions.show_moderation_queue", government_id=government.id,
                            **keep))


# -- sensitive words and the report threshold -------------------------------------------


def _words_page(government: Government, status: int = 200, **forms):
    query = sa.select(SensitiveWord).where(SensitiveWord.government_id == government.id)
    page = keyset_paginate(query, SensitiveWord.id, cursor=cursor_arg(),
                           per_page=WORDS_PAGE_SIZE,
                           total=words_ops.word_count(government.id))
    threshold_form = forms.get("threshold_form") or ReportThresholdForm(formdata=None)
    if threshold_form.report_threshold.data is None:
        threshold_form.report_threshold.data = moderation_reports.report_threshold(
            government.id)
    return render_template(
        "opinions/moderation_words.html", government=government, page=page,
        words_form=forms.get("words_form") or SensitiveWordsForm(formdata=None),
        file_form=forms.get("file_form") or SensitiveWordFileForm(formdata=None),
        threshold_form=threshold_form), status


def _added_message(added: int) -> str:
    if not added:
        return _("No word was added: every one is already on the list.")
    return ngettext("%(num)d word added to the list.", "%(num)d words added to the list.",
                    added)


@bp.route("/admin/governments/<int:government_id>/sensitive-words")
@login_required
def manage_sensitive_words(government_id: int):
    return _words_page(_government(government_id, can_manage_sensitive_words))


@bp.route("/admin/governments/<int:government_id>/sensitive-words/add", methods=["POST"])
@login_required
def add_sensitive_words(government_id: int):
    government = _government(government_id, can_manage_sensitive_words)
    form = SensitiveWordsForm()
    if form.validate_on_submit():
        done = perform(words_ops.add_words, government, form.words.data.splitlines(),
                       actor=current_user, form=form, field="words")
        if done:
            flash(_added_message(done.value), "success")
            return redirect(url_for("opinions.manage_sensitive_words",
                                    government_id=government.id))
    return _words_page(government, 400, words_form=form)


@bp.route("/admin/governments/<int:government_id>/sensitive-words/import",
          methods=["POST"])
@login_required
def import_sensitive_words(government_id: int):
    government = _government(government_id, can_manage_sensitive_words)
    form = SensitiveWordFileForm()
    if form.validate_on_submit():
        data = form.file.data.read(5 * 1024 * 1024 + 1)
        done = perform(words_ops.import_words, government, data, actor=current_user,
                       form=form, field="file")
        if done:
            flash(_added_message(done.value), "success")
            return redirect(url_for("opinions.manage_sensitive_words",
                                    government_id=government.id))
    return _words_page(government, 400, file_form=form)


@bp.route("/admin/governments/<int:government_id>/sensitive-words/remove",
          methods=["POST"])
@login_required
def remove_sensitive_words(government_id: int):
    government = _government(government_id, can_manage_sensitive_words)
    # CSRFProtect checks the token of every POST; the ticked words are plain values.
    ids = [i for i in (_form_id(v) for v in request.form.getlist("word_ids")) if i]
    done = perform(words_ops.remove_words, government, ids, actor=current_user)
    if done:
        flash(ngettext("%(num)d word removed from the list.",
                       "%(num)d words removed from the list.", done.value), "success")
    return redirect(url_for("opinions.manage_sensitive_words", government_id=government.id))


@bp.route("/admin/governments/<int:government_id>/moderation-settings", methods=["POST"])
@login_required
def set_report_threshold(government_id: int):
    government = _government(government_id, can_manage_sensitive_words)
    form = ReportThresholdForm()
    if form.validate_on_submit():
        done = perform(words_ops.set_report_threshold, government,
                       form.report_threshold.data, actor=current_user, form=form,
                       field="report_threshold",
                       success=_("The report threshold has been saved."))
        if done:
            return redirect(url_for("opinions.manage_sensitive_words",
                                    government_id=government.id))
    return _words_page(government, 400, threshold_form=form)
