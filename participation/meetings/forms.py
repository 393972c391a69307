"""Forms of decision meetings: the officials' (meeting, agenda, materials, seats, call,
review, selection, roll, minutes, statements) and the public application form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from participation.consultations.forms import DATETIME_FORMATS
from participation.core.forms_common import Form, length, number_range, required
from participation.meetings.models import (
    ATTENDANCE_LABELS,
    MATERIAL_KIND_LABELS,
    MEETING_KIND_LABELS,
    SEAT_CATEGORY_LABELS,
    SELECTION_METHOD_LABELS,
    SeatCategory,
)


class MeetingForm(Form):
    title = StringField(
        _l("Title"), validators=[required(_l("Give the meeting a title.")), length(max=300)]
    )
    kind = RadioField(
        _l("Kind of meeting"),
        choices=[(k.value, v) for k, v in MEETING_KIND_LABELS.items()],
        default="executive",
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMATS,
        validators=[required(_l("Enter when the meeting starts, e.g. 2026-03-31 09:00."))],
    )
    place = StringField(_l("Place"), validators=[Optional(), length(max=300)])
    published = BooleanField(_l("Announce the meeting publicly now"))


class MeetingEditForm(Form):
    """Edit a scheduled meeting: title, kind, date and place."""

    title = StringField(
        _l("Title"), validators=[required(_l("Give the meeting a title.")), length(max=300)]
    )
    kind = RadioField(
        _l("Kind of meeting"),
        choices=[(k.value, v) for k, v in MEETING_KIND_LABELS.items()],
        validators=[InputRequired(_l("Choose the kind of meeting."))],
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMATS,
        validators=[required(_l("Enter when the meeting starts, e.g. 2026-03-31 09:00."))],
    )
    place = StringField(_l("Place"), validators=[Optional(), length(max=300)])


class CancelMeetingForm(Form):
    reason = TextAreaField(
        _l("Reason for the cancellation (shown publicly, sent to the applicants)"),
        validators=[
            required(_l("Give the reason for the cancellation.")),
            length(max=2000),
        ],
    )


class WithdrawOwnApplicationForm(Form):
    confirm = BooleanField(
        _l("Yes, I withdraw my application"),
        validators=[InputRequired(_l("Tick the box to confirm that you withdraw."))],
    )


class AgendaItemForm(Form):
    decision_id = SelectField(
        _l("Decision"), coerce=int, validate_choice=False, validators=[Optional()]
    )
    invite_representatives = RadioField(
        _l("The unit proposes to invite representatives"),
        choices=[("yes", _l("Yes, invite representatives")), ("no", _l("No"))],
        default="yes",
    )
    invite_reason = TextAreaField(
        _l("Reason for the proposal"),
        validators=[Optional(), length(max=5000)],
        description=_l("Required either way; shown publicly with the agenda."),
    )
    affects_enterprises = BooleanField(_l("The policy affects enterprises"))
    enterprise_symposium = TextAreaField(
        _l("Symposium with enterprises held (date, who took part)"),
        validators=[Optional(), length(max=5000)],
    )


class MaterialForm(Form):
    kind = SelectField(
        _l("Material"), choices=[(k.value, v) for k, v in MATERIAL_KIND_LABELS.items()]
    )
    object_id = SelectField(_l("Which"), coerce=int, validate_choice=False, validators=[Optional()])


class MinutesForm(Form):
    discussion = TextAreaField(_l("Discussion"), validators=[Optional(), length(max=5000)])
    dissent = TextAreaField(_l("Dissent recorded"), validators=[Optional(), length(max=5000)])
    result = TextAreaField(_l("Result"), validators=[Optional(), length(max=5000)])


class SeatsForm(Form):
    """One number field per category, added below."""


for _category in SeatCategory:
    setattr(
        SeatsForm,
        f"seats_{_category.value}",
        IntegerField(
            SEAT_CATEGORY_LABELS[_category],
            default=0,
            validators=[Optional(), number_range(0, 100)],
        ),
    )


class OpenCallForm(Form):
    opens_at = DateTimeLocalField(
        _l("Applications open"),
        format=DATETIME_FORMATS,
        validators=[required(_l("Enter when applications open, e.g. 2026-03-01 09:00."))],
    )
    closes_at = DateTimeLocalField(
        _l("Applications close"),
        format=DATETIME_FORMATS,
        validators=[required(_l("Enter when applications close, e.g. 2026-03-10 17:00."))],
    )
    eligibility = TextAreaField(_l("Who may apply"), validators=[Optional(), length(max=5000)])
    selection_method = RadioField(
        _l("Selection method"),
        choices=[(k.value, v) for k, v in SELECTION_METHOD_LABELS.items()],
        default="lottery",
    )
    public_value_source = TextAreaField(
        _l("Public random value that will seed the lottery"),
        validators=[Optional(), length(max=1000)],
        description=_l(
            "A value nobody controls, published after the review ends: e.g. the "
            "winning numbers of a named national lottery draw on a named date."
        ),
    )
    draw_on = DateField(_l("Date of the draw"), validators=[Optional()])


class ReviewForm(Form):
    eligible = RadioField(
        _l("Eligible"),
        choices=[("yes", _l("Eligible")), ("no", _l("Not eligible"))],
        validators=[InputRequired(_l("Choose eligible or not eligible."))],
    )
    reason = TextAreaField(
        _l("Reason (the applicant sees it)"), validators=[Optional(), length(max=2000)]
    )


class DrawForm(Form):
    public_value = StringField(
        _l("Public random value, exactly as published"),
        validators=[
            required(_l("Enter the public random value exactly as published.")),
            length(max=1000),
        ],
    )


class ChooseForm(Form):
    reason = TextAreaField(
        _l("Why this applicant (shown publicly)"),
        validators=[required(_l("Give the reason for the choice.")), length(max=2000)],
    )


class CheckInForm(Form):
    code = StringField(
        _l("Check-in code"), validators=[required(_l("Enter the check-in code.")), length(max=20)]
    )


class AttendanceForm(Form):
    attendance = SelectField(
        _l("Attendance"), choices=[(k.value, v) for k, v in ATTENDANCE_LABELS.items()]
    )
    substitute_name = StringField(_l("Substitute's name"), validators=[Optional(), length(max=100)])


class StatementForm(Form):
    entry_id = SelectField(
        _l("Representative"), coerce=int, validate_choice=False, validators=[Optional()]
    )
    item_id = SelectField(
        _l("Agenda item"), coerce=int, validate_choice=False, validators=[Optional()]
    )
    body = TextAreaField(
        _l("What the representative said"),
        validators=[
            required(_l("Enter the statement, at least 5 characters.")),
            length(min=5, max=5000),
        ],
        render_kw={"rows": 6},
    )


class ApplicationForm(Form):
    name = StringField(
        _l("Your name"), validators=[required(_l("Enter your name.")), length(max=100)]
    )
    contact = StringField(
        _l("Phone or e-mail (private)"),
        validators=[
            required(_l("Enter a phone number or e-mail address we can reach you at.")),
            length(max=200),
        ],
        description=_l("Only the officials handling the applications see it."),
    )
    category = SelectField(_l("You apply as"), choices=[], validate_choice=False)
    organisation = StringField(
        _l("Organisation (optional)"), validators=[Optional(), length(max=200)]
    )
    statement_of_interest = TextAreaField(
        _l("Why you want to attend"), validators=[Optional(), length(max=5000)]
    )
    conflict_declaration = TextAreaField(
        _l("Conflicts of interest"),
        validators=[Optional(), length(max=5000)],
        description=_l(
            "Say whether you or your organisation stand to gain or lose from "
            "the decision; write “none” if there are none."
        ),
    )
    consent_to_publish_name = BooleanField(
        _l("If I attend, my name may appear in the public attendance record")
    )
    consent = BooleanField(
        _l(
            "I agree that my application is handled as described: my contact stays private "
            "and my public code is shown"
        )
    )
    submission_key = HiddenField()
