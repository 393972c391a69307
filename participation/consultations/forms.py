"""Consultation forms (times are entered in local time, Asia/Shanghai)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DraftSourceMixin:
    text = TextAreaField(
        _l("Draft text"),
        validators=[Optional(), Length(max=300_000)],
        description=_l(
            "Paste the full text: chapters (第一章), articles (第一条) or outline "
            "headings (一、（一）1.) are recognised. Or upload a .docx file."
        ),
        render_kw={"rows": 18},
    )
    docx = FileField(_l("or a Word file (.docx)"))


class OpenConsultationForm(DraftSourceMixin, FlaskForm):
    title = StringField(_l("Title of the draft"), validators=[DataRequired(), Length(max=300)])
    opens_at = DateTimeLocalField(_l("Opens"), format=DATETIME_FORMATS, validators=[DataRequired()])
    closes_at = DateTimeLocalField(
        _l("Closes"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
    short_period_reason = TextAreaField(
        _l("Reason for a period shorter than 30 days"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when the period is shorter than 30 days; shown publicly."),
    )
    postal_address = StringField(
        _l("Postal address for letters"), validators=[Optional(), Length(max=300)]
    )
    email = StringField(
        _l("E-mail address for opinions"), validators=[Optional(), Email(), Length(max=200)]
    )
    hotline = StringField(_l("Hotline"), validators=[Optional(), Length(max=50)])
    other_channels = TextAreaField(
        _l("Other ways (symposiums, hearings …)"), validators=[Optional(), Length(max=2000)]
    )
    opinions_public = BooleanField(
        _l("Show opinions publicly (only those whose authors agree)"), default=True
    )


class RevisionForm(DraftSourceMixin, FlaskForm):
    change_note = TextAreaField(
        _l("What changed"),
        validators=[
            DataRequired(
                message=_l(
                    "Say what changed from the previous version; it is shown with the revision."
                )
            ),
            Length(max=5000),
        ],
    )


class CloseForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for closing early"), validators=[DataRequired(), Length(max=2000)]
    )


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField(
        _l("New closing time"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
