"""Open-day permissions: named predicates of role x unit x state.

The organizing unit's editors and approvers prepare, publish and run an open day; any
official of the unit may staff the check-in desk. Anyone may sign up while signups are
open; a signup is managed by whoever holds its private link.
"""

from __future__ import annotations

from participation.accounts.models import Unit
from participation.accounts.permissions import ANY_ROLE, EDITING_ROLES, has_unit_role
from participation.core.database import utcnow
from participation.open_days.models import OpenDay, Signup


def can_view_open_day(user, open_day: OpenDay) -> bool:
    """The public sees published (and cancelled) open days; the unit's officials all."""
    return open_day.is_public or has_unit_role(user, open_day.unit, ANY_ROLE)


def can_sign_up(user, open_day: OpenDay) -> bool:
    """Anyone, signed in or not, while the open day takes signups."""
    return open_day.signup_open_at(utcnow())


def can_manage_signup(user, signup: Signup | None) -> bool:
    """The holder of the private link (the token is the credential) until the event ends."""
    return signup is not None and utcnow() < signup.open_day.ends_at


def can_create_open_day(user, unit: Unit) -> bool:
    """Editors and approvers create open days for their unit."""
    return has_unit_role(user, unit, EDITING_ROLES)


def can_organize_open_day(user, open_day: OpenDay) -> bool:
    """Editors and approvers of the organizing unit: details, capacity, signups, exports."""
    return has_unit_role(user, open_day.unit, EDITING_ROLES)


def can_run_desk(user, open_day: OpenDay) -> bool:
    """Any official of the organizing unit checks people in and records walk-ins."""
    return has_unit_role(user, open_day.unit, ANY_ROLE)


def can_answer_questionnaire(user, signup: Signup | None) -> bool:
    """The holder of the private link of a checked-in signup, once the questionnaire of
    its open day has been sent."""
    return (
        signup is not None
        and signup.checked_in_at is not None
        and signup.open_day.questionnaire_sent_at is not None
    )
