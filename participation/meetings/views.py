"""Public pages of decision meetings: the list, a meeting (agenda, seats, the open call,
counts, the masked list of eligible applicants), applying and the receipt, the draw's
result with its verification kit, the attendance record, and the .ics of each meeting."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from participation.catalogue.queries import current_government
from participation.core.database import utcnow
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404, require
from participation.core.transaction import perform
from participation.core.web_helpers import paginate
from participation.extensions import limiter
from participation.meetings import lottery, operations, queries
from participation.meetings.forms import ApplicationForm, WithdrawOwnApplicationForm
from participation.meetings.models import ApplicationState, Meeting, MeetingState, SeatCategory
from participation.meetings.permissions import (
    can_apply_for_seat,
    can_view_meeting,
    can_withdraw_own_application,
)

bp = Blueprint("meetings", __name__)


def _meeting(meeting_id: int) -> Meeting:
    return load_or_404(Meeting, meeting_id, can_view_meeting, hide=True, private=False)


@bp.route("/meetings")
@public_page
def list_meetings():
    government = current_government()
    page = paginate(queries.public_meetings_query(government.id))
    return render_template("meetings/list.html", government=government, page=page, now=utcnow())


@bp.route("/meetings/<int:meeting_id>")
@public_page
def show_meeting(meeting_id: int):
    meeting = _meeting(meeting_id)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        call=meeting.open_call,
        draw=meeting.draw,
        agenda=queries.public_agenda(meeting),
        counts=queries.category_counts(meeting),
        eligible=queries.eligible_codes(meeting),
        selection=queries.selection(meeting),
        fills=queries.reserve_fills(meeting),
        now=utcnow(),
    )


def _application_limit() -> str:
    return current_app.config["OPINION_RATE_LIMIT"]


def _submit(meeting: Meeting, form: ApplicationForm) -> str:
    application, _created = operations.apply(
        meeting,
        form.data,
        submission_key=form.submission_key.data,
        author=current_user if current_user.is_authenticated else None,
    )
    return application.receipt_number


@bp.route("/meetings/<int:meeting_id>/apply", methods=["GET", "POST"])
@limiter.limit(_application_limit, methods=["POST"])
def apply_for_seat(meeting_id: int):
    meeting = _meeting(meeting_id)
    require(can_apply_for_seat(current_user, meeting))
    form = ApplicationForm()
    form.category.choices = [
        (q.category.value, q.category.label) for q in meeting.quotas if q.seats > 0
    ]
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(24)
        if current_user.is_authenticated:
            form.name.data = current_user.display_name
    if form.validate_on_submit():
        done = perform(_submit, meeting, form, form=form, field="name")
        if done:
            return redirect(url_for("meetings.show_application", number=done.value, new=1))
    status = 400 if request.method == "POST" else 200
    call = meeting.open_call
    return render_template(
        "meetings/apply.html",
        meeting=meeting,
        call=call,
        form=form,
        is_open=bool(
            call and call.is_open_at(utcnow()) and meeting.state == MeetingState.SCHEDULED
        ),
    ), status


def _own_application(number: str):
    application = queries.find_application(number)
    if application is None:
        abort(404)
    g.private_page = True  # the receipt is the applicant's own page: never cached
    return application


def _receipt_page(application, form: WithdrawOwnApplicationForm, status: int = 200):
    meeting = application.meeting
    can_withdraw = (
        can_withdraw_own_application(current_user, application)
        and application.state != ApplicationState.WITHDRAWN
        and meeting.state == MeetingState.SCHEDULED
    )
    return render_template(
        "meetings/receipt.html",
        application=application,
        meeting=meeting,
        is_new=request.args.get("new") == "1",
        withdraw_form=form,
        can_withdraw=can_withdraw,
    ), status


@bp.route("/meeting-applications/<number>")
def show_application(number: str):
    application = _own_application(number)
    return _receipt_page(application, WithdrawOwnApplicationForm())


@bp.route("/meeting-applications/<number>/withdraw", methods=["POST"])
@limiter.limit(_application_limit)
def withdraw_own_application(number: str):
    application = _own_application(number)
    require(can_withdraw_own_application(current_user, application))
    form = WithdrawOwnApplicationForm()
    if form.validate_on_submit():
        done = perform(
            operations.withdraw_own_application,
            application,
            form=form,
            success=_("Your application has been withdrawn."),
        )
        if done:
            return redirect(
                url_for("meetings.show_application", number=application.receipt_number)
            )
    return _receipt_page(application, form, 400)


def _drawn(meeting_id: int):
    meeting = _meeting(meeting_id)
    if meeting.draw is None or meeting.draw.drawn_at is None:
        abort(404)
    return meeting


@bp.route("/meetings/<int:meeting_id>/draw")
@public_page
def show_draw(meeting_id: int):
    meeting = _drawn(meeting_id)
    verification = lottery.verify_kit(meeting.draw.kit or {})
    return render_template(
        "meetings/draw.html",
        meeting=meeting,
        draw=meeting.draw,
        kit=meeting.draw.kit,
        verification=verification,
        procedure=procedure_text(),
        selection=queries.selection(meeting),
        fills=queries.reserve_fills(meeting),
    )


@bp.route("/meetings/<int:meeting_id>/verification-kit.json")
def download_kit(meeting_id: int):
    meeting = _drawn(meeting_id)
    body = json.dumps(meeting.draw.kit, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="verification-kit-{meeting.id}.json"'
        },
    )


@bp.route("/meetings/<int:meeting_id>/attendance")
@public_page
def show_attendance(meeting_id: int):
    meeting = _meeting(meeting_id)
    return render_template(
        "meetings/attendance.html",
        meeting=meeting,
        record=queries.attendance_record(meeting),
        fills=queries.reserve_fills(meeting),
    )


@bp.route("/meetings/<int:meeting_id>.ics")
def download_ics(meeting_id: int):
    meeting = _meeting(meeting_id)
    return Response(
        ics_for(meeting),
        mimetype="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


def ics_for(meeting: Meeting) -> bytes:
    """The meeting as an iCalendar event (two hours unless said otherwise)."""
    from datetime import UTC

    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Participation//meetings//ZH")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    host = request.host.split(":")[0]
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.starts_at.replace(tzinfo=UTC))
    event.add("dtend", (meeting.starts_at + timedelta(hours=2)).replace(tzinfo=UTC))
    event.add("dtstamp", meeting.updated_at.replace(tzinfo=UTC))
    if meeting.place:
        event.add("location", meeting.place)
    agenda = "\n".join(
        f"{item.position}. {item.decision.title}" for item in queries.public_agenda(meeting)
    )
    event.add("description", f"{meeting.kind.label}\n{agenda}".strip())
    event.add("url", url_for("meetings.show_meeting", meeting_id=meeting.id, _external=True))
    calendar.add_component(event)
    return calendar.to_ical()


def procedure_text() -> str:
    """The written procedure of :data:`lottery.PROCEDURE`, translated (the commands stay
    as they are)."""
    return _(
        "How to check a draw by hand (any computer with sha256sum and openssl):\n\n"
        "1. The commitment is the SHA-256 of the secret's 32 bytes:\n"
        "     printf %%s SECRET | xxd -r -p | sha256sum\n"
        "   must print the commitment published before the application window opened.\n"
        '2. The public random value is written exactly as in the kit ("value"), UTF-8, '
        "after Unicode NFC normalisation. The seed is HKDF-SHA256 (RFC 5869) with the "
        "public value as salt, the secret as input key material, info "
        '"participation-lottery-v1:MEETING" and 32 bytes of output:\n'
        "     PRK  = HMAC-SHA256(key = public value, message = secret bytes)\n"
        "     SEED = HMAC-SHA256(key = PRK, message = info followed by the byte 0x01)\n"
        "3. Each eligible code of a category gets the score HMAC-SHA256(key = SEED, "
        'message = "CATEGORY:CODE").\n'
        "4. In each category, sort the codes by score (as hexadecimal text, lowest first). "
        "The first QUOTA codes are selected; the others, in that order, are the reserve "
        "list.\n\n"
        "Or run: flask meetings verify-draw KIT.json"
    )


@bp.app_template_global()
def seat_category_label(code: str) -> str:
    return SeatCategory(code).label


from participation.meetings import admin_views as _admin_views  # noqa: E402, F401
