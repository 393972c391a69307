"""Catalogue forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from participation.catalogue.models import STAGE_LABELS, Stage
from participation.core.forms_common import Form, length, number_range, required


class CatalogueForm(Form):
    year = IntegerField(_l("Year"), validators=[required(_l("Enter the year, e.g. 2026.")),
                                               number_range(2000, 2100)])
    title = StringField(_l("Title"), validators=[Optional(), length(max=200)],
                        description=_l("Leave empty for the standard title."))
    introduction = TextAreaField(_l("Introduction"), validators=[Optional(), length(max=5000)])


class DecisionForm(Form):
    title = StringField(_l("Title"),
                        validators=[required(_l("Enter the title of the decision.")),
                                    length(max=300)])
    unit_id = SelectField(_l("Responsible unit"), coerce=int,
                          validators=[required(_l("Choose the responsible unit."))])
    category = StringField(_l("Category"), validators=[Optional(), length(max=100)])
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Optional(), length(max=5000)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), length(max=5000)])
    planned_completion = DateField(_l("Planned completion"), validators=[Optional()])
    confidential = BooleanField(
        _l("Confidential: kept out of the public catalogue"))
    reason = TextAreaField(
        _l("Reason for the change"), validators=[Optional(), length(max=2000)],
        description=_l("Required once the catalogue is published; shown publicly."),
    )


class WithdrawForm(Form):
    reason = TextAreaField(_l("Reason for withdrawing"),
                           validators=[required(_l("Give the reason for withdrawing.")),
                                       length(max=2000)])


class StageForm(Form):
    stage = SelectField(_l("New stage"),
                        choices=[(s.value, STAGE_LABELS[s]) for s in Stage])
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), length(max=2000)])


class DocumentIssuedForm(Form):
    document_issued_on = DateField(
        _l("Decision document issued on"),
        validators=[required(_l("Enter the date the decision document was issued."))],
        description=_l("The feedback report on the opinions is due 10 working days after "
                       "it, or the number of working days your government set."))


class PublishCatalogueForm(Form):
    published_on = DateField(_l("Publication date"), validators=[Optional()])
