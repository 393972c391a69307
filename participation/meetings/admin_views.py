"""The officials' pages of a decision meeting: creating it, its manage page (agenda,
materials, seats, open call, applications, selection, roll, minutes, statements) and
the POST actions behind each of its forms. Each action checks its named predicate,
calls one operation through :func:`perform` and returns to the manage page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.accounts.models import Unit
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation
from participation.core.forms_common import ConfirmForm
from participation.core.permissions import load_or_404
from participation.core.timeutil import local_to_utc, utc_to_local
from participation.core.transaction import perform
from participation.dossier.models import Document
from participation.extensions import db
from participation.meetings import operations, queries, schedule, statements
from participation.meetings.forms import (
    AgendaItemForm,
    AttendanceForm,
    CancelMeetingForm,
    CheckInForm,
    ChooseForm,
    DrawForm,
    MaterialForm,
    MeetingEditForm,
    MeetingForm,
    MinutesForm,
    OpenCallForm,
    ReviewForm,
    SeatsForm,
    StatementForm,
)
from participation.meetings.models import (
    AgendaItem,
    Application,
    Attendance,
    MaterialKind,
    Meeting,
    RollEntry,
    SeatCategory,
)
from participation.meetings.permissions import (
    can_cancel_meeting,
    can_create_meeting,
    can_edit_meeting,
    can_manage_meeting,
    can_select_representatives,
    can_take_roll,
)
from participation.meetings.views import bp


@bp.route("/admin/units/<int:unit_id>/meetings/new", methods=["GET", "POST"])
@login_required
def create_meeting(unit_id: int):
    unit = load_or_404(Unit, unit_id, can_create_meeting)
    form = MeetingForm()
    if form.validate_on_submit():
        values = {
            "title": form.title.data,
            "kind": form.kind.data,
            "starts_at": local_to_utc(form.starts_at.data),
            "place": form.place.data,
            "published": form.published.data,
        }
        done = perform(
            operations.create_meeting,
            unit,
            values,
            actor=current_user,
            form=form,
            success=_("The meeting has been created."),
        )
        if done:
            return redirect(url_for("meetings.manage_meeting", meeting_id=done.value.id))
    return render_template("meetings/admin_new.html", unit=unit, form=form)


def _managed(meeting_id: int, can: Callable = can_manage_meeting) -> Meeting:
    return load_or_404(Meeting, meeting_id, can)


def _decision_choices(meeting: Meeting) -> list[tuple[int, str]]:
    decisions = db.session.scalars(
        sa.select(Decision)
        .where(Decision.government_id == meeting.government_id, Decision.is_listed)
        .order_by(Decision.id)
    ).all()
    return [(0, "—")] + [(d.id, d.title[:80]) for d in decisions]


def _material_choices(item: AgendaItem) -> list[tuple[int, str]]:
    documents = db.session.scalars(
        sa.select(Document).where(Document.decision_id == item.decision_id).order_by(Document.id)
    ).all()
    consultations = db.session.scalars(
        sa.select(Consultation)
        .where(Consultation.decision_id == item.decision_id)
        .order_by(Consultation.id)
    ).all()
    return [(d.id, f"{d.kind.label}: {d.title[:60]}") for d in documents] + [
        (c.id, _("Consultation: %(title)s", title=c.title[:60])) for c in consultations
    ]


@bp.route("/admin/meetings/<int:meeting_id>")
@login_required
def manage_meeting(meeting_id: int):
    meeting = _managed(meeting_id, can_take_roll)
    return _manage_page(meeting)


def _manage_page(meeting: Meeting):
    agenda_form = AgendaItemForm()
    agenda_form.decision_id.choices = _decision_choices(meeting)
    seats_form = SeatsForm()
    for quota in meeting.quotas:
        getattr(seats_form, f"seats_{quota.category.value}").data = quota.seats
    call = meeting.open_call
    call_form = OpenCallForm(obj=call)
    if call is not None:
        call_form.opens_at.data = utc_to_local(call.opens_at)
        call_form.closes_at.data = utc_to_local(call.closes_at)
        call_form.selection_method.data = call.selection_method.value
    items = []
    for item in meeting.agenda_items:
        material_form = MaterialForm(prefix=f"m{item.id}")
        material_form.object_id.choices = _material_choices(item)
        items.append(
            {
                "item": item,
                "material_form": material_form,
                "minutes_form": MinutesForm(obj=item, prefix=f"n{item.id}"),
                "problems": [p.message for p in operations.agenda_problems(item)],
            }
        )
    applications = db.session.scalars(
        sa.select(Application)
        .where(Application.meeting_id == meeting.id)
        .order_by(Application.category, Application.id)
    ).all()
    roll = operations.roll(meeting)
    statement_form = StatementForm()
    statement_form.entry_id.choices = [
        (e.id, f"{e.application.public_code} {e.application.name}") for e in roll
    ]
    statement_form.item_id.choices = [(i.id, i.decision.title[:60]) for i in meeting.agenda_items]
    edit_form = MeetingEditForm(prefix="edit")
    edit_form.title.data = meeting.title
    edit_form.kind.data = meeting.kind.value
    edit_form.starts_at.data = utc_to_local(meeting.starts_at)
    edit_form.place.data = meeting.place
    return render_template(
        "meetings/admin_manage.html",
        meeting=meeting,
        call=call,
        draw=meeting.draw,
        agenda_form=agenda_form,
        items=items,
        seats_form=seats_form,
        call_form=call_form,
        applications=applications,
        review_form=ReviewForm(),
        draw_form=DrawForm(),
        choose_form=ChooseForm(),
        check_in_form=CheckInForm(),
        attendance_form=AttendanceForm(),
        statement_form=statement_form,
        edit_form=edit_form,
        cancel_form=CancelMeetingForm(prefix="cancel"),
        hearing_notice_days=operations.HEARING_NOTICE.days,
        roll=roll,
        counts=queries.category_counts(meeting),
        fills=queries.reserve_fills(meeting),
        statements=statements.statements_of(meeting),
        attendance=Attendance,
        can_manage=can_manage_meeting(current_user, meeting),
        can_select=can_select_representatives(current_user, meeting),
        can_edit=can_edit_meeting(current_user, meeting),
        can_cancel=can_cancel_meeting(current_user, meeting),
    )


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0] if isinstance(errors[0], str) else str(errors[0])
    return _(
        "The form has expired or was sent from elsewhere. Please reload the page and "
        "send it again; what you typed has not been saved."
    )


def _act(
    meeting: Meeting,
    form,
    operation: Callable,
    *args: Any,
    success: str,
    anchor: str,
    **kwargs: Any,
):
    """Validate ``form``, run the operation as the request's unit of work, and go back
    to the manage page (the error, if any, as a message at its top)."""
    if form.validate_on_submit():
        perform(operation, *args, actor=current_user, success=success, **kwargs)
    else:
        flash(_first_error(form), "error")
    return redirect(url_for("meetings.manage_meeting", meeting_id=meeting.id, _anchor=anchor))


@bp.route("/admin/meetings/<int:meeting_id>/publish", methods=["POST"])
@login_required
def publish_meeting(meeting_id: int):
    meeting = _managed(meeting_id, can_select_representatives)
    return _act(
        meeting,
        ConfirmForm(),
        operations.publish_meeting,
        meeting,
        success=_("The meeting is public."),
        anchor="meeting",
    )


@bp.route("/admin/meetings/<int:meeting_id>/edit", methods=["POST"])
@login_required
def edit_meeting(meeting_id: int):
    meeting = _managed(meeting_id, can_edit_meeting)
    form = MeetingEditForm(prefix="edit")
    values = {
        "title": form.title.data,
        "kind": form.kind.data,
        "starts_at": local_to_utc(form.starts_at.data) if form.starts_at.data else None,
        "place": form.place.data,
    }
    return _act(
        meeting,
        form,
        schedule.edit_meeting,
        meeting,
        values,
        success=_("The meeting has been updated."),
        anchor="meeting",
    )


@bp.route("/admin/meetings/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel_meeting(meeting_id: int):
    meeting = _managed(meeting_id, can_cancel_meeting)
    form = CancelMeetingForm(prefix="cancel")
    return _act(
        meeting,
        form,
        schedule.cancel_meeting,
        meeting,
        form.reason.data,
        success=_("The meeting has been cancelled and the applicants told."),
        anchor="meeting",
    )


@bp.route("/admin/meetings/<int:meeting_id>/send-materials", methods=["POST"])
@login_required
def send_materials(meeting_id: int):
    meeting = _managed(meeting_id, can_edit_meeting)
    return _act(
        meeting,
        ConfirmForm(),
        schedule.send_materials,
        meeting,
        success=_("The materials have been sent to the selected participants."),
        anchor="agenda",
    )


@bp.route("/admin/meetings/<int:meeting_id>/agenda", methods=["POST"])
@login_required
def add_agenda_item(meeting_id: int):
    meeting = _managed(meeting_id)
    form = AgendaItemForm()
    values = {
        "invite_representatives": form.invite_representatives.data == "yes",
        "invite_reason": form.invite_reason.data,
        "affects_enterprises": form.affects_enterprises.data,
        "enterprise_symposium": form.enterprise_symposium.data,
    }
    return _act(
        meeting,
        form,
        operations.add_agenda_item,
        meeting,
        form.decision_id.data,
        values,
        success=_("The decision is on the agenda."),
        anchor="agenda",
    )


def _item(item_id: int, can: Callable = can_manage_meeting) -> AgendaItem:
    return load_or_404(AgendaItem, item_id, lambda user, item: can(user, item.meeting))


@bp.route("/admin/agenda-items/<int:item_id>/materials", methods=["POST"])
@login_required
def add_material(item_id: int):
    item = _item(item_id, can_manage_meeting)
    form = MaterialForm(prefix=f"m{item.id}")
    try:
        kind = MaterialKind(form.kind.data)
    except ValueError:
        kind = MaterialKind.DOCUMENT
    return _act(
        item.meeting,
        form,
        operations.add_material,
        item,
        kind,
        form.object_id.data,
        success=_("The material has been added."),
        anchor=f"item-{item.id}",
    )


@bp.route("/admin/agenda-items/<int:item_id>/minutes", methods=["POST"])
@login_required
def record_minutes(item_id: int):
    item = _item(item_id, can_manage_meeting)
    form = MinutesForm(prefix=f"n{item.id}")
    values = {
        "discussion": form.discussion.data,
        "dissent": form.dissent.data,
        "result": form.result.data,
    }
    return _act(
        item.meeting,
        form,
        operations.record_minutes,
        item,
        values,
        success=_("The minutes have been saved."),
        anchor=f"item-{item.id}",
    )


@bp.route("/admin/meetings/<int:meeting_id>/seats", methods=["POST"])
@login_required
def set_seats(meeting_id: int):
    meeting = _managed(meeting_id)
    form = SeatsForm()
    seats = {c: getattr(form, f"seats_{c.value}").data or 0 for c in SeatCategory}
    return _act(
        meeting,
        form,
        operations.set_seats,
        meeting,
        seats,
        success=_("The seats have been saved."),
        anchor="seats",
    )


@bp.route("/admin/meetings/<int:meeting_id>/open-call", methods=["POST"])
@login_required
def save_open_call(meeting_id: int):
    meeting = _managed(meeting_id)
    form = OpenCallForm()
    values = {}
    if form.validate_on_submit():
        values = {
            "opens_at": local_to_utc(form.opens_at.data),
            "closes_at": local_to_utc(form.closes_at.data),
            "eligibility": form.eligibility.data,
            "selection_method": form.selection_method.data,
            "public_value_source": form.public_value_source.data,
            "draw_on": form.draw_on.data,
        }
    return _act(
        meeting,
        form,
        operations.save_open_call,
        meeting,
        values,
        success=_("The open call has been saved."),
        anchor="call",
    )


@bp.route("/admin/meetings/<int:meeting_id>/open-call/announce", methods=["POST"])
@login_required
def announce_call(meeting_id: int):
    meeting = _managed(meeting_id, can_select_representatives)
    return _act(
        meeting,
        ConfirmForm(),
        operations.announce_call,
        meeting,
        success=_("The open call has been announced."),
        anchor="call",
    )


def _application(application_id: int, can: Callable) -> Application:
    return load_or_404(
        Application, application_id, lambda user, application: can(user, application.meeting)
    )


@bp.route("/admin/meeting-applications/<int:application_id>/review", methods=["POST"])
@login_required
def review_application(application_id: int):
    application = _application(application_id, can_manage_meeting)
    form = ReviewForm()
    return _act(
        application.meeting,
        form,
        operations.review_application,
        application,
        form.eligible.data == "yes",
        form.reason.data,
        success=_("The review has been recorded."),
        anchor="applications",
    )


@bp.route("/admin/meetings/<int:meeting_id>/draw", methods=["POST"])
@login_required
def draw_lottery(meeting_id: int):
    meeting = _managed(meeting_id, can_select_representatives)
    form = DrawForm()
    return _act(
        meeting,
        form,
        operations.draw_lottery,
        meeting,
        form.public_value.data,
        success=_("The lottery has been drawn and its verification kit published."),
        anchor="selection",
    )


@bp.route("/admin/meeting-applications/<int:application_id>/choose", methods=["POST"])
@login_required
def choose_applicant(application_id: int):
    application = _application(application_id, can_select_representatives)
    form = ChooseForm()
    return _act(
        application.meeting,
        form,
        operations.choose_applicant,
        application,
        form.reason.data,
        success=_("The applicant has a seat."),
        anchor="selection",
    )


@bp.route("/admin/meeting-applications/<int:application_id>/withdraw", methods=["POST"])
@login_required
def withdraw_application(application_id: int):
    application = _application(application_id, can_select_representatives)
    return _act(
        application.meeting,
        ConfirmForm(),
        operations.withdraw,
        application,
        success=_("The withdrawal has been recorded."),
        anchor="selection",
    )


@bp.route("/admin/meetings/<int:meeting_id>/check-in", methods=["POST"])
@login_required
def check_in(meeting_id: int):
    meeting = _managed(meeting_id, can_take_roll)
    form = CheckInForm()
    return _act(
        meeting,
        form,
        operations.check_in,
        meeting,
        form.code.data,
        success=_("Checked in."),
        anchor="roll",
    )


@bp.route("/admin/roll-entries/<int:entry_id>", methods=["POST"])
@login_required
def record_attendance(entry_id: int):
    entry = load_or_404(
        RollEntry, entry_id, lambda user, entry: can_take_roll(user, entry.application.meeting)
    )
    form = AttendanceForm(prefix=f"r{entry.id}")
    try:
        attendance = Attendance(form.attendance.data)
    except ValueError:
        attendance = Attendance.ABSENT
    return _act(
        entry.application.meeting,
        form,
        operations.record_attendance,
        entry,
        attendance,
        form.substitute_name.data,
        success=_("The roll has been updated."),
        anchor="roll",
    )


@bp.route("/admin/meetings/<int:meeting_id>/held", methods=["POST"])
@login_required
def mark_held(meeting_id: int):
    meeting = _managed(meeting_id, can_manage_meeting)
    return _act(
        meeting,
        ConfirmForm(),
        operations.mark_held,
        meeting,
        success=_("The meeting is recorded as held."),
        anchor="meeting",
    )


@bp.route("/admin/meetings/<int:meeting_id>/statements", methods=["POST"])
@login_required
def record_statement(meeting_id: int):
    meeting = _managed(meeting_id, can_manage_meeting)
    form = StatementForm()
    return _act(
        meeting,
        form,
        statements.record_statement,
        meeting,
        form.entry_id.data,
        form.item_id.data,
        form.body.data,
        success=_("The statement has been recorded as an opinion."),
        anchor="statements",
    )
