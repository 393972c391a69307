"""The organizers' pages of open days: create and edit, the list of signups with answers
and needs, exports, the printable sign-in sheet, the check-in desk and walk-ins."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.accounts.models import Government
from participation.accounts.queries import internal_unit_ids
from participation.catalogue.models import Decision
from participation.core.permissions import load_or_404, require, require_official
from participation.core.timeutil import local_to_utc, utc_to_local
from participation.core.transaction import perform
from participation.extensions import db
from participation.open_days import exports, operations, queries, questionnaire
from participation.open_days.forms import (
    CapacityForm,
    CheckInForm,
    OpenDayForm,
    TokenForm,
    WalkInForm,
)
from participation.open_days.models import LIKED_OPTIONS, OpenDay, Signup, SignupState
from participation.open_days.permissions import (
    can_create_open_day,
    can_organize_open_day,
    can_run_desk,
)
from participation.opinions.models import Disposition, ModerationState, Stance
from participation.opinions.moderation_forms import hiding_reason_choices
from participation.opinions.workspace import latest_consultation

bp = Blueprint("opendays_admin", __name__)


def _organized(open_day_id: int) -> OpenDay:
    return load_or_404(OpenDay, open_day_id, can_organize_open_day)


@bp.route("/admin/open-days")
@login_required
def list_open_days():
    require_official()
    governments = {m.government_id for m in current_user.memberships}
    days: list[OpenDay] = []
    for government_id in sorted(governments):
        days += queries.organizer_open_days(
            internal_unit_ids(current_user, government_id), {government_id}
        )
    creatable = [
        g
        for g in db.session.scalars(sa.select(Government).where(Government.id.in_(governments)))
        if _units(g)
    ]
    return render_template("opendays/admin_list.html", open_days=days, governments=creatable)


def _units(government: Government):
    return [unit for unit in government.units if can_create_open_day(current_user, unit)]


def _decision_choices(government: Government) -> list[tuple[int, str]]:
    decisions = db.session.scalars(
        sa.select(Decision)
        .where(Decision.government_id == government.id)
        .order_by(Decision.id.desc())
        .limit(200)
    )
    return [(0, _("None"))] + [(d.id, d.title[:80]) for d in decisions]


def _values(form: OpenDayForm) -> dict:
    return {
        "title": form.title.data,
        "theme": form.theme.data,
        "description": form.description.data,
        "place": form.place.data,
        "accessibility": form.accessibility.data,
        "starts_at": local_to_utc(form.starts_at.data),
        "ends_at": local_to_utc(form.ends_at.data),
        "signup_opens_at": local_to_utc(form.signup_opens_at.data),
        "signup_closes_at": local_to_utc(form.signup_closes_at.data),
        "capacity": form.capacity.data,
        "companions_allowed": form.companions_allowed.data,
        "promotion_stop_hours": form.promotion_stop_hours.data,
        "questions": form.questions.data,
        "decision_id": form.decision_id.data or None,
    }


def _create(government: Government, form: OpenDayForm) -> OpenDay:
    """Create the open day for the unit chosen in the form (checked against the units the
    official may create for)."""
    unit = next((u for u in _units(government) if u.id == form.unit_id.data), None)
    if unit is None:
        raise operations.OpenDayError("bad_unit", field="unit_id")
    return operations.create_open_day(government, unit, _values(form), actor=current_user)


@bp.route("/admin/governments/<int:government_id>/open-days/new", methods=["GET", "POST"])
@login_required
def create_open_day(government_id: int):
    government = load_or_404(Government, government_id)
    units = _units(government)
    require(bool(units) and all(can_create_open_day(current_user, u) for u in units))
    form = OpenDayForm()
    form.unit_id.choices = [(u.id, u.name) for u in units]
    form.decision_id.choices = _decision_choices(government)
    if form.validate_on_submit():
        done = perform(
            _create,
            government,
            form,
            form=form,
            success=_("The open day has been created. Publish it when ready."),
        )
        if done:
            return redirect(url_for("opendays_admin.manage_open_day", open_day_id=done.value.id))
    return render_template(
        "opendays/admin_form.html", form=form, open_day=None, government=government
    )


@bp.route("/admin/open-days/<int:open_day_id>/edit", methods=["GET", "POST"])
@login_required
def edit_open_day(open_day_id: int):
    open_day = _organized(open_day_id)
    government = open_day.government
    if request.method == "GET":
        form = OpenDayForm(obj=open_day)
        for name in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
            getattr(form, name).data = utc_to_local(getattr(open_day, name))
        form.questions.data = operations.questions_text(open_day)
        form.decision_id.data = open_day.decision_id or 0
    else:
        form = OpenDayForm()
    form.unit_id.choices = [(open_day.unit_id, open_day.unit.name)]
    form.unit_id.data = open_day.unit_id
    form.decision_id.choices = _decision_choices(government)
    if form.validate_on_submit():
        done = perform(
            operations.update_open_day,
            open_day,
            _values(form),
            actor=current_user,
            form=form,
            success=_("The open day has been saved."),
        )
        if done:
            return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))
    return render_template(
        "opendays/admin_form.html", form=form, open_day=open_day, government=government
    )


@bp.route("/admin/open-days/<int:open_day_id>")
@login_required
def manage_open_day(open_day_id: int):
    open_day = load_or_404(OpenDay, open_day_id, can_run_desk)
    state = request.args.get("state")
    states = (SignupState(state),) if state in {s.value for s in SignupState} else None
    return render_template(
        "opendays/admin_show.html",
        open_day=open_day,
        figures=queries.figures(open_day),
        signups=queries.signups(open_day, states),
        chosen_state=state,
        states=SignupState,
        walk_ins=queries.walk_ins(open_day),
        form=TokenForm(),
        capacity_form=CapacityForm(capacity=open_day.capacity),
        summary=questionnaire.summary(open_day),
        opinions=questionnaire.opinions(open_day, public_only=False),
        workspace=latest_consultation(open_day.decision_id),
        liked_options=LIKED_OPTIONS,
        moderation_states=ModerationState,
        reason_choices=hiding_reason_choices(),
        stances=Stance,
        dispositions=Disposition,
        can_organize=can_organize_open_day(current_user, open_day),
    )


@bp.route("/admin/open-days/<int:open_day_id>/publish", methods=["POST"])
@login_required
def publish_open_day(open_day_id: int):
    open_day = _organized(open_day_id)
    if TokenForm().validate_on_submit():
        perform(
            operations.publish_open_day,
            open_day,
            actor=current_user,
            success=_("The open day is published."),
        )
    return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/cancel", methods=["POST"])
@login_required
def cancel_open_day(open_day_id: int):
    open_day = _organized(open_day_id)
    if TokenForm().validate_on_submit():
        perform(
            operations.cancel_open_day,
            open_day,
            actor=current_user,
            success=_("The open day is cancelled; everyone signed up is told."),
        )
    return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/capacity", methods=["POST"])
@login_required
def change_capacity(open_day_id: int):
    open_day = _organized(open_day_id)
    form = CapacityForm()
    if form.validate_on_submit():
        perform(
            operations.change_capacity,
            open_day,
            form.capacity.data,
            actor=current_user,
            success=_("The number of places has been changed."),
        )
    else:
        flash(_("Enter a capacity from 1 to 100,000."), "error")
    return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/signups/<int:signup_id>/cancel", methods=["POST"])
@login_required
def cancel_signup(open_day_id: int, signup_id: int):
    open_day = _organized(open_day_id)
    signup = db.session.get(Signup, signup_id)
    if signup is None or signup.open_day_id != open_day.id:
        abort(404)
    if TokenForm().validate_on_submit():
        perform(
            operations.cancel_signup,
            signup,
            actor=current_user,
            success=_("The signup has been cancelled; the waitlist moved up."),
        )
    return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/release-no-shows", methods=["POST"])
@login_required
def release_no_shows(open_day_id: int):
    open_day = _organized(open_day_id)
    if TokenForm().validate_on_submit():
        done = perform(operations.release_no_shows, open_day, actor=current_user)
        if done:
            flash(_("%(num)d signups without a check-in were released.", num=done.value), "success")
    return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/signups.<fmt>")
@login_required
def export_signups(open_day_id: int, fmt: str):
    open_day = _organized(open_day_id)
    name = f"open-day-{open_day.id}-signups"
    if fmt == "csv":
        return Response(
            exports.csv_text(open_day),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            exports.xlsx_bytes(open_day),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    abort(404)


@bp.route("/admin/open-days/<int:open_day_id>/sign-in-sheet")
@login_required
def show_sign_in_sheet(open_day_id: int):
    open_day = load_or_404(OpenDay, open_day_id, can_run_desk)
    return render_template(
        "opendays/sign_in_sheet.html",
        open_day=open_day,
        signups=queries.signups(open_day, (SignupState.CONFIRMED,)),
    )


def _check_in_message(signup: Signup, first: bool) -> tuple[str, str]:
    who = signup.name
    if signup.companions:
        who = _("%(name)s and %(num)d companions", name=signup.name, num=signup.companions)
    if first:
        return _("Checked in: %(who)s.", who=who), "success"
    by = signup.checked_in_by.display_name if signup.checked_in_by else _("the system")
    return _(
        "Already checked in at %(time)s by %(by)s: %(who)s.",
        time=_local_time(signup.checked_in_at),
        by=by,
        who=who,
    ), "warning"


def _local_time(moment: datetime) -> str:
    return format_datetime(moment, "HH:mm")


@bp.route("/admin/open-days/<int:open_day_id>/desk", methods=["GET", "POST"])
@login_required
def check_in_desk(open_day_id: int):
    open_day = load_or_404(OpenDay, open_day_id, can_run_desk)
    form = CheckInForm()
    if form.validate_on_submit():
        done = perform(operations.check_in, open_day, form.code.data, actor=current_user, form=form)
        if done:
            signup, first = done.value
            message, category = _check_in_message(signup, first)
            flash(message, category)
            return redirect(url_for("opendays_admin.check_in_desk", open_day_id=open_day.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "opendays/desk.html",
        open_day=open_day,
        form=form,
        walk_in_form=WalkInForm(),
        figures=queries.figures(open_day),
    ), status


@bp.route("/admin/open-days/<int:open_day_id>/walk-ins", methods=["POST"])
@login_required
def record_walk_in(open_day_id: int):
    open_day = load_or_404(OpenDay, open_day_id, can_run_desk)
    form = WalkInForm()
    if form.validate_on_submit():
        perform(
            operations.record_walk_in,
            open_day,
            name=form.name.data or "",
            people=form.people.data,
            needs=form.needs.data or "",
            actor=current_user,
            success=_("The walk-in has been recorded."),
        )
    else:
        flash(_("Enter a number of people from 1 to 100."), "error")
    return redirect(url_for("opendays_admin.check_in_desk", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/questionnaire/send", methods=["POST"])
@login_required
def send_questionnaire(open_day_id: int):
    open_day = _organized(open_day_id)
    if TokenForm().validate_on_submit():
        done = perform(questionnaire.send_questionnaire, open_day, actor=current_user)
        if done:
            flash(
                _("The questionnaire has been sent to %(num)d people who came.", num=done.value),
                "success",
            )
    return redirect(url_for("opendays_admin.manage_open_day", open_day_id=open_day.id))


@bp.route("/admin/open-days/<int:open_day_id>/opinions/<int:opinion_id>", methods=["POST"])
@login_required
def handle_opinion(open_day_id: int, opinion_id: int):
    open_day = _organized(open_day_id)
    opinion = questionnaire.open_day_opinion(open_day, opinion_id)
    if opinion is None:
        abort(404)
    if TokenForm().validate_on_submit():
        perform(
            questionnaire.handle_opinion,
            open_day,
            opinion,
            moderation_state=request.form.get("moderation_state", "")[:20],
            moderation_reason=request.form.get("moderation_reason", "")[:32] or None,
            moderation_note=request.form.get("moderation_note", "")[:1000] or None,
            stance=request.form["stance"][:32] if "stance" in request.form else None,
            disposition=request.form.get("disposition", "")[:32] or None,
            reason=request.form.get("reason", "")[:2000],
            actor=current_user,
            success=_("The opinion has been saved."),
        )
    return redirect(
        url_for("opendays_admin.manage_open_day", open_day_id=open_day.id)
        + f"#opinion-{opinion_id}"
    )
