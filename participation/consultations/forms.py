"""Consultation forms (times are entered in local time, Asia/Shanghai)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.validators import Optional

from participation.consultations.models import MODERATION_MODE_LABELS, ModerationMode
from participation.core.forms_common import Form, email, length, required

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DraftSourceMixin:
    text = TextAreaField(
        _l("Draft text"),
        validators=[Optional(), length(max=300_000)],
        description=_l(
            "Paste the full text: chapters (第一章), articles (第一条) or outline "
            "headings (一、（一）1.) are recognised. Or upload a .docx file."
        ),
        render_kw={"rows": 18},
    )
    docx = FileField(_l("or a Word file (.docx)"))


class OpenConsultationForm(DraftSourceMixin, Form):
    title = StringField(_l("Title of the draft"),
                        validators=[required(_l("Enter the title of the draft.")),
                                    length(max=300)])
    opens_at = DateTimeLocalField(
        _l("Opens"), format=DATETIME_FORMATS,
        validators=[required(_l("Enter when the consultation opens, e.g. 2026-03-31 09:00."))])
    closes_at = DateTimeLocalField(
        _l("Closes"), format=DATETIME_FORMATS,
        validators=[required(_l("Enter when the consultation closes, e.g. 2026-04-30 17:00."))],
    )
    short_period_reason = TextAreaField(
        _l("Reason for a period shorter than 30 days"),
        validators=[Optional(), length(max=2000)],
        description=_l("Required when the period is shorter than 30 days; shown publicly."),
    )
    postal_address = StringField(
        _l("Postal address for letters"), validators=[Optional(), length(max=300)]
    )
    email = StringField(
        _l("E-mail address for opinions"), validators=[Optional(), email(), length(max=200)]
    )
    hotline = StringField(_l("Hotline"), validators=[Optional(), length(max=50)])
    other_channels = TextAreaField(
        _l("Other ways (symposiums, hearings …)"), validators=[Optional(), length(max=2000)]
    )
    opinions_public = BooleanField(
        _l("Show opinions publicly (only those whose authors agree)"), default=True
    )
    moderation_mode = RadioField(
        _l("Moderation"),
        choices=[(mode.value, MODERATION_MODE_LABELS[mode]) for mode in ModerationMode],
        default=ModerationMode.POST.value,
        validators=[required(_l("Choose when opinions are published."))],
        description=_l("The public page says which applies."),
    )


class RevisionForm(DraftSourceMixin, Form):
    change_note = TextAreaField(
        _l("What changed"),
        validators=[required(_l("Say what changed from the previous version; it is shown "
                                "with the revision.")), length(max=5000)])


class CloseForm(Form):
    reason = TextAreaField(
        _l("Reason for closing early"),
        validators=[required(_l("Give the reason for closing early.")), length(max=2000)]
    )


class ExtendForm(Form):
    closes_at = DateTimeLocalField(
        _l("New closing time"), format=DATETIME_FORMATS,
        validators=[required(_l("Enter the new closing time, e.g. 2026-05-15 17:00."))]
    )
