"""Opinion forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from participation.consultations.forms import DATETIME_FORMATS
from participation.core.forms_common import Form, file_required, length, required
from participation.opinions.models import (
    CHANNEL_LABELS,
    OFFLINE_CHANNELS,
    SUBMITTER_KIND_LABELS,
    Channel,
    SubmitterKind,
)

SUBMITTER_KIND_CHOICES = [(kind.value, SUBMITTER_KIND_LABELS[kind]) for kind in SubmitterKind]


class OpinionForm(Form):
    # The article is checked by the operation against the draft (no need to load every
    # article of the draft to validate a submission).
    node_id = SelectField(_l("Your opinion is about"), coerce=int, validators=[Optional()],
                          validate_choice=False)
    body = TextAreaField(
        _l("Your opinion"),
        validators=[required(_l("Write your opinion, at least 5 characters.")),
                    length(min=5, max=5000, message=_l(
                        "Write your opinion in 5 to 5,000 characters."))],
        description=_l("5 to 5,000 characters. Do not include your phone or ID number: they "
                       "are hidden if you do."),
        render_kw={"rows": 8, "maxlength": 5000},
    )
    submitter_kind = SelectField(
        _l("You give this opinion"), choices=SUBMITTER_KIND_CHOICES,
        default=SubmitterKind.PERSON.value,
        description=_l("On behalf of an enterprise or an association: the officials must "
                       "hear enterprises before deciding policies that affect them."))
    attachment = FileField(_l("Attachment (optional)"),
                           description=_l("PDF, Word, OpenDocument or an image."))
    display_name = StringField(_l("Name to show"), validators=[Optional(), length(max=100)])
    anonymous = BooleanField(_l("Show my opinion without a name"))
    contact = StringField(
        _l("Contact (optional, private)"), validators=[Optional(), length(max=200)],
        description=_l("Only the officials handling the opinions see it."),
    )
    consent_to_publish = BooleanField(_l("I agree that my opinion is published on this site"))
    submission_key = HiddenField()


class ReceiptLookupForm(Form):
    class Meta:
        csrf = False  # a read-only GET form

    number = StringField(_l("Receipt number"),
                         validators=[required(_l("Enter the receipt number you were given.")),
                                     length(max=40)])


class OfflineOpinionForm(Form):
    channel = SelectField(_l("Channel"),
                          choices=[(c.value, CHANNEL_LABELS[c]) for c in OFFLINE_CHANNELS])
    reference = StringField(_l("Reference (hotline ticket, letter number)"),
                            validators=[Optional(), length(max=100)])
    received_at = DateTimeLocalField(_l("Received"), format=DATETIME_FORMATS,
                                     validators=[required(_l(
                                         "Enter when the opinion was received, "
                                         "e.g. 2026-03-31 09:00."))])
    node_id = SelectField(_l("About"), coerce=int, validators=[Optional()])
    body = TextAreaField(_l("Opinion"),
                         validators=[required(_l("Enter the opinion, at least 5 characters.")),
                                     length(min=5, max=5000, message=_l(
                                         "Enter the opinion in 5 to 5,000 characters."))],
                         render_kw={"rows": 8})
    submitter_kind = SelectField(_l("Given on behalf of"), choices=SUBMITTER_KIND_CHOICES,
                                 default=SubmitterKind.PERSON.value)
    display_name = StringField(_l("Name (as the person wants it shown)"),
                               validators=[Optional(), length(max=100)])
    contact = StringField(_l("Contact (private)"), validators=[Optional(), length(max=200)])
    consent_to_publish = BooleanField(_l("The person agreed to publication"))


class ImportForm(Form):
    file = FileField(_l("CSV or Excel (.xlsx) file"),
                     validators=[file_required(_l("Choose the file to import."))],
                     description=_l("Columns: reference, channel, received_at, article, body, "
                                    "name, contact, consent_to_publish (是/否; empty: not "
                                    "public), submitter_kind (个人/企业/行业协会/其他组织; "
                                    "empty: a person). Up to 1,000,000 rows; CSV in UTF-8, "
                                    "GBK or GB18030."))


class ConfirmImportForm(Form):
    """Shown once a valid file turned out to repeat opinions: the kept file is imported
    anyway only with the box ticked."""

    allow_duplicates = BooleanField(
        _l("I have checked the file: import it anyway, these rows included"),
        validators=[DataRequired(_l("Tick the box to confirm."))])


class ReceivedOpinionFilterForm(Form):
    """The filters of the officials' received-opinion list (a GET form: values that are
    not offered are ignored, never an error)."""

    class Meta:
        csrf = False

    channel = SelectField(_l("Channel"), validators=[Optional()],
                          choices=[("", _l("All channels"))]
                          + [(c.value, CHANNEL_LABELS[c]) for c in Channel])
    node = SelectField(_l("Article"), validators=[Optional()])
    q = StringField(_l("Text contains"), validators=[Optional(), length(max=100)])
    order = SelectField(_l("Order"), validators=[Optional()],
                        choices=[("newest", _l("Newest first")), ("oldest", _l("Oldest first"))])
