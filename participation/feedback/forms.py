"""Forms of the feedback report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Optional, Regexp

from participation.core.forms_common import Form, length


class NarrativeForm(Form):
    how_held = TextAreaField(
        _l("How the consultation was held"), validators=[Optional(), length(max=20000)],
        description=_l("Channels, symposiums and hearings, anything the figures do not say."))
    adoption_summary = TextAreaField(
        _l("What was adopted, and why the rest was not"),
        validators=[Optional(), length(max=20000)])
    correction_reason = TextAreaField(
        _l("What this version corrects, and why"), validators=[Optional(), length(max=2000)],
        description=_l("Needed for every version after the first; shown publicly with it."))


class OpenDayNarrativeForm(Form):
    """The narrative of an open day's event feedback report (same columns as a
    consultation's: what happened, and the answers given)."""

    how_held = TextAreaField(
        _l("How the open day went"), validators=[Optional(), length(max=20000)],
        description=_l("What the visitors saw and discussed, anything the figures do not say."))
    adoption_summary = TextAreaField(
        _l("What was heard, and the answers given"),
        validators=[Optional(), length(max=20000)])
    correction_reason = TextAreaField(
        _l("What this version corrects, and why"), validators=[Optional(), length(max=2000)],
        description=_l("Needed for every version after the first; shown publicly with it."))


class PublishForm(Form):
    """Approving the report publishes it: the version the official reviewed, so a version
    published meanwhile (by the due-date job or another approver) is not published again
    as a correction without its reason."""

    version = HiddenField(validators=[Optional(), Regexp(r"^[1-9][0-9]{0,5}$")])
