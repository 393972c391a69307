"""Forms of the groups pages. Lists of chosen groups or opinions come as repeated
checkbox values (``group_ids``, ``opinion_ids``), read by :func:`chosen_ids`."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from participation.core.forms_common import Form, length, number_range, required
from participation.opinions.grouping.models import DEFAULT_THRESHOLD
from participation.opinions.grouping.operations import SUMMARY_MAX, THRESHOLD_MAX
from participation.opinions.models import DISPOSITION_LABELS, DISPOSITION_REASON_MAX

MAX_CHOSEN = 5_000


def chosen_ids(name: str) -> list[int]:
    """The positive whole numbers among the form's repeated ``name`` values (others
    ignored), at most :data:`MAX_CHOSEN`."""
    values = []
    for value in request.form.getlist(name)[:MAX_CHOSEN]:
        if value.isascii() and value.isdigit() and 0 < int(value) < 2**31:
            values.append(int(value))
    return values


class SummaryForm(Form):
    summary = StringField(_l("Summary of the shared point"),
                          validators=[length(max=SUMMARY_MAX)])


class DispositionForm(Form):
    disposition = SelectField(
        _l("Disposition"), choices=[("", _l("Choose …"))] + [
            (code.value, text) for code, text in DISPOSITION_LABELS.items()],
        validators=[required(_l("Choose a disposition."))])
    reason = TextAreaField(_l("Reason"), validators=[length(max=DISPOSITION_REASON_MAX)],
                           description=_l("Required for every concentrated opinion and for "
                                          "every disposition but “adopted”; published in "
                                          "the feedback report."))


class SplitForm(Form):
    new_group = BooleanField(_l("Put the chosen opinions into a new group of their own"))


class ThresholdForm(Form):
    threshold = IntegerField(
        _l("A group is a concentrated opinion from this many opinions"),
        default=DEFAULT_THRESHOLD,
        validators=[required(_l("Give a whole number from 2 to %(max)d.", max=THRESHOLD_MAX)),
                    number_range(2, THRESHOLD_MAX)])


class GroupFilterForm(Form):
    class Meta:
        csrf = False

    concentrated = BooleanField(_l("Only concentrated opinions"), validators=[Optional()])
