"""Public document pages and downloads; officials' document editing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.accounts.permissions import can_see_internal
from participation.catalogue.models import Decision
from participation.core.forms_common import ConfirmForm
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404
from participation.core.transaction import perform
from participation.core.uploads import serve_stored_file
from participation.dossier import operations
from participation.dossier.forms import AttachmentForm, DocumentForm
from participation.dossier.models import Disclosure, Document, DocumentAttachment
from participation.dossier.permissions import (
    can_change_document,
    can_edit_documents,
    can_publish_document,
    can_view_document,
)
from participation.extensions import db

bp = Blueprint("dossier", __name__)


@bp.route("/documents/<int:document_id>")
@public_page
def show_document(document_id: int):
    document = db.session.get(Document, document_id)
    internal = document is not None and can_see_internal(current_user, document.decision.unit)
    if document is None or not (document.is_public or internal):
        abort(404)
    if not document.is_public:
        g.private_page = True
    return render_template("dossier/document.html", document=document,
                           show_body=document.body_is_public or internal, internal=internal)


@bp.route("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    attachment = db.session.get(DocumentAttachment, attachment_id)
    if attachment is None or not can_view_document(current_user, attachment.document):
        abort(404)
    return serve_stored_file(attachment.stored_file, attachment.filename)


def _values(form: DocumentForm) -> dict:
    return {"kind": form.kind.data, "title": form.title.data, "body_html": form.body_html.data,
            "disclosure": form.disclosure.data, "withheld_ground": form.withheld_ground.data}


@bp.route("/admin/decisions/<int:decision_id>/documents/new", methods=["GET", "POST"])
@login_required
def create_document(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_edit_documents)
    form = DocumentForm()
    if form.validate_on_submit():
        done = perform(operations.create_document, decision, _values(form), form=form,
                       success=_("The document has been saved. It is not public until "
                                 "published."))
        if done:
            return redirect(url_for("dossier.edit_document", document_id=done.value.id))
    return render_template("dossier/document_form.html", decision=decision, form=form,
                           document=None)


def _refuse_published_change() -> None:
    flash(_("This document is published: only an approver can change it, its attachments "
            "included. Nothing was saved; ask an approver of the unit to make the change."),
          "error")


def _editable(document_id: int) -> Document:
    return load_or_404(Document, document_id,
                       lambda user, document: can_edit_documents(user, document.decision))


@bp.route("/admin/documents/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit_document(document_id: int):
    document = _editable(document_id)
    form = DocumentForm(obj=document)
    can_change = can_change_document(current_user, document)
    status = 200
    if form.is_submitted() and not can_change:
        _refuse_published_change()
        status = 403
    elif form.validate_on_submit() and perform(
            operations.update_document, document, _values(form), form=form,
            success=_("The document has been saved.")):
        return redirect(url_for("dossier.edit_document", document_id=document.id))
    return render_template(
        "dossier/document_form.html", decision=document.decision, form=form, document=document,
        attachment_form=AttachmentForm(), confirm_form=ConfirmForm(),
        can_publish=can_publish_document(current_user, document), can_change=can_change,
        withheld=Disclosure.WITHHELD,
    ), status


@bp.route("/admin/documents/<int:document_id>/publish", methods=["POST"])
@login_required
def publish_document(document_id: int):
    document = load_or_404(Document, document_id, can_publish_document)
    if ConfirmForm().validate_on_submit():
        perform(operations.publish_document, document,
                success=_("The document has been published."))
    return redirect(url_for("dossier.edit_document", document_id=document.id))


@bp.route("/admin/documents/<int:document_id>/attachments", methods=["POST"])
@login_required
def add_attachment(document_id: int):
    document = _editable(document_id)
    form = AttachmentForm()
    if not can_change_document(current_user, document):
        _refuse_published_change()
    elif form.validate_on_submit():
        upload = form.file.data
        perform(operations.add_attachment, document, upload.filename or "", upload.read(),
                success=_("The file has been attached."))
    else:
        flash(_("Choose a file to attach."), "error")
    return redirect(url_for("dossier.edit_document", document_id=document.id))


@bp.route("/admin/attachments/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove_attachment(attachment_id: int):
    attachment = load_or_404(DocumentAttachment, attachment_id,
                             lambda user, a: can_edit_documents(user, a.document.decision))
    document = attachment.document
    if not can_change_document(current_user, document):
        _refuse_published_change()
    elif ConfirmForm().validate_on_submit():
        perform(operations.remove_attachment, attachment,
                success=_("The file has been removed."))
    return redirect(url_for("dossier.edit_document", document_id=document.id))
