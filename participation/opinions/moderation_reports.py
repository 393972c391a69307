"""Citizens' reports of public opinions (举报) and what moderators are told.

A report is kept once per person and opinion (the database refuses the second). When the
reports since the last review reach the government's threshold (default 3), the opinion
goes back to ``pending`` through :func:`moderation.set_moderation_state` and the
moderators of its unit get one message through the outbox. Separately, the periodic job
``moderation.digest`` tells each moderator, once, that new opinions await review.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy.exc import IntegrityError

from participation.accounts.models import Membership, Role, Unit, User
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation
from participation.core import audit
from participation.core.jobs import register_job
from participation.core.outbox import queue_message
from participation.core.ratelimit import keyed_digest
from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.opinions import moderation_queries
from participation.opinions.models import ModerationReason, ModerationState, Opinion
from participation.opinions.moderation import ModerationError, set_moderation_state
from participation.opinions.moderation_models import (
    DEFAULT_REPORT_THRESHOLD,
    NOT_PUBLISHED,
    REPORT_NOTE_MAX,
    REPORT_REASONS,
    OpinionReport,
)
from participation.opinions.moderation_words import settings_for


def reporter_key(user=None, session_token: str | None = None) -> str:
    """The keyed hash naming who reports: the account when signed in, else the session."""
    if user is not None and getattr(user, "is_authenticated", False):
        return keyed_digest(f"report-user:{user.id}")
    return keyed_digest(f"report-session:{session_token or ''}")


def report_threshold(government_id: int) -> int:
    """How many reports send a public opinion of this government back to review."""
    settings = settings_for(government_id)
    return settings.report_threshold if settings is not None else DEFAULT_REPORT_THRESHOLD


def is_reportable(opinion: Opinion) -> bool:
    """Only what the public can see may be reported."""
    consultation = opinion.consultation
    return bool(opinion.is_public and consultation is not None and consultation.is_public
                and consultation.opinions_public)


def report_opinion(opinion: Opinion, key: str, reason: ModerationReason | str | None,
                   note: str | None = None, actor=None) -> bool:
    """Record a citizen's report of a public opinion (reason from :data:`REPORT_REASONS`,
    optional note); a second report by the same ``key`` is refused. When the reports
    since the last review reach the threshold the opinion goes to ``pending`` ("hidden
    pending review") and the unit's moderators are told once. Returns whether this
    report sent it to review. Audited as ``opinion.reported``; flushes."""
    if not is_reportable(opinion):
        raise ModerationError("not_reportable")
    try:
        reason = ModerationReason(reason or "")
    except ValueError:
        raise ModerationError("report_reason_required", field="reason") from None
    if reason not in REPORT_REASONS:
        raise ModerationError("report_reason_required", field="reason")
    note = plain_text(note or "", multiline=False)[:REPORT_NOTE_MAX] or None
    try:
        with db.session.begin_nested():
            db.session.add(OpinionReport(opinion_id=opinion.id, reporter_key=key,
                                         reason=reason, note=note))
            db.session.flush()
    except IntegrityError:
        raise ModerationError("already_reported") from None
    reports = db.session.execute(
        sa.update(Opinion).where(Opinion.id == opinion.id)
        .values(report_count=Opinion.report_count + 1)
        .returning(Opinion.report_count)
        .execution_options(synchronize_session=False)).scalar_one()
    db.session.expire(opinion, ["report_count"])
    audit.record("opinion.reported", opinion, {"reason": reason, "report_count": reports},
                 actor=actor)
    if reports < report_threshold(opinion.government_id):
        return False
    if not set_moderation_state([opinion], ModerationState.PENDING, cause="reports"):
        return False  # already pending or hidden (another report or a moderator was first)
    total = db.session.scalar(sa.select(sa.func.count(OpinionReport.id)).where(
        OpinionReport.opinion_id == opinion.id))
    consultation = opinion.consultation
    for moderator in moderators_of(consultation):
        with force_locale(moderator.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_message(
                _address(moderator),
                gettext("An opinion was reported and is hidden pending review"),
                gettext("An opinion on “%(title)s” was reported %(num)d times and is "
                        "hidden until a moderator reviews it. Review it in the moderation "
                        "queue: %(url)s", title=consultation.title, num=reports,
                        url=_queue_url(consultation.government_id)),
                dedupe_key=f"opinion-reported:{opinion.id}:{total}:{moderator.id}")
    return True


def _address(user: User) -> str:
    return user.email or user.mobile or ""


def _queue_url(government_id: int) -> str:
    path_only = not has_request_context()
    try:
        return url_for("opinions.show_moderation_queue", government_id=government_id,
                       _external=not path_only)
    except RuntimeError:  # no request and no SERVER_NAME: the path is enough to find it
        return f"/admin/governments/{government_id}/moderation"


def _moderator_memberships(government_id: int):
    return (sa.select(Membership.user_id, Membership.unit_id, Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(Membership.government_id == government_id,
                   Membership.role.in_([Role.MODERATOR, Role.ADMINISTRATOR]),
                   User.is_active_account.is_(True), User.deleted_at.is_(None)))


def moderators_of(consultation: Consultation) -> list[User]:
    """Who moderates the consultation's opinions and is told about them: the moderators
    of its unit and of the units enclosing it; the government's administrators when the
    unit has none."""
    unit_ids = {unit.id for unit in consultation.decision.unit.ancestors_and_self()}
    rows = db.session.execute(_moderator_memberships(consultation.government_id)).all()
    moderators = {user_id for user_id, unit_id, role in rows
                  if role == Role.MODERATOR and unit_id in unit_ids}
    if not moderators:
        moderators = {user_id for user_id, _unit_id, role in rows
                      if role == Role.ADMINISTRATOR}
    users = [db.session.get(User, user_id) for user_id in sorted(moderators)]
    return [user for user in users if user is not None and _address(user)]


def _unit_closure(government_id: int) -> dict[int, set[int]]:
    """{unit id: the unit and every unit nested in it} for the government's units."""
    parents = dict(db.session.execute(sa.select(Unit.id, Unit.parent_id).where(
        Unit.government_id == government_id)).tuples().all())
    closure: dict[int, set[int]] = {unit_id: {unit_id} for unit_id in parents}
    for unit_id in parents:
        seen, current = set(), parents.get(unit_id)
        while current is not None and current not in seen:
            seen.add(current)
            closure.setdefault(current, {current}).add(unit_id)
            current = parents.get(current)
    return closure


def _pending_by_unit(government_id: int) -> dict[int, tuple[int, datetime | None, int]]:
    """{unit id: (pending opinions, latest pending_since, highest id)} of the government."""
    rows = db.session.execute(
        sa.select(Decision.unit_id, sa.func.count(Opinion.id),
                  sa.func.max(Opinion.pending_since), sa.func.max(Opinion.id))
        .join(Consultation, Consultation.id == Opinion.consultation_id)
        .join(Decision, Decision.id == Consultation.decision_id)
        .where(Opinion.government_id == government_id,
               Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)
        .group_by(Decision.unit_id)).tuples().all()
    pending = {unit_id: (number, latest, last_id) for unit_id, number, latest, last_id in rows}
    # Other sources in the queue (open days): pending opinions by their organizing unit.
    for source in moderation_queries.MODERATED_SOURCES:
        model = source.model_class
        for unit_id, number, latest, last_id in db.session.execute(
                sa.select(model.unit_id, sa.func.count(Opinion.id),
                          sa.func.max(Opinion.pending_since), sa.func.max(Opinion.id))
                .join(model, model.id == source.column)
                .where(Opinion.government_id == government_id,
                       Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)
                .group_by(model.unit_id)).tuples().all():
            before = pending.get(unit_id)
            if before is not None:
                times = [t for t in (before[1], latest) if t is not None]
                number += before[0]
                latest = max(times) if times else None
                last_id = max(before[2], last_id)
            pending[unit_id] = (number, latest, last_id)
    return pending


@register_job("moderation.digest", every=timedelta(minutes=15))
def send_moderation_digests(now: datetime) -> int:
    """Tell each moderator once that opinions await review in their units.

    Level-triggered and idempotent: it looks at what is pending now. The dedupe key of a
    moderator's digest names the latest time an opinion of their units went to pending,
    so running it again, or late, or on two hosts, sends nothing new until another
    opinion goes to pending. Units without a moderator are their administrators'.
    Returns how many digests were queued (or found queued already)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _send_digests(now)


def _send_digests(now: datetime) -> int:
    governments = db.session.scalars(sa.select(Opinion.government_id).where(
        Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED).distinct()).all()
    queued = 0
    for government_id in sorted(governments):
        pending = _pending_by_unit(government_id)
        closure = _unit_closure(government_id)
        memberships = db.session.execute(_moderator_memberships(government_id)).all()
        moderated: dict[int, set[int]] = {}
        for user_id, unit_id, role in memberships:
            if role == Role.MODERATOR and unit_id is not None:
                moderated.setdefault(user_id, set()).update(closure.get(unit_id, {unit_id}))
        covered = set().union(*moderated.values()) if moderated else set()
        orphans = set(pending) - covered
        if orphans:
            for user_id, _unit_id, role in memberships:
                if role == Role.ADMINISTRATOR:
                    moderated.setdefault(user_id, set()).update(orphans)
        for user_id, unit_ids in sorted(moderated.items()):
            mine = [pending[unit_id] for unit_id in unit_ids if unit_id in pending]
            if not mine:
                continue
            number = sum(item[0] for item in mine)
            # What is new since the last digest: the latest time an opinion went to pending
            # (the highest id for rows that never recorded it).
            times = [item[1] for item in mine if item[1] is not None]
            marker = max(times).isoformat() if times else f"id{max(i[2] for i in mine)}"
            user = db.session.get(User, user_id)
            if user is None or not _address(user):
                continue
            with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                queue_message(
                    _address(user), gettext("Opinions await review"),
                    ngettext("%(num)d opinion awaits review in your units. Open the "
                             "moderation queue: %(url)s",
                             "%(num)d opinions await review in your units. Open the "
                             "moderation queue: %(url)s", number,
                             url=_queue_url(government_id)),
                    dedupe_key=f"moderation-digest:{user_id}:{marker}")
            queued += 1
    return queued
