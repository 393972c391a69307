"""The working-day calendar in the administration: the stored years and entering a new
one from the State Council's notice (preview, then confirm)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.accounts.forms import HolidayNoticeForm
from participation.accounts.models import Government
from participation.accounts.permissions import can_manage_workdays
from participation.accounts.views import bp
from participation.core.permissions import load_or_404
from participation.core.timeutil import local_today
from participation.core.transaction import perform
from participation.core.workdays.calendar import known_years
from participation.core.workdays.models import CalendarYear, DayKind
from participation.core.workdays.notice import parse_notice
from participation.core.workdays.operations import add_year, year_needed
from participation.extensions import db


def _government(government_id: int) -> Government:
    return load_or_404(Government, government_id, can_manage_workdays)


@bp.route("/admin/governments/<int:government_id>/workdays")
@login_required
def list_calendar_years(government_id: int):
    government = _government(government_id)
    years = [db.session.get(CalendarYear, year) for year in reversed(known_years())]
    return render_template("accounts/workdays.html", government=government, years=years,
                           missing_year=year_needed(local_today()), DayKind=DayKind)


@bp.route("/admin/governments/<int:government_id>/workdays/<int:year>")
@login_required
def show_calendar_year(government_id: int, year: int):
    government = _government(government_id)
    calendar_year = load_or_404(CalendarYear, year, lambda user, _row: True)
    return render_template("accounts/workdays_year.html", government=government,
                           calendar_year=calendar_year, DayKind=DayKind)


@bp.route("/admin/governments/<int:government_id>/workdays/new", methods=["GET", "POST"])
@login_required
def add_calendar_year(government_id: int):
    government = _government(government_id)
    form = HolidayNoticeForm()
    parsed = None
    if request.method == "GET":
        form.year.data = year_needed(local_today())
    if form.validate_on_submit():
        parsed = parse_notice(form.notice_text.data, form.year.data)
        if parsed.problems:
            form.notice_text.errors.append(_("The notice could not be read completely; see "
                                             "the problems listed below."))
        elif "confirm" in request.form and perform(
                add_year, parsed, source=form.source.data, notice_text=form.notice_text.data,
                actor=current_user, government_id=government.id, replace=form.replace.data,
                form=form, success=_("The holiday schedule of %(year)d has been stored.",
                                     year=parsed.year)):
            return redirect(url_for("accounts.show_calendar_year",
                                    government_id=government.id, year=parsed.year))
    return render_template("accounts/workdays_new.html", government=government, form=form,
                           parsed=parsed, DayKind=DayKind)
