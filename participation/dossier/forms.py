"""Dossier document forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from participation.core.forms_common import Form, file_required, length, required
from participation.dossier.models import DISCLOSURE_LABELS, DOCUMENT_KIND_LABELS


class DocumentForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in DOCUMENT_KIND_LABELS.items()])
    title = StringField(_l("Title"),
                        validators=[required(_l("Enter the title of the document.")),
                                    length(max=300)])
    body_html = TextAreaField(
        _l("Text"), validators=[Optional(), length(max=500_000)],
        description=_l("Paragraphs, headings, lists, tables and links are kept; other "
                       "formatting is removed."),
        render_kw={"rows": 16},
    )
    disclosure = SelectField(_l("Disclosure"),
                             choices=[(k.value, v) for k, v in DISCLOSURE_LABELS.items()])
    withheld_ground = TextAreaField(
        _l("Legal ground for withholding"), validators=[Optional(), length(max=2000)],
        description=_l("Required when withheld, e.g. the article of the Regulations on Open "
                       "Government Information that applies."),
    )


class AttachmentForm(Form):
    file = FileField(_l("File"), validators=[file_required(_l("Choose a file to attach."))],
                     description=_l("PDF, Word (.docx), OpenDocument (.odt), Excel (.xlsx) or "
                                    "images, up to the size limit."))
