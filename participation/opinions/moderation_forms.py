"""Moderation forms: the citizen's report, the moderation queue's actions, the
sensitive-word list and the report threshold."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from participation.core.forms_common import (
    Form,
    file_required,
    length,
    number_range,
    required,
)
from participation.opinions.models import MODERATION_REASON_LABELS, ModerationReason
from participation.opinions.moderation_models import REPORT_NOTE_MAX, REPORT_REASONS

REPORT_REASON_LABELS = {reason: MODERATION_REASON_LABELS[reason] for reason in REPORT_REASONS}


def hiding_reason_choices(empty: bool = True) -> list[tuple[str, object]]:
    """The reasons a moderator hides with, for a select (first: "choose a reason")."""
    choices = [("", _l("Choose a reason"))] if empty else []
    return choices + [(reason.value, MODERATION_REASON_LABELS[reason])
                      for reason in ModerationReason]


class ReportForm(Form):
    reason = RadioField(_l("Why do you report this opinion?"),
                        choices=[(r.value, REPORT_REASON_LABELS[r]) for r in REPORT_REASONS],
                        validators=[required(_l("Choose why you report this opinion."))])
    note = TextAreaField(_l("Anything to add (optional)"),
                         validators=[Optional(), length(max=REPORT_NOTE_MAX)],
                         render_kw={"rows": 3, "maxlength": REPORT_NOTE_MAX})


class ModerationActionForm(Form):
    """The queue's bulk fields; the opinions and the per-opinion reasons are read from
    the request by the view (one form holds the whole page, so it works without
    JavaScript)."""

    reason = SelectField(_l("Reason for hiding"), choices=hiding_reason_choices(),
                         validators=[Optional()])
    note = StringField(_l("Note (required for “other reason”)"),
                       validators=[Optional(), length(max=500)])


class SensitiveWordsForm(Form):
    words = TextAreaField(_l("Words to add, one per line"),
                          validators=[required(_l("Enter at least one word.")),
                                      length(max=200_000)],
                          render_kw={"rows": 5})


class SensitiveWordFileForm(Form):
    file = FileField(_l("Text file, one word per line (UTF-8 or GBK)"),
                     validators=[file_required(_l("Choose the file to import."))])


class ReportThresholdForm(Form):
    report_threshold = IntegerField(
        _l("Reports that hide an opinion pending review"),
        validators=[required(_l("Enter a number from 1 to 100.")), number_range(1, 100)],
        description=_l("A public opinion reported by this many people is hidden until a "
                       "moderator reviews it."))
