"""Catalogue forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participation.catalogue.models import STAGE_LABELS, Stage


class CatalogueForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)],
                        description=_l("Leave empty for the standard title."))
    introduction = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=5000)])


class DecisionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    unit_id = SelectField(_l("Responsible unit"), coerce=int, validators=[DataRequired()])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=100)])
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Optional(), Length(max=5000)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    planned_completion = DateField(_l("Planned completion"), validators=[Optional()])
    confidential = BooleanField(
        _l("Confidential: kept out of the public catalogue (依法应当保密)"))
    reason = TextAreaField(
        _l("Reason for the change"), validators=[Optional(), Length(max=2000)],
        description=_l("Required once the catalogue is published; shown publicly."),
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason for withdrawing"),
                           validators=[DataRequired(), Length(max=2000)])


class StageForm(FlaskForm):
    stage = SelectField(_l("New stage"),
                        choices=[(s.value, STAGE_LABELS[s]) for s in Stage])
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class PublishCatalogueForm(FlaskForm):
    published_on = DateField(_l("Publication date"), validators=[Optional()])
