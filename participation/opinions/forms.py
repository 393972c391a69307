"""Opinion forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from participation.consultations.forms import DATETIME_FORMATS
from participation.opinions.models import CHANNEL_LABELS, OFFLINE_CHANNELS


class OpinionForm(FlaskForm):
    # The article is checked by the operation against the draft (no need to load every
    # article of the draft to validate a submission).
    node_id = SelectField(_l("Your opinion is about"), coerce=int, validators=[Optional()],
                          validate_choice=False)
    body = TextAreaField(
        _l("Your opinion"),
        validators=[DataRequired(message=_l("Write your opinion.")), Length(min=5, max=5000)],
        description=_l("5 to 5,000 characters. Do not include your phone or ID number: they "
                       "are hidden if you do."),
        render_kw={"rows": 8, "maxlength": 5000},
    )
    attachment = FileField(_l("Attachment (optional)"),
                           description=_l("PDF, Word, OpenDocument or an image."))
    display_name = StringField(_l("Name to show"), validators=[Optional(), Length(max=100)])
    anonymous = BooleanField(_l("Show my opinion without a name"))
    contact = StringField(
        _l("Contact (optional, private)"), validators=[Optional(), Length(max=200)],
        description=_l("Only the officials handling the opinions see it."),
    )
    consent_to_publish = BooleanField(_l("I agree that my opinion is published on this site"))
    submission_key = HiddenField()


class ReceiptLookupForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET form

    number = StringField(_l("Receipt number"), validators=[DataRequired(), Length(max=40)])


class OfflineOpinionForm(FlaskForm):
    channel = SelectField(_l("Channel"),
                          choices=[(c.value, CHANNEL_LABELS[c]) for c in OFFLINE_CHANNELS])
    reference = StringField(_l("Reference (hotline ticket, letter number)"),
                            validators=[Optional(), Length(max=100)])
    received_at = DateTimeLocalField(_l("Received"), format=DATETIME_FORMATS,
                                     validators=[DataRequired()])
    node_id = SelectField(_l("About"), coerce=int, validators=[Optional()])
    body = TextAreaField(_l("Opinion"), validators=[DataRequired(), Length(min=5, max=5000)],
                         render_kw={"rows": 8})
    display_name = StringField(_l("Name (as the person wants it shown)"),
                               validators=[Optional(), Length(max=100)])
    contact = StringField(_l("Contact (private)"), validators=[Optional(), Length(max=200)])
    consent_to_publish = BooleanField(_l("The person agreed to publication"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel (.xlsx) file"), validators=[FileRequired()],
                     description=_l("Columns: reference, channel, received_at, article, body, "
                                    "name, contact, consent_to_publish (是/否; empty: not "
                                    "public). UTF-8 or GBK."))
    # Shown once the file turned out to repeat opinions: importing anyway needs the box
    # ticked and the same file again (its SHA-256 travels in the hidden field, so no copy
    # of the upload is kept between the two requests).
    allow_duplicates = BooleanField(_l("I have checked the file: import it anyway, these "
                                       "rows included"))
    confirm_sha256 = HiddenField(validators=[Optional(), Length(max=64)])
