"""Who may do what with governments, units and officials."""

from __future__ import annotations

from participation.accounts.models import Government, Role, Unit

# Approvers publish what editors prepare and may prepare it themselves.
EDITING_ROLES = frozenset({Role.EDITOR, Role.APPROVER})
PUBLISHING_ROLES = frozenset({Role.APPROVER})
OPINION_ROLES = frozenset({Role.MODERATOR, Role.EDITOR, Role.APPROVER})
ANY_ROLE = frozenset(Role)


def _official(user) -> bool:
    return bool(user and user.is_authenticated and user.is_official)


def can_administer(user, government: Government) -> bool:
    """Units, officials, the catalogue itself and the audit log: administrators only."""
    return _official(user) and user.is_administrator(government.id)


def has_unit_role(user, unit: Unit, roles: frozenset[Role]) -> bool:
    return _official(user) and user.has_role(set(roles), unit=unit)


def can_see_internal(user, unit: Unit) -> bool:
    """Officials with any role on the unit (or administrators) see its unpublished work."""
    return has_unit_role(user, unit, ANY_ROLE)


def can_see_task(user, task) -> bool:
    """A background task's progress and errors: the official who started it and the
    administrators of its government."""
    if not _official(user):
        return False
    if task.created_by_id is not None and task.created_by_id == user.id:
        return True
    return task.government_id is not None and user.is_administrator(task.government_id)


def can_manage_workdays(user, government: Government) -> bool:
    """The working-day calendar is shared by every government on the platform; the
    administrators of any of them enter a new year from the State Council's notice."""
    return can_administer(user, government)
