"""Account operations: registration with a verification code, sign-in, roles, units.

Operations flush, never commit, and write the audit entry; views commit.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import ClassVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from participation.accounts.models import (
    Government,
    Membership,
    Role,
    Unit,
    User,
    VerificationCode,
    VerificationPurpose,
)
from participation.accounts.senders import queue_code
from participation.core import audit, signals
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.maintenance import register_purge
from participation.core.ratelimit import keyed_digest
from participation.core.sanitize import plain_text
from participation.extensions import db

CODE_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
MIN_PASSWORD_LENGTH = 8
# zxcvbn's guessability score, 0 (a top-100 password) to 4; below 2 is refused: common
# passwords, repeats, keyboard walks, dates and the person's own number or name.
MIN_PASSWORD_SCORE = 2
_ESTIMATED_LENGTH = 72  # the estimator's limit; longer passwords are judged by their start
SITE_WORDS = ("participation", "canyu", "zhengfu", "admin")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "bad_identifier": _l("Enter an 11-digit mobile number or an e-mail address."),
        "taken": _l("An account with this mobile number or e-mail address already exists."),
        "weak_password": _l("The password must have at least 8 characters."),
        "guessable_password": _l("This password is too easy to guess (it is common, or "
                                 "close to your number, name or a simple pattern). Choose "
                                 "a longer one, for example a few unrelated words."),
        "code_expired": _l("The verification code has expired. Please register again."),
        "code_wrong": _l("The verification code is not correct."),
        "resend_too_early": _l("A new code can be sent in %(seconds)d seconds."),
        "too_many_attempts": _l("Too many wrong codes. Please register again."),
        "bad_credentials": _l("The account or password is not correct."),
        "unit_cycle": _l("A unit cannot be placed inside itself."),
        "unit_name_taken": _l("A unit with this name already exists."),
        "unit_other_government": _l("The unit belongs to another government."),
        "last_administrator": _l("The last administrator of a government cannot be removed."),
    }


def hash_password(password: str) -> str:
    """Hash ``password`` with the configured method (``PASSWORD_HASH_METHOD``)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    """A real hash of a random password with ``method``, checked when there is no account,
    so that an unknown account costs as much time as a known one."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def normalise_identifier(value: str) -> tuple[str, str]:
    """Return ``("mobile"|"email", normalised value)`` or raise ``bad_identifier``."""
    value = plain_text(value, multiline=False)
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if _MOBILE.match(digits):
        return "mobile", digits
    if _EMAIL.match(value) and len(value) <= 200:
        return "email", value.lower()
    raise AccountError("bad_identifier", field="identifier")


def find_user(identifier: str) -> User | None:
    """The account with this mobile number or e-mail address (normalised), or None."""
    try:
        kind, value = normalise_identifier(identifier)
    except AccountError:
        return None
    column = User.mobile if kind == "mobile" else User.email
    return db.session.scalar(sa.select(User).where(column == value))


def check_password_strength(password: str, *personal: str | None,
                            field: str = "password") -> None:
    """Refuse a password shorter than 8 characters or easy to guess (``zxcvbn`` score
    below ``MIN_PASSWORD_SCORE``); ``personal`` are the person's identifier and name,
    which the password must not merely repeat."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError("weak_password", field=field)
    from zxcvbn import zxcvbn  # its dictionaries load in about 15 ms: on first use

    hints = [value for value in personal if value] + list(SITE_WORDS)
    if zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        raise AccountError("guessable_password", field=field)


def start_registration(identifier: str, display_name: str, password: str) -> tuple[str, str]:
    """Create a pending registration; return ``(token, code)``.

    The code is queued in the outbox for the destination (sent after the caller's
    commit); the caller keeps ``token`` in the visitor's session. No account exists
    until the code is confirmed; a code sent earlier to the same destination stops working.
    """
    kind, destination = normalise_identifier(identifier)
    check_password_strength(password, destination, display_name)
    if find_user(destination) is not None:
        raise AccountError("taken", field="identifier")
    # A new code replaces any earlier one still pending for this destination.
    db.session.execute(
        sa.update(VerificationCode)
        .where(VerificationCode.destination == destination,
               VerificationCode.purpose == VerificationPurpose.REGISTER,
               VerificationCode.used_at.is_(None), VerificationCode.expires_at > utcnow())
        .values(expires_at=utcnow())
        .execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = secrets.token_urlsafe(32)
    db.session.add(
        VerificationCode(
            token=token,
            purpose=VerificationPurpose.REGISTER,
            destination=destination,
            code_hash=generate_password_hash(code),
            payload={
                "kind": kind,
                "display_name": plain_text(display_name, multiline=False)[:100],
                "password_hash": hash_password(password),
            },
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    db.session.flush()
    queue_code(destination, code, db.session.scalar(
        sa.select(VerificationCode.code_hash).where(VerificationCode.token == token)))
    return token, code


def pending_registration(token: str | None) -> VerificationCode | None:
    """The unused, unexpired registration code behind ``token``, or None."""
    if not token:
        return None
    pending = db.session.scalar(sa.select(VerificationCode).where(
        VerificationCode.token == token, VerificationCode.used_at.is_(None)))
    if pending is None or pending.expires_at < utcnow():
        return None
    return pending


def seconds_until_resend(pending: VerificationCode) -> int:
    """Seconds before another code may be sent for ``pending`` (0: now)."""
    sent_at = pending.expires_at - CODE_LIFETIME  # every code is sent when it is issued
    wait = timedelta(seconds=current_app.config["VERIFICATION_RESEND_SECONDS"])
    remaining = (sent_at + wait - utcnow()).total_seconds()
    return max(0, int(remaining + 0.999))


def resend_code(token: str) -> tuple[str, str]:
    """Issue a new code for the pending registration behind ``token``; return
    ``(destination, code)``; the code is queued in the outbox. The previous code stops
    working and the attempts start again. Refused with ``resend_too_early`` (and the
    seconds left) within
    ``VERIFICATION_RESEND_SECONDS`` of the last code, with ``code_expired`` when there
    is nothing to resend."""
    pending = pending_registration(token)
    if pending is None:
        raise AccountError("code_expired", field="code")
    remaining = seconds_until_resend(pending)
    if remaining:
        raise AccountError("resend_too_early", field="code", seconds=remaining)
    code = f"{secrets.randbelow(1_000_000):06d}"
    pending.code_hash = generate_password_hash(code)
    pending.attempts = 0
    pending.expires_at = utcnow() + CODE_LIFETIME
    db.session.flush()
    queue_code(pending.destination, code, pending.code_hash)
    return pending.destination, code


def finish_registration(token: str, code: str) -> User:
    """Confirm the code of a pending registration and create the citizen account."""
    pending = db.session.scalar(
        sa.select(VerificationCode)
        .where(VerificationCode.token == token, VerificationCode.used_at.is_(None))
        .with_for_update()
    )
    if pending is None or pending.expires_at < utcnow():
        raise AccountError("code_expired", field="code")
    if pending.attempts >= MAX_CODE_ATTEMPTS:
        raise AccountError("too_many_attempts", field="code")
    if not check_password_hash(pending.code_hash, (code or "").strip()):
        pending.attempts += 1
        db.session.flush()
        raise AccountError("code_wrong", field="code")
    if find_user(pending.destination) is not None:
        raise AccountError("taken", field="code")
    payload = pending.payload
    user = User(display_name=payload["display_name"], password_hash=payload["password_hash"])
    if payload["kind"] == "mobile":
        user.mobile = pending.destination
    else:
        user.email = pending.destination
    pending.used_at = utcnow()
    pending.payload = {"kind": payload["kind"]}  # the password hash now lives on the account
    db.session.add(user)
    db.session.flush()
    audit.record("user.registered", user, {"kind": payload["kind"]}, actor=user)
    return user


@register_purge("verification_codes")
def purge_verification_codes(now: datetime | None = None) -> int:
    """Delete used and expired verification codes (a pending one holds a password hash).

    Returns the number deleted; flushes, the caller commits. Idempotent.
    """
    now = now or utcnow()
    result = db.session.execute(
        sa.delete(VerificationCode)
        .where(sa.or_(VerificationCode.used_at.is_not(None), VerificationCode.expires_at <= now))
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def identifier_key(identifier: str | None) -> str:
    """The rate-limit key of a typed account identifier: normalised (``139 0000 1234`` and
    ``13900001234`` are one account), then a keyed hash, never the identifier itself."""
    value = (identifier or "")[:200]
    try:
        value = normalise_identifier(value)[1]
    except AccountError:
        value = value.strip().lower()
    return keyed_digest("login:" + value)


def authenticate(identifier: str, password: str) -> User:
    """The active user with this identifier and password, or ``bad_credentials``."""
    user = find_user(identifier)
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash(
        current_app.config["PASSWORD_HASH_METHOD"])
    valid = check_password_hash(stored, password or "")
    if user is None or not valid or not user.is_active:
        raise AccountError("bad_credentials", field="password")
    user.last_login_at = utcnow()
    return user


def sign_out_everywhere(user: User) -> None:
    """End every session and remember-me token of ``user`` (all devices).

    Sessions and remember cookies carry ``id:session_version``; bumping the version makes
    every cookie issued before it unusable, even when replayed.
    """
    user.session_version += 1
    audit.record("user.signed_out", user, actor=user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; every other session and remember
    token of the account stops working.
    """
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        raise AccountError("bad_credentials", field="current_password")
    check_password_strength(new, user.mobile, user.email, user.display_name,
                            field="new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    audit.record("user.password_changed", user, actor=user)


def delete_account(user: User, password: str) -> None:
    """Delete a citizen's account: personal data erased; what the person contributed is
    kept but anonymised by the domains holding it (``account_deleted`` signal)."""
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise AccountError("bad_credentials", field="password")
    signals.account_deleted.send(user)
    audit.record("user.deleted", user, actor=user)
    user.display_name = "—"
    user.email = None
    user.mobile = None
    user.password_hash = None
    user.deleted_at = utcnow()
    user.session_version += 1
    for membership in list(user.memberships):
        db.session.delete(membership)
    db.session.flush()


# -- governments, units and officials -------------------------------------------------


def create_government(slug: str, name: str, **details: str) -> Government:
    """Create a government (a deployment may host several) and audit it."""
    government = Government(slug=slug, name=name, short_name=details.pop("short_name", name),
                            **details)
    db.session.add(government)
    db.session.flush()
    audit.record("government.created", government, {"name": name}, government_id=government.id)
    return government


def _check_unit_name(government_id: int, name: str, unit: Unit | None = None) -> str:
    name = plain_text(name, multiline=False)
    clash = db.session.scalar(sa.select(Unit.id).where(
        Unit.government_id == government_id, Unit.name == name))
    if clash is not None and (unit is None or clash != unit.id):
        raise AccountError("unit_name_taken", field="name")
    return name


def create_unit(government: Government, name: str, parent: Unit | None = None) -> Unit:
    """Create a unit of ``government``, optionally nested in ``parent``; names are unique
    per government.
    """
    if parent is not None and parent.government_id != government.id:
        raise AccountError("unit_other_government", field="parent_id")
    name = _check_unit_name(government.id, name)
    position = db.session.scalar(
        sa.select(sa.func.count(Unit.id)).where(Unit.government_id == government.id)
    ) or 0
    unit = Unit(government_id=government.id, name=name, parent=parent, position=position)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit.created", unit, {"name": unit.name, "parent_id": unit.parent_id})
    return unit


def update_unit(unit: Unit, name: str, parent: Unit | None) -> None:
    """Rename or move a unit; refuses a parent of another government and cycles."""
    if parent is not None:
        if parent.government_id != unit.government_id:
            raise AccountError("unit_other_government", field="parent_id")
        if unit in parent.ancestors_and_self():
            raise AccountError("unit_cycle", field="parent_id")
    changes = audit.diff(unit, {"name": _check_unit_name(unit.government_id, name, unit),
                                "parent_id": parent.id if parent else None})
    if parent is not None:
        unit.parent = parent
    if changes:
        audit.record("unit.updated", unit, changes)
    db.session.flush()


def create_official(government: Government, email: str, display_name: str,
                    password: str, role: Role | None = None,
                    unit: Unit | None = None) -> User:
    """Create an official's account (signing in with ``email``) and, with ``role``, grant
    the first role at once (on ``unit``; administrators hold theirs government-wide)."""
    kind, value = normalise_identifier(email)
    check_password_strength(password, value, display_name)
    if find_user(value) is not None:
        raise AccountError("taken", field="email")
    user = User(display_name=plain_text(display_name, multiline=False)[:100],
                password_hash=hash_password(password))
    setattr(user, kind, value)
    db.session.add(user)
    db.session.flush()
    audit.record("official.created", user, {"display_name": user.display_name},
                 government_id=government.id)
    if role is not None:
        grant_role(user, government, role, unit)
    return user


def grant_role(user: User, government: Government, role: Role, unit: Unit | None) -> Membership:
    """Give ``user`` a role; administrators hold theirs for the whole government."""
    if role == Role.ADMINISTRATOR:
        unit = None
    elif unit is None or unit.government_id != government.id:
        raise AccountError("unit_other_government", field="unit")
    for existing in user.memberships:
        if (existing.government_id, existing.unit_id, existing.role) == (
            government.id, unit.id if unit else None, role
        ):
            return existing
    membership = Membership(user=user, government_id=government.id,
                            unit_id=unit.id if unit else None, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.record("official.role_granted", user,
                 {"role": role, "unit_id": membership.unit_id}, government_id=government.id)
    return membership


def revoke_role(membership: Membership) -> None:
    """Remove one role of an official; the last administrator of a government stays."""
    if membership.role == Role.ADMINISTRATOR:
        remaining = db.session.scalar(
            sa.select(sa.func.count(Membership.id)).where(
                Membership.government_id == membership.government_id,
                Membership.role == Role.ADMINISTRATOR,
            )
        )
        if remaining <= 1:
            raise AccountError("last_administrator")
    user = membership.user
    audit.record("official.role_revoked", user,
                 {"role": membership.role, "unit_id": membership.unit_id},
                 government_id=membership.government_id)
    user.memberships.remove(membership)
    db.session.flush()


def set_active(user: User, government: Government, active: bool) -> None:
    """Deactivate or reactivate an official's account; deactivation signs them out
    everywhere.
    """
    if user.is_active_account != active:
        user.is_active_account = active
        user.session_version += 1
        audit.record("official.activated" if active else "official.deactivated", user,
                     government_id=government.id)
        db.session.flush()


