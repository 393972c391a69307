"""Forms of open days: the organizer's event form, the signup form, the desk."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Optional

from participation.core.forms_common import Form, length, number_range, required

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class OpenDayForm(Form):
    unit_id = SelectField(
        _l("Organizing unit"), coerce=int, validators=[required(_l("Choose the organizing unit."))]
    )
    title = StringField(_l("Title"), validators=[required(_l("Enter the title.")), length(max=200)])
    theme = StringField(
        _l("Topic"),
        validators=[Optional(), length(max=200)],
        description=_l("For example the business environment, education or safety."),
    )
    decision_id = SelectField(_l("Linked decision"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("Programme"), validators=[Optional(), length(max=10000)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMATS, validators=[required(_l("Enter when it starts."))]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format=DATETIME_FORMATS, validators=[required(_l("Enter when it ends."))]
    )
    place = StringField(_l("Place"), validators=[required(_l("Enter the place.")), length(max=300)])
    accessibility = TextAreaField(
        _l("Accessibility"),
        validators=[Optional(), length(max=2000)],
        description=_l("Step-free access, seats, toilets, help on site."),
    )
    capacity = IntegerField(
        _l("Places"),
        validators=[InputRequired(_l("Enter the number of places.")), number_range(1, 100000)],
        description=_l("Companions take places too."),
    )
    companions_allowed = IntegerField(
        _l("Companions per signup"), default=0, validators=[Optional(), number_range(0, 20)]
    )
    signup_opens_at = DateTimeLocalField(
        _l("Signups open"),
        format=DATETIME_FORMATS,
        validators=[required(_l("Enter when signups open."))],
    )
    signup_closes_at = DateTimeLocalField(
        _l("Signups close"),
        format=DATETIME_FORMATS,
        validators=[required(_l("Enter when signups close."))],
    )
    promotion_stop_hours = IntegerField(
        _l("The waitlist stops moving (hours before the start)"),
        default=24,
        validators=[Optional(), number_range(0, 720)],
        description=_l("After this, freed places are no longer offered to the waitlist."),
    )
    questions = TextAreaField(
        _l("Questions to people signing up"),
        validators=[Optional(), length(max=3000)],
        description=_l("One question per line; start a line with * when an answer is required."),
    )


class SignupForm(Form):
    """The signup form; the open day's own questions are added as ``answer_<key>``."""

    name = StringField(_l("Name"), validators=[required(_l("Enter your name.")), length(max=100)])
    mobile = StringField(
        _l("Mobile number"),
        validators=[Optional(), length(max=30)],
        description=_l("We send a verification code to this number. It is never shown publicly."),
    )
    companions = SelectField(_l("Companions"), coerce=int, default=0)
    needs = TextAreaField(
        _l("Accessibility needs"),
        validators=[Optional(), length(max=500)],
        description=_l("A wheelchair, a seat, sign language …"),
    )


def signup_form(open_day, formdata=None, **kwargs) -> SignupForm:
    """The signup form of ``open_day``: companions up to its allowance and a field per
    question."""

    class _Form(SignupForm):
        pass

    for question in open_day.questions or []:
        validators = [length(max=1000)]
        validators.insert(
            0, required(_l("Answer this question.")) if question.get("required") else Optional()
        )
        setattr(
            _Form,
            f"answer_{question['key']}",
            StringField(question["label"], validators=validators),
        )
    form = _Form(formdata, **kwargs) if formdata is not None else _Form(**kwargs)
    form.companions.choices = [(n, str(n)) for n in range(open_day.companions_allowed + 1)]
    return form


def answers_of(form: SignupForm, open_day) -> dict[str, str]:
    return {
        q["key"]: getattr(form, f"answer_{q['key']}").data or "" for q in open_day.questions or []
    }


class VerifyForm(Form):
    code = StringField(
        _l("Verification code"),
        validators=[required(_l("Enter the 6-digit code.")), length(max=10)],
    )


class CompanionsForm(Form):
    companions = SelectField(_l("Companions"), coerce=int, default=0)


class CheckInForm(Form):
    code = StringField(
        _l("Check-in code"),
        validators=[required(_l("Type the code on the confirmation.")), length(max=20)],
    )


class WalkInForm(Form):
    name = StringField(_l("Name"), validators=[Optional(), length(max=100)])
    people = IntegerField(
        _l("People"),
        default=1,
        validators=[InputRequired(_l("Enter the number of people.")), number_range(1, 100)],
    )
    needs = StringField(_l("Accessibility needs"), validators=[Optional(), length(max=500)])


class CapacityForm(Form):
    capacity = IntegerField(
        _l("Places"),
        validators=[InputRequired(_l("Enter the number of places.")), number_range(1, 100000)],
    )


class TokenForm(Form):
    """A POST button of the manage page (CSRF only)."""

    next = HiddenField()


class QuestionnaireForm(Form):
    satisfaction = RadioField(
        _l("How satisfied were you with the open day?"),
        coerce=int,
        choices=[
            (5, _l("Very satisfied")),
            (4, _l("Satisfied")),
            (3, _l("Neutral")),
            (2, _l("Unsatisfied")),
            (1, _l("Very unsatisfied")),
        ],
        validators=[InputRequired(_l("Choose how satisfied you were, from 1 to 5."))],
    )
    liked = SelectMultipleField(
        _l("What was useful?"),
        validators=[Optional()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    open_answer = TextAreaField(
        _l("Your opinions and suggestions"),
        validators=[Optional(), length(max=5000)],
        description=_l(
            "They are studied and answered like the opinions of a consultation. "
            "Phone and ID numbers are hidden."
        ),
    )
    consent_to_publish = BooleanField(_l("My words may be published (with my name)"))
