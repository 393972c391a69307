"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import EqualTo, NumberRange, Optional

from participation.accounts.models import Role
from participation.core.forms_common import Form, length, required


class LoginForm(Form):
    identifier = StringField(_l("Mobile number or e-mail"),
                             validators=[required(_l("Enter your mobile number or e-mail.")),
                                         length(max=200)])
    password = PasswordField(_l("Password"),
                             validators=[required(_l("Enter your password.")), length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class RegisterForm(Form):
    identifier = StringField(
        _l("Mobile number or e-mail"),
        validators=[required(_l("Enter your mobile number or e-mail.")), length(max=200)],
        description=_l("We send a verification code to it. It is never shown publicly."),
    )
    display_name = StringField(_l("Name"),
                               validators=[required(_l("Enter the name to show.")),
                                           length(max=100)],
                               description=_l("Shown with your opinions unless you choose "
                                              "to be anonymous."))
    password = PasswordField(
        _l("Password"),
        validators=[required(_l("Choose a password of at least 8 characters.")),
                    length(min=8, max=200,
                           message=_l("Choose a password of at least 8 characters."))],
        description=_l("At least 8 characters, not a common password "
                                "and not your number or name."))
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[required(_l("Type the password a second time.")),
                    EqualTo("password", message=_l("The passwords differ."))],
    )


class VerifyForm(Form):
    code = StringField(_l("Verification code"),
                       validators=[required(_l("Enter the code we sent you.")),
                                   length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})


class DeleteAccountForm(Form):
    password = PasswordField(_l("Your password"),
                             validators=[required(_l("Enter your password."))])
    confirm = BooleanField(_l("I understand that my account is deleted for good; my opinions "
                              "stay, without my name."),
                           validators=[required(_l("Tick the box to confirm the deletion."))])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"),
                                     validators=[required(_l("Enter your current password."))])
    new_password = PasswordField(
        _l("New password"),
        validators=[required(_l("Choose a password of at least 8 characters.")),
                    length(min=8, max=200,
                           message=_l("Choose a password of at least 8 characters."))])


class UnitForm(Form):
    name = StringField(_l("Unit name"),
                       validators=[required(_l("Enter the name of the unit.")), length(max=200)])
    parent_id = SelectField(_l("Part of"), coerce=int, validators=[Optional()])


class OfficialForm(Form):
    email = StringField(_l("E-mail"),
                        validators=[required(_l("Enter the official's e-mail address.")),
                                    length(max=200)])
    display_name = StringField(_l("Name"),
                               validators=[required(_l("Enter the official's name.")),
                                           length(max=100)])
    password = PasswordField(
        _l("Initial password"),
        validators=[required(_l("Choose a password of at least 8 characters.")),
                    length(min=8, max=200,
                           message=_l("Choose a password of at least 8 characters."))])
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])


class HolidayNoticeForm(Form):
    """A year's holiday schedule, pasted from the State Council's notice."""

    year = IntegerField(
        _l("Year"), validators=[Optional(), NumberRange(
            min=2000, max=2100, message=_l("Enter a year between 2000 and 2100."))],
        description=_l("Leave empty when the pasted text includes the notice's title."))
    source = StringField(
        _l("Notice"), validators=[required(_l("Name the notice the schedule comes from.")),
                                  length(max=300)],
        description=_l("Its title or number, e.g. 国办发明电〔2026〕7号."))
    notice_text = TextAreaField(
        _l("Text of the notice"),
        validators=[required(_l("Paste the numbered paragraphs of the notice.")),
                    length(max=20000)],
        description=_l("Paste the paragraphs “一、元旦：…” to the last holiday as published; "
                       "full-width and half-width characters are both read."))
    replace = BooleanField(_l("Replace the stored schedule of this year"))
