"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from participation.accounts.models import Role


class LoginForm(FlaskForm):
    identifier = StringField(_l("Mobile number or e-mail"),
                             validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    identifier = StringField(
        _l("Mobile number or e-mail"), validators=[DataRequired(), Length(max=200)],
        description=_l("We send a verification code to it. It is never shown publicly."),
    )
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                               description=_l("Shown with your opinions unless you choose "
                                              "to be anonymous."))
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)],
                             description=_l("At least 8 characters, not a common password "
                                            "and not your number or name."))
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class VerifyForm(FlaskForm):
    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(_l("I understand that my account is deleted for good; my opinions "
                              "stay, without my name."), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=8, max=200)])


class UnitForm(FlaskForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("Part of"), coerce=int, validators=[Optional()])


class OfficialForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=200)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Initial password"),
                             validators=[DataRequired(), Length(min=8, max=200)])
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])
