"""Public pages of open days: the list, an event with its places left, the signup (signed
in, or name and mobile number with a code), the confirmation with the check-in code and
QR code, the private page to cancel or change companions, and the .ics file.

Waitlisted people are never shown: public pages show counts only.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from participation.core.database import utcnow
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404, require
from participation.core.transaction import perform
from participation.extensions import db, limiter
from participation.feedback.operations import published_versions
from participation.open_days import calendar, operations, queries, questionnaire
from participation.open_days.forms import (
    CompanionsForm,
    QuestionnaireForm,
    TokenForm,
    VerifyForm,
    answers_of,
    signup_form,
)
from participation.open_days.models import (
    LIKED_OPTIONS,
    OpenDay,
    QuestionnaireResponse,
    SignupState,
)
from participation.open_days.permissions import (
    can_answer_questionnaire,
    can_manage_signup,
    can_sign_up,
    can_view_open_day,
)

bp = Blueprint("opendays", __name__)

SESSION_KEY = "open_day_verification"


def _public(open_day_id: int) -> OpenDay:
    return load_or_404(OpenDay, open_day_id, can_view_open_day, hide=True, private=False)


def _verification_limit() -> str:
    return current_app.config["VERIFICATION_RATE_LIMIT"]


@bp.route("/open-days")
@public_page
def list_open_days():
    upcoming = list(db.session.scalars(queries.public_open_days().limit(100)))
    past = list(db.session.scalars(queries.public_open_days(upcoming=False).limit(20)))
    return render_template("opendays/list.html", upcoming=upcoming, past=past, now=utcnow())


@bp.route("/open-days/<int:open_day_id>")
@public_page
def show_open_day(open_day_id: int):
    open_day = _public(open_day_id)
    return render_template(
        "opendays/show.html",
        open_day=open_day,
        now=utcnow(),
        can_sign_up=can_sign_up(current_user, open_day),
        heard=questionnaire.opinions(open_day),
        reports=published_versions(open_day),
        summary=questionnaire.summary(open_day) if open_day.questionnaire_sent_at else None,
        liked_options=LIKED_OPTIONS,
    )


@bp.route("/open-days/<int:open_day_id>/calendar.ics")
def download_ics(open_day_id: int):
    open_day = _public(open_day_id)
    url = url_for("opendays.show_open_day", open_day_id=open_day.id, _external=True)
    return Response(
        calendar.ics(open_day, url),
        mimetype="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="open-day-{open_day.id}.ics"'},
    )


def _sign_up_signed_in(open_day: OpenDay, form) -> str:
    """Sign the signed-in citizen up; the private token of the signup."""
    signup = operations.sign_up(
        open_day,
        name=form.name.data,
        mobile=None,
        user=current_user,
        companions=form.companions.data,
        answers=answers_of(form, open_day),
        needs=form.needs.data or "",
    )
    return signup.token


def _start_mobile_signup(open_day: OpenDay, form) -> str:
    """Keep the form and send the code; the verification's token."""
    token, _code = operations.start_mobile_signup(
        open_day,
        name=form.name.data,
        mobile=form.mobile.data or "",
        companions=form.companions.data,
        answers=answers_of(form, open_day),
        needs=form.needs.data or "",
    )
    return token


@bp.route("/open-days/<int:open_day_id>/signup", methods=["GET", "POST"])
@limiter.shared_limit(_verification_limit, scope="open-day-signup", methods=["POST"])
def sign_up(open_day_id: int):
    g.private_page = True
    open_day = _public(open_day_id)
    if not can_sign_up(current_user, open_day):
        return render_template("opendays/closed.html", open_day=open_day), 409
    signed_in = current_user.is_authenticated
    form = (
        signup_form(open_day)
        if request.method == "POST"
        else signup_form(open_day, name=current_user.display_name if signed_in else None)
    )
    if form.validate_on_submit():
        if signed_in:
            done = perform(_sign_up_signed_in, open_day, form, form=form)
            if done:
                return redirect(url_for("opendays.show_signup", token=done.value, new=1))
        else:
            done = perform(_start_mobile_signup, open_day, form, form=form, field="mobile")
            if done:
                session[SESSION_KEY] = done.value
                return redirect(url_for("opendays.verify_signup", open_day_id=open_day.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "opendays/signup.html", open_day=open_day, form=form, signed_in=signed_in
    ), status


@bp.route("/open-days/<int:open_day_id>/signup/verify", methods=["GET", "POST"])
@limiter.shared_limit(_verification_limit, scope="open-day-verify", methods=["POST"])
def verify_signup(open_day_id: int):
    g.private_page = True
    open_day = _public(open_day_id)
    require(can_view_open_day(current_user, open_day))
    token = session.get(SESSION_KEY)
    pending = operations.pending_verification(token)
    if pending is None or pending.open_day_id != open_day.id:
        return redirect(url_for("opendays.sign_up", open_day_id=open_day.id))
    form = VerifyForm()
    if form.validate_on_submit():
        done = perform(_confirm, open_day, token, form.code.data, form=form, keep_on_error=True)
        if done:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("opendays.show_signup", token=done.value, new=1))
    return render_template("opendays/verify.html", open_day=open_day, form=form, pending=pending)


def _confirm(open_day: OpenDay, token: str, code: str) -> str:
    """Confirm the code; the signup's private token."""
    return operations.confirm_mobile_signup(open_day, token, code).token


def _companion_choices(open_day: OpenDay) -> list[tuple[int, str]]:
    return [(n, str(n)) for n in range(open_day.companions_allowed + 1)]


def _signup_or_404(token: str):
    g.private_page = True
    signup = operations.signup_by_token(token)
    if signup is None:
        abort(404)
    return signup


@bp.route("/open-days/signups/<token>")
def show_signup(token: str):
    signup = _signup_or_404(token)
    open_day = signup.open_day
    qr = None
    if signup.state == SignupState.CONFIRMED:
        import segno  # on first use, not at every start-up

        svg = segno.make(signup.code, error="m").svg_inline(
            scale=6, title=_("Check-in code %(code)s", code=signup.code)
        )
        qr = Markup(svg)  # noqa: S704 - segno's own SVG of our code (escaped title)
    companions = CompanionsForm(companions=signup.companions)
    companions.companions.choices = _companion_choices(open_day)
    return render_template(
        "opendays/signup_page.html",
        signup=signup,
        open_day=open_day,
        qr=qr,
        new=request.args.get("new") == "1",
        can_manage=can_manage_signup(current_user, signup),
        companions_form=companions,
        form=TokenForm(),
        states=SignupState,
    )


@bp.route("/open-days/signups/<token>/cancel", methods=["POST"])
def cancel_signup(token: str):
    signup = _signup_or_404(token)
    require(can_manage_signup(current_user, signup))
    if TokenForm().validate_on_submit():
        perform(operations.cancel_signup, signup, success=_("Your signup has been cancelled."))
    return redirect(url_for("opendays.show_signup", token=token))


@bp.route("/open-days/signups/<token>/decline", methods=["POST"])
def decline_place(token: str):
    signup = _signup_or_404(token)
    require(can_manage_signup(current_user, signup))
    if TokenForm().validate_on_submit():
        perform(
            operations.decline_promotion,
            signup,
            success=_("You have declined the place. Thank you for telling us."),
        )
    return redirect(url_for("opendays.show_signup", token=token))


@bp.route("/open-days/signups/<token>/companions", methods=["POST"])
def change_companions(token: str):
    signup = _signup_or_404(token)
    require(can_manage_signup(current_user, signup))
    form = CompanionsForm()
    form.companions.choices = _companion_choices(signup.open_day)
    if form.validate_on_submit():
        perform(
            operations.change_companions,
            signup,
            form.companions.data,
            success=_("The number of companions has been changed."),
        )
    else:
        from flask import flash

        flash(_("Choose one of the options offered."), "error")
    return redirect(url_for("opendays.show_signup", token=token))


def _answer(signup, form: QuestionnaireForm) -> None:
    """Store the answers; the open answer becomes an opinion."""
    questionnaire.answer(
        signup,
        satisfaction=form.satisfaction.data,
        liked=form.liked.data,
        open_answer=form.open_answer.data or "",
        consent_to_publish=form.consent_to_publish.data,
    )


@bp.route("/open-days/signups/<token>/questionnaire", methods=["GET", "POST"])
def answer_questionnaire(token: str):
    signup = _signup_or_404(token)
    require(can_answer_questionnaire(current_user, signup))
    answered = (
        db.session.scalar(
            sa.select(QuestionnaireResponse.id).where(QuestionnaireResponse.signup_id == signup.id)
        )
        is not None
    )
    form = QuestionnaireForm()
    form.liked.choices = [(key, str(text)) for key, text in LIKED_OPTIONS.items()]
    if (
        not answered
        and form.validate_on_submit()
        and perform(
            _answer,
            signup,
            form,
            form=form,
            success=_("Thank you! Your answers have been received."),
        )
    ):
        return redirect(url_for("opendays.answer_questionnaire", token=token))
    return render_template(
        "opendays/questionnaire.html",
        signup=signup,
        open_day=signup.open_day,
        form=form,
        answered=answered,
    )
