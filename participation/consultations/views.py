"""Public consultation pages and the officials' consultation screens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation.catalogue import queries
from participation.catalogue.models import Decision
from participation.consultations import draft_source, operations
from participation.consultations.diff import compare_versions as compare_outlines
from participation.consultations.forms import (
    CloseForm,
    ExtendForm,
    OpenConsultationForm,
    RevisionForm,
)
from participation.consultations.models import (
    Consultation,
    ConsultationStatus,
    DraftNode,
    DraftVersion,
    ModerationMode,
    SourceKind,
)
from participation.consultations.outline import parse_outline
from participation.consultations.permissions import (
    can_manage_consultation,
    can_open_consultation,
    can_view_consultation,
)
from participation.consultations.queries import shown_opinion_counts
from participation.core.args import enum_arg, int_arg
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.page_cache import public_page
from participation.core.permissions import load_or_404, require
from participation.core.timeutil import local_to_utc, utc_to_local
from participation.core.transaction import perform
from participation.core.web_helpers import attach_error, paginate
from participation.dossier.models import Document, DocumentKind, DocumentState
from participation.extensions import db
from participation.opinions.models import Channel
from participation.opinions.moderation import moderation_log
from participation.opinions.permissions import can_moderate_opinions, can_record_opinions
from participation.opinions.queries import count_by_channel

bp = Blueprint("consultations", __name__)


@bp.route("/consultations")
@public_page
def list_consultations():
    government = queries.current_government()
    status = enum_arg("status", ConsultationStatus)
    now = utcnow()
    query = (
        sa.select(Consultation)
        .join(Decision, Consultation.decision_id == Decision.id)
        .where(Consultation.government_id == government.id, Decision.is_public)
    )
    if status is not None:
        query = query.where(Consultation.status_at(now) == status.value)
    page = paginate(query.order_by(Consultation.opens_at.desc()))
    return render_template(
        "consultations/list.html",
        government=government,
        page=page,
        status=status,
        statuses=list(ConsultationStatus),
    )


def _public_consultation(consultation_id: int) -> Consultation:
    consultation = load_or_404(Consultation, consultation_id, can_view_consultation,
                               hide=True, private=False)
    if not consultation.is_public:
        g.private_page = True
    return consultation


def _companion_documents(consultation: Consultation) -> list[Document]:
    """The draft explanation and background published with the consultation."""
    return list(
        db.session.scalars(
            sa.select(Document)
            .where(
                Document.decision_id == consultation.decision_id,
                Document.kind.in_([DocumentKind.EXPLANATION, DocumentKind.BACKGROUND]),
                Document.state == DocumentState.PUBLISHED,
            )
            .order_by(Document.kind, Document.id)
        )
    )


DIVISION_KINDS = ("part", "chapter", "section")


def _contents(tree: list[dict]) -> list[dict]:
    """The table of contents of a draft: its parts and chapters with their sections, or,
    without any, its top-level outline headings; empty when there would be one entry."""

    def item(entry: dict, children: list[dict]) -> dict:
        node = entry["node"]
        return {"anchor": node.anchor, "label": node.label, "heading": node.heading,
                "children": children}

    def divisions(entries: list[dict], depth: int) -> list[dict]:
        found = []
        for entry in entries:
            if entry["node"].kind in DIVISION_KINDS:
                below = divisions(entry["children"], depth + 1) if depth == 0 else []
                found.append(item(entry, below))
        return found

    contents = divisions(tree, 0)
    if not contents:
        contents = [item(entry, []) for entry in tree if entry["node"].kind == "heading"]
    return contents if len(contents) > 1 else []


@bp.route("/consultations/<int:consultation_id>")
@public_page
def show_consultation(consultation_id: int):
    consultation = _public_consultation(consultation_id)
    version = consultation.draft_version
    documents = [d for d in _companion_documents(consultation) if d.body_is_public]
    versions = db.session.scalars(
        sa.select(DraftVersion)
        .where(DraftVersion.draft_id == consultation.draft_id)
        .order_by(DraftVersion.number)
    ).all()
    tree = operations.version_tree(version)
    contents = _contents(tree)
    return render_template(
        "consultations/show.html",
        consultation=consultation,
        version=version,
        tree=tree,
        contents=contents,
        toc_anchors={item["anchor"] for item in contents}
        | {sub["anchor"] for item in contents for sub in item["children"]},
        counts=shown_opinion_counts(version),
        documents=documents,
        versions=versions,
        now=utcnow(),
        can_manage=current_user.is_authenticated
        and can_manage_consultation(current_user, consultation),
    )


@bp.route("/consultations/<int:consultation_id>/articles/<anchor>")
def show_article(consultation_id: int, anchor: str):
    consultation = _public_consultation(consultation_id)
    node = db.session.scalar(
        sa.select(DraftNode)
        .where(
            DraftNode.anchor == anchor[:80],
            DraftNode.version_id.in_(
                sa.select(DraftVersion.id).where(DraftVersion.draft_id == consultation.draft_id)
            ),
        )
        .order_by(DraftNode.version_id.desc())
        .limit(1)
    )
    if node is None or not node.is_commentable:
        abort(404)
    return redirect(
        url_for("opinions.list_opinions", consultation_id=consultation.id, node=node.id)
    )


COMPARE_ON_THE_FLY_CHARACTERS = 60_000  # larger pairs of non-adjacent versions: not compared
FEW_UNCHANGED = 3  # more unchanged units than this: show the changes only by default


def _comparison(old: DraftVersion, new: DraftVersion) -> dict | None:
    """The stored comparison of adjacent versions, or one computed now for a pair small
    enough; None when the pair is too large to compare per request."""
    if new.number == old.number + 1 and new.changes is not None:
        return new.changes
    if len(old.source_text) + len(new.source_text) > COMPARE_ON_THE_FLY_CHARACTERS:
        return None
    _changes, record = compare_outlines(
        parse_outline(old.source_text), parse_outline(new.source_text), old.title, new.title
    )
    return record


@bp.route("/consultations/<int:consultation_id>/compare")
@public_page
def compare_versions(consultation_id: int):
    consultation = _public_consultation(consultation_id)
    versions = db.session.scalars(
        sa.select(DraftVersion)
        .where(DraftVersion.draft_id == consultation.draft_id)
        .order_by(DraftVersion.number)
    ).all()
    if len(versions) < 2:
        abort(404)
    numbers = {v.number: v for v in versions}

    def pick(name: str, default: DraftVersion) -> DraftVersion:
        return numbers.get(int_arg(name, 0), default)

    old = pick("from", versions[-2])
    new = pick("to", versions[-1])
    record = _comparison(old, new)
    changes = record["changes"] if record else []
    unchanged = sum(1 for change in changes if change["status"] == "unchanged")
    view = request.args.get("view", "")
    show_all = view == "all" or (view != "changes" and unchanged <= FEW_UNCHANGED)
    return render_template(
        "consultations/compare.html",
        consultation=consultation,
        versions=versions,
        old=old,
        new=new,
        record=record,
        changes=changes if show_all else [c for c in changes if c["status"] != "unchanged"],
        unchanged=unchanged,
        show_all=show_all,
    )


# -- officials ---------------------------------------------------------------------------


def _draft_text(form) -> tuple[str, SourceKind]:
    upload = form.docx.data
    if upload and getattr(upload, "filename", ""):
        return operations.draft_text_from_upload(upload.filename, upload.read()), SourceKind.DOCX
    return form.text.data or "", SourceKind.PASTED


@bp.route("/admin/decisions/<int:decision_id>/consultations/new", methods=["GET", "POST"])
@login_required
def open_consultation(decision_id: int):
    decision = load_or_404(Decision, decision_id, can_open_consultation)
    government = decision.catalogue.government
    form = OpenConsultationForm()
    document = draft_source.saved_draft_document(decision)
    if request.method == "GET":
        form.title.data = document.title if document else decision.title + "（征求意见稿）"
        if document is not None:  # start from the draft already saved: no second paste
            form.text.data = draft_source.html_to_lines(document.body_html)
        start = utc_to_local(utcnow()).replace(second=0, microsecond=0)
        form.opens_at.data = start
        form.closes_at.data = start + timedelta(days=30)
        form.postal_address.data = government.postal_address
        form.email.data = government.email
        form.hotline.data = government.hotline
    preview = None
    if request.method == "POST" and request.form.get("action") == "preview":
        # A step of the same form: show the parsed structure, publish nothing.
        form.validate_on_submit()  # messages beside the fields, before the step's own
        try:
            text, _source_kind = _draft_text(form)
        except DomainError as error:
            attach_error(form, error, "text")
        else:
            form.text.data = text
            if text.strip() and len(text) <= operations.MAX_DRAFT_CHARACTERS:
                preview = draft_source.preview(text)
        return render_template(
            "consultations/open.html", decision=decision, form=form, document=document,
            preview=preview,
        )
    if form.validate_on_submit():
        done = perform(_open_from_form, decision, form, form=form, field="text",
                       success=_("The consultation has been published."))
        if done:
            return redirect(
                url_for("consultations.manage_consultation", consultation_id=done.value.id))
    return render_template(
        "consultations/open.html", decision=decision, form=form, document=document,
        preview=preview,
    )


def _open_from_form(decision: Decision, form: OpenConsultationForm) -> Consultation:
    text, source_kind = _draft_text(form)
    return operations.open_consultation(decision, {
        "title": form.title.data,
        "text": text,
        "source_kind": source_kind,
        "opens_at": local_to_utc(form.opens_at.data),
        "closes_at": local_to_utc(form.closes_at.data),
        "short_period_reason": form.short_period_reason.data,
        "postal_address": form.postal_address.data,
        "email": form.email.data,
        "hotline": form.hotline.data,
        "other_channels": form.other_channels.data,
        "opinions_public": form.opinions_public.data,
        "moderation_mode": form.moderation_mode.data,
    }, actor=current_user)


def _revise_from_form(consultation: Consultation, form: RevisionForm) -> DraftVersion:
    text, source_kind = _draft_text(form)
    return operations.publish_revision(consultation, text, source_kind,
                                       form.change_note.data, actor=current_user)


def _can_open_work_page(user, consultation: Consultation) -> bool:
    """The consultation's work-area page: its approvers, and who records its opinions."""
    return can_manage_consultation(user, consultation) or can_record_opinions(
        user, consultation)


def _managed(consultation_id: int) -> Consultation:
    return load_or_404(Consultation, consultation_id, _can_open_work_page)


def _manage_page(consultation: Consultation, revision_form: RevisionForm | None = None):
    by_channel = count_by_channel(consultation)
    versions = db.session.scalars(
        sa.select(DraftVersion)
        .where(DraftVersion.draft_id == consultation.draft_id)
        .order_by(DraftVersion.number)
    ).all()
    extend_form = ExtendForm()
    extend_form.closes_at.data = utc_to_local(consultation.closes_at)
    if revision_form is None:  # a revision starts from the current text
        revision_form = RevisionForm()
        revision_form.text.data = consultation.draft_version.source_text
    return render_template(
        "consultations/manage.html",
        consultation=consultation,
        versions=versions,
        by_channel=by_channel,
        channels=list(Channel),
        revision_form=revision_form,
        close_form=CloseForm(),
        extend_form=extend_form,
        can_manage=can_manage_consultation(current_user, consultation),
        can_record=can_record_opinions(current_user, consultation),
        can_moderate=can_moderate_opinions(current_user, consultation),
        moderation=moderation_log(consultation),
        moderation_modes=list(ModerationMode),
    )


@bp.route("/admin/consultations/<int:consultation_id>")
@login_required
def manage_consultation(consultation_id: int):
    return _manage_page(_managed(consultation_id))


@bp.route("/admin/consultations/<int:consultation_id>/revisions", methods=["POST"])
@login_required
def publish_revision(consultation_id: int):
    consultation = _managed(consultation_id)
    require(can_manage_consultation(current_user, consultation))
    form = RevisionForm()
    if form.validate_on_submit():
        done = perform(_revise_from_form, consultation, form, form=form, field="text")
        if done:
            flash(_("Version %(number)s of the draft has been published.",
                    number=done.value.number), "success")
            return redirect(
                url_for("consultations.manage_consultation", consultation_id=consultation.id))
    # The form comes back with its messages beside the fields and what was typed.
    return _manage_page(consultation, form), 400


@bp.route("/admin/consultations/<int:consultation_id>/close", methods=["POST"])
@login_required
def close_consultation(consultation_id: int):
    consultation = _managed(consultation_id)
    require(can_manage_consultation(current_user, consultation))
    form = CloseForm()
    if form.validate_on_submit():
        perform(operations.close_early, consultation, form.reason.data, actor=current_user,
                success=_("The consultation has been closed."))
    else:
        flash(_("Give the reason for closing early."), "error")
    return redirect(url_for("consultations.manage_consultation", consultation_id=consultation.id))


@bp.route("/admin/consultations/<int:consultation_id>/extend", methods=["POST"])
@login_required
def extend_consultation(consultation_id: int):
    consultation = _managed(consultation_id)
    require(can_manage_consultation(current_user, consultation))
    form = ExtendForm()
    if form.validate_on_submit():
        perform(operations.extend, consultation, local_to_utc(form.closes_at.data),
                actor=current_user, success=_("The closing time has been moved."))
    else:
        flash(_("Enter a valid closing time."), "error")
    return redirect(url_for("consultations.manage_consultation", consultation_id=consultation.id))


@bp.route("/admin/consultations/<int:consultation_id>/moderation-mode", methods=["POST"])
@login_required
def change_moderation_mode(consultation_id: int):
    consultation = _managed(consultation_id)
    require(can_manage_consultation(current_user, consultation))
    try:
        mode = ModerationMode(request.form.get("moderation_mode", ""))
    except ValueError:
        flash(_("Choose when opinions are published."), "error")
    else:
        perform(operations.set_moderation_mode, consultation, mode, actor=current_user,
                success=_("The moderation of opinions has been changed."))
    return redirect(url_for("consultations.manage_consultation",
                            consultation_id=consultation.id, _anchor="moderation"))
