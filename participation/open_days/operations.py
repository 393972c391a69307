"""Open-day operations: events, signups, the one promotion rule, check-in, walk-ins.

Capacity is enforced by the database, never by check-then-insert: a signup takes its
places with one guarded conditional update of the event's row
(``UPDATE open_day SET confirmed_count = confirmed_count + n WHERE id = ? AND
confirmed_count + n <= capacity AND waitlisted_count = 0``), which PostgreSQL re-checks
against the latest row after waiting for its lock, and which SQLite runs under the writer
turn (``BEGIN IMMEDIATE``, see :mod:`participation.core.database`). A CHECK constraint
keeps ``confirmed_count`` within the capacity whatever happens.

Every path that frees or adds places (a self-cancellation, an organizer's cancellation, a
declined promotion, fewer companions, a capacity increase, releasing no-shows) first locks
the event's row, then runs :func:`promote` in the same transaction: strict first come,
first served by ``position``, until the head of the waitlist no longer fits or promotion
has stopped (``promotion_stop_hours`` before the start). Operations flush, never commit,
and write the audit entry.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from participation.accounts.models import Government, Unit, User
from participation.accounts.operations import normalise_identifier
from participation.accounts.senders import queue_code
from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError, RetryOperation
from participation.core.maintenance import register_purge
from participation.core.outbox import queue_message
from participation.core.ratelimit import keyed_digest
from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.open_days.models import (
    ACTIVE_STATES,
    CODE_ALPHABET,
    CODE_LENGTH,
    OpenDay,
    OpenDayState,
    Signup,
    SignupState,
    SignupVerification,
    WalkIn,
)

MAX_CAPACITY = 100_000
MAX_COMPANIONS = 20
MAX_QUESTIONS = 10
VERIFICATION_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5


class OpenDayError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "not_open": _l("Signups for this open day are not open."),
        "already_signed_up": _l("You have already signed up for this open day."),
        "too_many_companions": _l("You may bring at most %(max)d companions."),
        "no_places_for_companions": _l("There are not enough places left for more companions."),
        "not_active": _l("This signup has been cancelled or has ended."),
        "not_promoted": _l("Only a signup promoted from the waitlist can be declined."),
        "capacity_below_confirmed": _l(
            "The capacity cannot be lower than the %(confirmed)d places already confirmed."
        ),
        "bad_capacity": _l("Enter a capacity from 1 to 100,000."),
        "bad_times": _l(
            "The open day must end after it starts, and signups must close before it starts."
        ),
        "name_required": _l("Enter your name."),
        "answer_required": _l("Answer the question “%(question)s”."),
        "mobile_required": _l("Enter an 11-digit mobile number."),
        "code_expired": _l("The verification code has expired. Please sign up again."),
        "code_wrong": _l("The verification code is not correct."),
        "too_many_attempts": _l("Too many wrong codes. Please sign up again."),
        "unknown_code": _l("No signup of this open day has the code %(signup_code)s."),
        "not_confirmed": _l(
            "The signup %(signup_code)s is not confirmed (%(state)s): it cannot be checked in."
        ),
        "not_started": _l("No-shows can be released once the open day has started."),
        "bad_people": _l("Enter a number of people from 1 to 100."),
        "not_published": _l("Only a published open day can be cancelled."),
        "already_published": _l("This open day is already published."),
        "bad_unit": _l("Choose one of your units."),
    }


# -- the capacity guard ---------------------------------------------------------------


def guard_bypassed() -> bool:
    """The testing-only switch of the control test: the guard replaced by the naive
    check-then-write it prevents. Needs both ``PARTICIPATION_TESTING=1`` and
    ``PARTICIPATION_TESTING_UNGUARDED_CAPACITY=1``; never set them in production."""
    return (
        os.environ.get("PARTICIPATION_TESTING") == "1"
        and os.environ.get("PARTICIPATION_TESTING_UNGUARDED_CAPACITY") == "1"
    )


def _lock(open_day: OpenDay) -> OpenDay:
    """Take the event's row lock (PostgreSQL ``FOR UPDATE``; SQLite: the writer turn and
    ``BEGIN IMMEDIATE``) and read its current values."""
    db.session.execute(sa.select(OpenDay.id).where(OpenDay.id == open_day.id).with_for_update())
    db.session.refresh(open_day)
    return open_day


def _take_places(
    open_day_id: int, places: int, *, behind_waitlist: bool = True, snapshot: Any = None
) -> int | None:
    """Take ``places`` with the guarded update and number the signup; the position, or
    None when they do not fit (or, ``behind_waitlist``, when people are waiting)."""
    table = OpenDay.__table__
    c = table.c
    if guard_bypassed():
        return _take_places_unguarded(open_day_id, places, snapshot)
    condition = [c.id == open_day_id, c.confirmed_count + places <= c.capacity]
    if behind_waitlist:
        condition.append(c.waitlisted_count == 0)
    position = db.session.execute(
        sa.update(table)
        .where(*condition)
        .values(confirmed_count=c.confirmed_count + places, signup_sequence=c.signup_sequence + 1)
        .returning(c.signup_sequence)
    ).scalar()
    return position


def _place_or_waitlist(open_day_id: int, places: int) -> tuple[int, SignupState]:
    """A new signup's position and state, decided and counted by one guarded UPDATE:
    confirmed when the places fit and nobody waits, waitlisted otherwise.

    Every SET expression reads the row as it was, and under concurrency PostgreSQL
    evaluates them again on the version the previous writer committed (SQLite: one
    writer at a time), so the decision and the counters cannot drift apart. The row
    after the update says which it was: when confirmed nobody waits (waitlisted_count
    0), when waitlisted at least this signup does."""
    row = db.session.execute(
        _place_or_waitlist_statement(), {"open_day_id": open_day_id, "places": places}
    ).one()
    state = SignupState.CONFIRMED if row.waitlisted_count == 0 else SignupState.WAITLISTED
    return row.signup_sequence, state


@cache
def _place_or_waitlist_statement() -> sa.Update:
    c = OpenDay.__table__.c
    places = sa.bindparam("places", type_=sa.Integer)
    fits = sa.and_(c.confirmed_count + places <= c.capacity, c.waitlisted_count == 0)
    return (
        sa.update(OpenDay.__table__)
        .where(c.id == sa.bindparam("open_day_id"))
        .values(
            confirmed_count=c.confirmed_count + sa.case((fits, places), else_=0),
            waitlisted_count=c.waitlisted_count + sa.case((fits, 0), else_=1),
            signup_sequence=c.signup_sequence + 1,
        )
        .returning(c.signup_sequence, c.waitlisted_count)
    )


def _read_counts(open_day_id: int) -> Any:
    c = OpenDay.__table__.c
    return db.session.execute(
        sa.select(c.confirmed_count, c.capacity, c.waitlisted_count).where(c.id == open_day_id)
    ).one()


def _take_places_unguarded(open_day_id: int, places: int, snapshot: Any = None) -> int | None:
    """What the guard prevents: read (``snapshot``, taken before the transaction's first
    write), decide, then write what was read plus ``places``: a lost update under
    concurrency. Testing only (:func:`guard_bypassed`)."""
    c = OpenDay.__table__.c
    row = snapshot if snapshot is not None else _read_counts(open_day_id)
    if row.confirmed_count + places > row.capacity or row.waitlisted_count:
        return None
    db.session.execute(
        sa.update(OpenDay.__table__)
        .where(c.id == open_day_id)
        .values(confirmed_count=row.confirmed_count + places)
    )
    return _next_position(open_day_id)


def _next_position(open_day_id: int) -> int:
    c = OpenDay.__table__.c
    return db.session.execute(
        sa.update(OpenDay.__table__)
        .where(c.id == open_day_id)
        .values(signup_sequence=c.signup_sequence + 1)
        .returning(c.signup_sequence)
    ).scalar_one()


def _move(open_day_id: int, confirmed: int = 0, waitlisted: int = 0) -> None:
    c = OpenDay.__table__.c
    db.session.execute(
        sa.update(OpenDay.__table__)
        .where(c.id == open_day_id)
        .values(
            confirmed_count=c.confirmed_count + confirmed,
            waitlisted_count=c.waitlisted_count + waitlisted,
        )
    )


def _expire_counters(open_day: OpenDay) -> None:
    db.session.expire(
        open_day, ["confirmed_count", "waitlisted_count", "signup_sequence", "capacity"]
    )


# -- events ---------------------------------------------------------------------------


def _clean_questions(raw: Any) -> list[dict[str, Any]]:
    """The organizer's questions, one per line ("*" first: an answer is required)."""
    if isinstance(raw, list):
        lines = [q.get("label", "") if isinstance(q, dict) else str(q) for q in raw]
        required = [bool(q.get("required")) if isinstance(q, dict) else False for q in raw]
    else:
        lines = (raw or "").splitlines()
        required = [line.strip().startswith("*") for line in lines]
    questions = []
    for text, needed in zip(lines, required, strict=True):
        text = plain_text(text, multiline=False).lstrip("*").strip()[:200]
        if text:
            questions.append({"key": f"q{len(questions) + 1}", "label": text, "required": needed})
    return questions[:MAX_QUESTIONS]


def questions_text(open_day: OpenDay) -> str:
    """The questions as the organizer's form shows them, one per line."""
    return "\n".join(
        ("*" if q.get("required") else "") + q["label"] for q in open_day.questions or []
    )


_FIELDS = (
    "title",
    "theme",
    "description",
    "starts_at",
    "ends_at",
    "place",
    "accessibility",
    "signup_opens_at",
    "signup_closes_at",
    "companions_allowed",
    "promotion_stop_hours",
    "questions",
    "decision_id",
)


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {
        "title": plain_text(values.get("title"), multiline=False)[:200],
        "theme": plain_text(values.get("theme"), multiline=False)[:200],
        "description": plain_text(values.get("description"))[:10000],
        "place": plain_text(values.get("place"), multiline=False)[:300],
        "accessibility": plain_text(values.get("accessibility"))[:2000],
        "starts_at": values["starts_at"],
        "ends_at": values["ends_at"],
        "signup_opens_at": values["signup_opens_at"],
        "signup_closes_at": values["signup_closes_at"],
        "companions_allowed": max(
            0, min(MAX_COMPANIONS, int(values.get("companions_allowed") or 0))
        ),
        "promotion_stop_hours": max(0, min(24 * 30, int(values.get("promotion_stop_hours") or 0))),
        "questions": _clean_questions(values.get("questions")),
        "decision_id": values.get("decision_id") or None,
    }
    if not (
        cleaned["starts_at"] < cleaned["ends_at"]
        and cleaned["signup_opens_at"] < cleaned["signup_closes_at"] <= cleaned["starts_at"]
    ):
        raise OpenDayError("bad_times", field="ends_at")
    return cleaned


def _check_capacity(capacity: Any) -> int:
    try:
        capacity = int(capacity)
    except (TypeError, ValueError):
        raise OpenDayError("bad_capacity", field="capacity") from None
    if not 1 <= capacity <= MAX_CAPACITY:
        raise OpenDayError("bad_capacity", field="capacity")
    return capacity


def create_open_day(
    government: Government, unit: Unit, values: dict[str, Any], actor=None
) -> OpenDay:
    """Create an open day (not yet published) for ``unit``. Audited."""
    cleaned = _clean_values(values)
    open_day = OpenDay(
        government_id=government.id,
        unit_id=unit.id,
        capacity=_check_capacity(values.get("capacity")),
        state=OpenDayState.DRAFT,
        **cleaned,
    )
    db.session.add(open_day)
    db.session.flush()
    audit.record(
        "open_day.created",
        open_day,
        {"title": open_day.title, "capacity": open_day.capacity},
        actor=actor,
    )
    return open_day


def update_open_day(
    open_day: OpenDay, values: dict[str, Any], actor=None, now: datetime | None = None
) -> dict[str, list[Any]]:
    """Change an open day's details and capacity. A capacity below the confirmed places
    is refused; a larger one promotes from the waitlist in the same transaction. Linking
    it to another decision (or to none) moves the opinions already heard with it, so the
    decision's consultation classifies and reports them. Audited."""
    cleaned = _clean_values(values)
    capacity = _check_capacity(values.get("capacity"))
    _lock(open_day)
    changes = audit.diff(open_day, cleaned)
    if capacity != open_day.capacity:
        changes.update(_set_capacity(open_day, capacity, actor, now))
    db.session.flush()
    if "decision_id" in changes:
        _relink_opinions(open_day)
    if changes:
        audit.record("open_day.updated", open_day, changes, actor=actor)
    return changes


def _relink_opinions(open_day: OpenDay) -> None:
    """The open day's opinions take its decision (None: no decision)."""
    from participation.opinions.models import Opinion

    db.session.execute(sa.update(Opinion).where(Opinion.open_day_id == open_day.id)
                       .values(decision_id=open_day.decision_id))
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Opinion) and obj.open_day_id == open_day.id:
            db.session.expire(obj, ["decision_id"])


def change_capacity(
    open_day: OpenDay, capacity: int, actor=None, now: datetime | None = None
) -> None:
    """Set the capacity (never below the confirmed places); promotes on an increase.
    Audited."""
    capacity = _check_capacity(capacity)
    _lock(open_day)
    changes = _set_capacity(open_day, capacity, actor, now)
    if changes:
        audit.record("open_day.updated", open_day, changes, actor=actor)


def _set_capacity(open_day: OpenDay, capacity: int, actor, now) -> dict[str, list[int]]:
    if capacity < open_day.confirmed_count:
        raise OpenDayError(
            "capacity_below_confirmed", field="capacity", confirmed=open_day.confirmed_count
        )
    old = open_day.capacity
    if old == capacity:
        return {}
    db.session.execute(
        sa.update(OpenDay.__table__)
        .where(OpenDay.__table__.c.id == open_day.id)
        .values(capacity=capacity)
    )
    _expire_counters(open_day)
    if capacity > old:
        promote(open_day, now=now, actor=actor)
    return {"capacity": [old, capacity]}


def publish_open_day(open_day: OpenDay, actor=None) -> None:
    """Publish a prepared open day: it appears on the public list. Audited."""
    if open_day.state != OpenDayState.DRAFT:
        raise OpenDayError("already_published")
    open_day.state = OpenDayState.PUBLISHED
    db.session.flush()
    audit.record("open_day.published", open_day, {"state": OpenDayState.PUBLISHED}, actor=actor)


def cancel_open_day(open_day: OpenDay, actor=None) -> None:
    """Cancel a published open day: signups close and every active signup is told
    through the outbox. Audited."""
    _lock(open_day)
    if open_day.state != OpenDayState.PUBLISHED:
        raise OpenDayError("not_published")
    open_day.state = OpenDayState.CANCELLED
    db.session.flush()
    for signup in db.session.scalars(
        sa.select(Signup).where(Signup.open_day_id == open_day.id, Signup.state.in_(ACTIVE_STATES))
    ):
        _notify(
            signup,
            "cancelled-event",
            gettext("The open day “%(title)s” has been cancelled", title=open_day.title[:80]),
            gettext(
                "We are sorry: the open day “%(title)s” on %(when)s has been cancelled.",
                title=open_day.title,
                when=_local(open_day.starts_at),
            ),
        )
    audit.record("open_day.cancelled", open_day, {"state": OpenDayState.CANCELLED}, actor=actor)


# -- signups --------------------------------------------------------------------------


def new_code() -> str:
    """A short check-in code without the characters people confuse (0/O, 1/I)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(value: str | None) -> str:
    """A typed code as stored: upper case, without spaces and dashes; O read as 0 is
    impossible, so O and I typed by mistake become 0 and 1, which no code has."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())[: CODE_LENGTH * 2]


def _clean_answers(open_day: OpenDay, answers: dict[str, Any] | None) -> dict[str, str]:
    answers = answers or {}
    cleaned = {}
    for question in open_day.questions or []:
        text = plain_text(str(answers.get(question["key"]) or ""))[:1000]
        if question.get("required") and not text:
            raise OpenDayError(
                "answer_required", field=f"answer_{question['key']}", question=question["label"]
            )
        cleaned[question["key"]] = text
    return cleaned


def _check_companions(open_day: OpenDay, companions: Any) -> int:
    try:
        companions = int(companions or 0)
    except (TypeError, ValueError):
        companions = -1
    if not 0 <= companions <= open_day.companions_allowed:
        raise OpenDayError(
            "too_many_companions", field="companions", max=open_day.companions_allowed
        )
    return companions


def _person_key(user: User | None, mobile: str | None) -> str:
    if mobile:
        return "m:" + mobile
    return f"u:{user.id}"


def _active_signup(open_day_id: int, person_key: str) -> Signup | None:
    return db.session.scalar(
        sa.select(Signup).where(
            Signup.open_day_id == open_day_id,
            Signup.person_key == person_key,
            Signup.state.in_(ACTIVE_STATES),
        )
    )


def sign_up(
    open_day: OpenDay,
    *,
    name: str,
    mobile: str | None = None,
    user: User | None = None,
    companions: int = 0,
    answers: dict[str, Any] | None = None,
    needs: str = "",
    now: datetime | None = None,
) -> Signup:
    """Sign a person up: confirmed while the places (companions included) fit and nobody
    waits, waitlisted otherwise, numbered first come, first served. One active signup
    per person per event (the unique index holds under concurrency too). The
    confirmation goes out through the outbox. Audited as ``open_day.signed_up``."""
    now = now or utcnow()
    if not open_day.signup_open_at(now):
        raise OpenDayError("not_open")
    name = plain_text(name, multiline=False)[:100]
    if not name:
        raise OpenDayError("name_required", field="name")
    companions = _check_companions(open_day, companions)
    cleaned_answers = _clean_answers(open_day, answers)
    if user is not None and not mobile:
        mobile = user.mobile
    person_key = _person_key(user, mobile)
    places = 1 + companions
    if guard_bypassed():  # the control test: read first, write later (the race)
        snapshot = _read_counts(open_day.id)
        time.sleep(0.02)
        position = _take_places(open_day.id, places, snapshot=snapshot)
        state = SignupState.CONFIRMED
        if position is None:
            state = SignupState.WAITLISTED
            _move(open_day.id, waitlisted=1)
            position = _next_position(open_day.id)
    else:
        position, state = _place_or_waitlist(open_day.id, places)
    signup = Signup(
        open_day_id=open_day.id,
        government_id=open_day.government_id,
        user_id=getattr(user, "id", None),
        person_key=person_key,
        name=name,
        mobile=mobile,
        email=getattr(user, "email", None) if user else None,
        companions=companions,
        answers=cleaned_answers,
        needs=plain_text(needs)[:500],
        state=state,
        position=position,
        code=new_code(),
        token=secrets.token_urlsafe(24),
    )
    db.session.add(signup)
    try:
        db.session.flush()
    except IntegrityError as error:
        # No savepoint on the way (two round trips for every signup): the transaction is
        # spoilt, and the caller rolls it back with the places taken above. The unique
        # index on the person (a second signup, even one racing this) or, once in
        # millions, a check-in code drawn twice: then perform() runs it all again.
        if "person" in str(error.orig):
            raise OpenDayError("already_signed_up") from None
        raise RetryOperation("check-in code taken") from None
    _expire_counters(open_day)
    audit.record(
        "open_day.signed_up",
        signup,
        {"state": signup.state, "companions": companions, "position": position},
        actor=user,
    )
    _notify_signup(signup)
    return signup


def start_mobile_signup(
    open_day: OpenDay,
    *,
    name: str,
    mobile: str,
    companions: int = 0,
    answers: dict[str, Any] | None = None,
    needs: str = "",
    now: datetime | None = None,
) -> tuple[str, str]:
    """A signup by name and mobile number: the form is kept and a code is sent to the
    number through the outbox (the accounts' code sending). Returns ``(token, code)``;
    the signup exists once :func:`confirm_mobile_signup` receives the code."""
    now = now or utcnow()
    if not open_day.signup_open_at(now):
        raise OpenDayError("not_open")
    name = plain_text(name, multiline=False)[:100]
    if not name:
        raise OpenDayError("name_required", field="name")
    try:
        kind, number = normalise_identifier(mobile or "")
    except DomainError:
        kind, number = "", ""
    if kind != "mobile":
        raise OpenDayError("mobile_required", field="mobile")
    companions = _check_companions(open_day, companions)
    cleaned_answers = _clean_answers(open_day, answers)
    if _active_signup(open_day.id, _person_key(None, number)) is not None:
        raise OpenDayError("already_signed_up", field="mobile")
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = secrets.token_urlsafe(32)
    code_hash = keyed_digest(f"open-day-code:{token}:{code}")
    db.session.add(
        SignupVerification(
            token=token,
            open_day_id=open_day.id,
            mobile=number,
            code_hash=code_hash,
            payload={
                "name": name,
                "companions": companions,
                "answers": cleaned_answers,
                "needs": plain_text(needs)[:500],
            },
            expires_at=now + VERIFICATION_LIFETIME,
        )
    )
    db.session.flush()
    queue_code(number, code, code_hash)
    return token, code


def pending_verification(token: str | None) -> SignupVerification | None:
    """The unexpired verification behind ``token`` (used ones too: a repeated code
    leads to the signup it made), or None."""
    if not token:
        return None
    pending = db.session.scalar(
        sa.select(SignupVerification).where(SignupVerification.token == token[:64])
    )
    if pending is None or pending.expires_at < utcnow():
        return None
    return pending


def confirm_mobile_signup(
    open_day: OpenDay, token: str, code: str, now: datetime | None = None
) -> Signup:
    """Check the code sent to the mobile number and make the signup (see
    :func:`sign_up`); the same code sent again returns the signup it made. Wrong codes
    are counted (``keep_on_error``), five of them end the verification."""
    pending = pending_verification(token)
    if pending is None or pending.open_day_id != open_day.id:
        raise OpenDayError("code_expired", field="code")
    if pending.signup_id is not None:
        signup = db.session.get(Signup, pending.signup_id)
        if signup is not None:
            return signup
    if pending.used_at is not None:
        raise OpenDayError("code_expired", field="code")
    if pending.attempts >= MAX_CODE_ATTEMPTS:
        raise OpenDayError("too_many_attempts", field="code")
    typed = "".join(ch for ch in (code or "") if ch.isdigit())[:6]
    expected = keyed_digest(f"open-day-code:{pending.token}:{typed}")
    if not secrets.compare_digest(expected, pending.code_hash):
        db.session.execute(
            sa.update(SignupVerification)
            .where(SignupVerification.id == pending.id)
            .values(attempts=SignupVerification.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        raise OpenDayError("code_wrong", field="code")
    claimed = db.session.execute(
        sa.update(SignupVerification)
        .where(SignupVerification.id == pending.id, SignupVerification.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise OpenDayError("code_expired", field="code")
    payload = pending.payload
    signup = sign_up(
        open_day,
        name=payload["name"],
        mobile=pending.mobile,
        companions=payload.get("companions", 0),
        answers=payload.get("answers"),
        needs=payload.get("needs", ""),
        now=now,
    )
    pending.signup_id = signup.id
    db.session.flush()
    return signup


def signup_by_token(token: str | None) -> Signup | None:
    """The signup behind a private manage link, or None; with its open day (every page
    of the link shows it), in the same query."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(_signup_by_token(), {"token": token})


@cache
def _signup_by_token() -> sa.Select:
    # Built once (after the mappers are configured): it keeps its cache key.
    return (
        sa.select(Signup)
        .where(Signup.token == sa.bindparam("token"))
        .options(joinedload(Signup.open_day))
    )


def _end_signup(signup: Signup, state: SignupState, actor, now) -> SignupState:
    """Move an active signup to ``state`` with a conditional update, freeing what it held;
    the state it had."""
    previous = signup.state
    ended = db.session.execute(
        sa.update(Signup.__table__)
        .where(
            Signup.__table__.c.id == signup.id,
            Signup.__table__.c.state.in_([s.value for s in ACTIVE_STATES]),
        )
        .values(
            state=state.value,
            cancelled_at=now,
            cancelled_by_id=getattr(actor, "id", None) if actor else None,
            updated_at=now,
        )
    ).rowcount
    if not ended:
        raise OpenDayError("not_active")
    if previous == SignupState.CONFIRMED:
        _move(signup.open_day_id, confirmed=-signup.places)
    else:
        _move(signup.open_day_id, waitlisted=-1)
    db.session.expire(signup)
    return previous


def cancel_signup(signup: Signup, actor=None, now: datetime | None = None) -> None:
    """Cancel a signup (by the person through their link, or by an organizer: ``actor``);
    its places go to the waitlist at once (:func:`promote`). Audited."""
    now = now or utcnow()
    open_day = _lock(signup.open_day)
    db.session.refresh(signup)
    previous = _end_signup(signup, SignupState.CANCELLED, actor, now)
    promoted = promote(open_day, now=now, actor=actor)
    audit.record(
        "open_day.signup_cancelled",
        signup,
        {
            "state": [previous, SignupState.CANCELLED],
            "by_organizer": actor is not None,
            "promoted": [s.id for s in promoted],
        },
        government_id=signup.government_id,
        actor=actor,
    )


def decline_promotion(signup: Signup, now: datetime | None = None) -> None:
    """A person promoted from the waitlist declines the place; it goes to the next one.
    Audited."""
    now = now or utcnow()
    open_day = _lock(signup.open_day)
    db.session.refresh(signup)
    if signup.promoted_at is None or signup.state != SignupState.CONFIRMED:
        raise OpenDayError("not_promoted")
    _end_signup(signup, SignupState.DECLINED, None, now)
    promoted = promote(open_day, now=now)
    audit.record(
        "open_day.promotion_declined",
        signup,
        {"promoted": [s.id for s in promoted]},
        government_id=signup.government_id,
    )


def change_companions(signup: Signup, companions: int, now: datetime | None = None) -> None:
    """Change the number of companions: more take places with the guarded update (or are
    refused), fewer free places, which go to the waitlist at once. Audited."""
    now = now or utcnow()
    open_day = _lock(signup.open_day)
    db.session.refresh(signup)
    if signup.state not in ACTIVE_STATES:
        raise OpenDayError("not_active")
    companions = _check_companions(open_day, companions)
    difference = companions - signup.companions
    if difference == 0:
        return
    if signup.state == SignupState.CONFIRMED:
        if difference > 0:
            c = OpenDay.__table__.c
            taken = db.session.execute(
                sa.update(OpenDay.__table__)
                .where(c.id == open_day.id, c.confirmed_count + difference <= c.capacity)
                .values(confirmed_count=c.confirmed_count + difference)
            ).rowcount
            if not taken:
                raise OpenDayError("no_places_for_companions", field="companions")
        else:
            _move(open_day.id, confirmed=difference)
    old = signup.companions
    signup.companions = companions
    db.session.flush()
    _expire_counters(open_day)
    promoted = promote(open_day, now=now) if difference < 0 else []
    audit.record(
        "open_day.companions_changed",
        signup,
        {"companions": [old, companions], "promoted": [s.id for s in promoted]},
        government_id=signup.government_id,
    )


def promotion_open(open_day: OpenDay, now: datetime) -> bool:
    """The waitlist still moves: the event is published and its promotion stop (a set
    number of hours before the start) has not passed."""
    return open_day.state == OpenDayState.PUBLISHED and now < open_day.promotion_stops_at


def promote(open_day: OpenDay, now: datetime | None = None, actor=None) -> list[Signup]:
    """The one promotion rule. The caller holds the event's row lock (every path that
    frees or adds places takes it first) and the same transaction continues: while the
    head of the waitlist (lowest ``position``) fits into the places left, it is confirmed
    with the guarded update and notified through the outbox (with a link to decline).
    Strict first come, first served: a head that does not fit stops the queue. Nothing
    moves after the promotion stop. Returns the promoted signups."""
    now = now or utcnow()
    db.session.flush()
    _expire_counters(open_day)
    if not promotion_open(open_day, now):
        return []
    promoted = []
    while True:
        head = db.session.scalar(
            sa.select(Signup)
            .where(Signup.open_day_id == open_day.id, Signup.state == SignupState.WAITLISTED)
            .order_by(Signup.position)
            .limit(1)
        )
        if head is None:
            break
        taken = _take_places(open_day.id, head.places, behind_waitlist=False)
        if taken is None:
            break
        # The guarded update also numbered it; the signup keeps its place in the queue.
        moved = db.session.execute(
            sa.update(Signup.__table__)
            .where(
                Signup.__table__.c.id == head.id,
                Signup.__table__.c.state == SignupState.WAITLISTED.value,
            )
            .values(state=SignupState.CONFIRMED.value, promoted_at=now, updated_at=now)
        ).rowcount
        if not moved:  # cannot happen under the row lock; give the places back
            _move(open_day.id, confirmed=-head.places)
            break
        _move(open_day.id, waitlisted=-1)
        db.session.expire(head)
        promoted.append(head)
        audit.record(
            "open_day.promoted",
            head,
            {"state": [SignupState.WAITLISTED, SignupState.CONFIRMED]},
            government_id=head.government_id,
            actor=actor,
        )
        _notify_promotion(head)
    _expire_counters(open_day)
    return promoted


def release_no_shows(open_day: OpenDay, actor=None, now: datetime | None = None) -> int:
    """After the start, mark every confirmed signup without a check-in as a no-show and
    free its places for the waitlist (:func:`promote`, which moves nothing past the
    promotion stop: the places then go to walk-ins). Returns how many. Audited."""
    now = now or utcnow()
    _lock(open_day)
    if now < open_day.starts_at:
        raise OpenDayError("not_started")
    rows = db.session.execute(
        sa.select(Signup.id, Signup.companions).where(
            Signup.open_day_id == open_day.id,
            Signup.state == SignupState.CONFIRMED,
            Signup.checked_in_at.is_(None),
        )
    ).all()
    if rows:
        db.session.execute(
            sa.update(Signup.__table__)
            .where(Signup.__table__.c.id.in_([row.id for row in rows]))
            .values(state=SignupState.NO_SHOW.value, updated_at=now)
        )
        _move(open_day.id, confirmed=-sum(1 + row.companions for row in rows))
    promoted = promote(open_day, now=now, actor=actor)
    audit.record(
        "open_day.no_shows_released",
        open_day,
        {"count": len(rows), "promoted": [s.id for s in promoted]},
        actor=actor,
    )
    return len(rows)


# -- the desk -------------------------------------------------------------------------


def check_in(
    open_day: OpenDay, code: str, actor=None, now: datetime | None = None
) -> tuple[Signup, bool]:
    """Check a confirmed signup in by its code; ``(signup, first_time)``. Repeating it is
    harmless: the signup stays checked in at the first time, by the first official
    (a conditional update, so two desks scanning at once record one check-in). Audited
    the first time only."""
    now = now or utcnow()
    typed = normalise_code(code)
    signup = db.session.scalar(
        sa.select(Signup).where(Signup.open_day_id == open_day.id, Signup.code == typed)
    )
    if signup is None:
        raise OpenDayError("unknown_code", field="code", signup_code=typed or "-")
    if signup.state != SignupState.CONFIRMED and signup.checked_in_at is None:
        raise OpenDayError(
            "not_confirmed", field="code", signup_code=typed, state=signup.state.label
        )
    first = (
        db.session.execute(
            sa.update(Signup.__table__)
            .where(
                Signup.__table__.c.id == signup.id,
                Signup.__table__.c.checked_in_at.is_(None),
                Signup.__table__.c.state == SignupState.CONFIRMED.value,
            )
            .values(checked_in_at=now, checked_in_by_id=getattr(actor, "id", None), updated_at=now)
        ).rowcount
        == 1
    )
    db.session.expire(signup)
    if first:
        audit.record(
            "open_day.checked_in",
            signup,
            {"code": typed},
            government_id=signup.government_id,
            actor=actor,
        )
    return signup, first


def record_walk_in(
    open_day: OpenDay, *, name: str = "", people: int = 1, needs: str = "", actor=None
) -> WalkIn:
    """Record people who came without a signup. Audited."""
    try:
        people = int(people)
    except (TypeError, ValueError):
        people = 0
    if not 1 <= people <= 100:
        raise OpenDayError("bad_people", field="people")
    walk_in = WalkIn(
        open_day_id=open_day.id,
        government_id=open_day.government_id,
        name=plain_text(name, multiline=False)[:100],
        people=people,
        needs=plain_text(needs)[:500],
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(walk_in)
    db.session.flush()
    audit.record("open_day.walk_in_recorded", walk_in, {"count": people}, actor=actor)
    return walk_in


# -- messages -------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def manage_url(signup: Signup) -> str:
    """The private link of a signup, for messages (sent later, outside the request)."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/open-days/signups/{signup.token}"


def _notify(signup: Signup, kind: str, subject: str, body: str) -> None:
    if signup.contact:
        queue_message(signup.contact, subject, body, dedupe_key=f"open-day-{kind}-{signup.id}")


def _notify_signup(signup: Signup) -> None:
    open_day = signup.open_day
    if signup.state == SignupState.CONFIRMED:
        body = gettext(
            "You are signed up for “%(title)s” on %(when)s at %(place)s. Your check-in "
            "code is %(code)s. To cancel or change the number of companions: %(url)s",
            title=open_day.title,
            when=_local(open_day.starts_at),
            place=open_day.place,
            code=signup.code,
            url=manage_url(signup),
        )
    else:
        body = gettext(
            "“%(title)s” is full: you are on the waitlist. We will tell you at once if a "
            "place becomes free. To cancel: %(url)s",
            title=open_day.title,
            url=manage_url(signup),
        )
    _notify(
        signup, "signup", gettext("Your signup for “%(title)s”", title=open_day.title[:80]), body
    )


def _notify_promotion(signup: Signup) -> None:
    open_day = db.session.get(OpenDay, signup.open_day_id)
    _notify(
        signup,
        "promoted",
        gettext("A place is free for you: “%(title)s”", title=open_day.title[:80]),
        gettext(
            "A place became free and your signup for “%(title)s” on %(when)s is now "
            "confirmed. Your check-in code is %(code)s. If you cannot come, decline "
            "the place here so that the next person gets it: %(url)s",
            title=open_day.title,
            when=_local(open_day.starts_at),
            code=signup.code,
            url=manage_url(signup),
        ),
    )


@register_purge("open_day_verifications")
def purge_verifications(now: datetime | None = None) -> int:
    """Delete used and expired signup verifications (they hold a name and a mobile
    number). Returns the number deleted; flushes, the caller commits. Idempotent."""
    now = now or utcnow()
    result = db.session.execute(
        sa.delete(SignupVerification)
        .where(
            sa.or_(
                SignupVerification.used_at.is_not(None),
                SignupVerification.expires_at <= now - VERIFICATION_LIFETIME,
            )
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
